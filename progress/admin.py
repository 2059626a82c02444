from django.contrib import admin

from progress.models import (
    Achievement,
    Certificate,
    LearningStats,
    LessonActivity,
    LessonCompletion,
    ModuleCompletion,
)


@admin.register(LessonCompletion)
class LessonCompletionAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson", "course", "score", "completed_at")
    list_filter = ("lesson__module__course", "completed_at")
    list_select_related = ("user", "lesson__module__course")
    search_fields = ("user__username", "lesson__title", "lesson__module__course__title")
    autocomplete_fields = ("user",)
    raw_id_fields = ("lesson",)
    readonly_fields = ("completed_at",)
    date_hierarchy = "completed_at"

    @admin.display(description="Course", ordering="lesson__module__course__title")
    def course(self, completion: LessonCompletion):
        return completion.lesson.module.course


@admin.register(ModuleCompletion)
class ModuleCompletionAdmin(admin.ModelAdmin):
    list_display = ("user", "module", "course", "completed_at")
    list_filter = ("module__course", "completed_at")
    list_select_related = ("user", "module__course")
    search_fields = ("user__username", "module__title", "module__course__title")
    autocomplete_fields = ("user",)
    raw_id_fields = ("module",)
    readonly_fields = ("completed_at",)

    @admin.display(description="Course", ordering="module__course__title")
    def course(self, completion: ModuleCompletion):
        return completion.module.course


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("verification_code", "user", "course", "issued_at")
    list_filter = ("course", "issued_at")
    list_select_related = ("user", "course")
    search_fields = ("verification_code", "user__username", "course__title")
    autocomplete_fields = ("user", "course")
    readonly_fields = ("verification_code", "issued_at")
    date_hierarchy = "issued_at"

    def view_on_site(self, certificate: Certificate) -> str:
        return certificate.get_absolute_url()


@admin.register(LearningStats)
class LearningStatsAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "total_time_spent",
        "average_score",
        "courses_completed",
        "certificates_earned",
        "current_streak",
        "last_active_date",
    )
    list_filter = ("last_active_date",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user",)
    ordering = ("-courses_completed", "user__username")


@admin.register(LessonActivity)
class LessonActivityAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson", "seconds", "updated_at")
    list_filter = ("lesson__module__course",)
    list_select_related = ("user", "lesson")
    search_fields = ("user__username", "lesson__title")
    autocomplete_fields = ("user",)
    raw_id_fields = ("lesson",)
    readonly_fields = ("updated_at",)


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "unlocked_at")
    list_filter = ("kind", "unlocked_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)
    readonly_fields = ("unlocked_at",)

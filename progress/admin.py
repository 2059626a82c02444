from django.contrib import admin

from progress.models import Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "progress", "enrolled_at", "completed_at")
    list_filter = ("course", "completed_at")
    list_select_related = ("user", "course")
    search_fields = ("user__username", "user__email", "course__title")
    autocomplete_fields = ("user", "course")
    readonly_fields = ("enrolled_at",)
    date_hierarchy = "enrolled_at"

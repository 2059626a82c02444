from django.contrib import admin

from leaderboard.models import LeaderboardScore


class BoardFilter(admin.SimpleListFilter):
    title = "board"
    parameter_name = "board"

    def lookups(self, request, model_admin):
        return [("global", "Global"), ("course", "Per course")]

    def queryset(self, request, queryset):
        if self.value() == "global":
            return queryset.filter(course__isnull=True)
        if self.value() == "course":
            return queryset.filter(course__isnull=False)
        return queryset


@admin.register(LeaderboardScore)
class LeaderboardScoreAdmin(admin.ModelAdmin):
    """Read-only: rows follow the progress tables (`manage.py rebuild_leaderboard` recomputes
    them all)."""

    list_display = (
        "user",
        "course",
        "points",
        "courses_completed",
        "certificates_earned",
        "time_spent",
        "updated_at",
    )
    list_filter = (BoardFilter, "course", "updated_at")
    list_select_related = ("user", "course")
    search_fields = ("user__username", "user__first_name", "user__last_name", "course__title")
    ordering = ("course", "-points", "user_id")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

"""Every non-trivial read of the progress app."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from lms.catalog.models import Course, Enrollment, Lesson, Module, User
from progress.models import (
    Achievement,
    Certificate,
    DailyActivity,
    LearningStats,
    LessonCompletion,
    ModuleCompletion,
)

# Days of activity the "My progress" page and API show: twelve weeks, today included.
ACTIVITY_DAYS = 84


def stats_for(*, user: User) -> LearningStats:
    """The user's stats, unsaved zeros when they have none yet."""
    return LearningStats.objects.filter(user=user).first() or LearningStats(user=user)


def streak_current(*, stats: LearningStats, today: date | None = None) -> int:
    """The streak as it stands today: a streak whose last active day is before yesterday
    is broken, so it counts 0 (the stored one is restarted at the next activity day)."""
    today = today or timezone.localdate()
    if stats.last_active_date is None or stats.last_active_date < today - timedelta(days=1):
        return 0
    return stats.current_streak


def courses_completed_count(*, user: User) -> int:
    """Courses the user completed: a completed enrollment, or the course's certificate
    (which stays when the student leaves the course and the enrollment goes). One query."""
    completed = (
        Enrollment.objects.filter(user=user, completed_at__isnull=False)
        .order_by()
        .values("course_id")
    )
    certified = Certificate.objects.filter(user=user).order_by().values("course_id")
    return completed.union(certified).count()


def activity_by_day(
    *, user: User, days: int = ACTIVITY_DAYS, today: date | None = None
) -> list[dict]:
    """The user's activity of the last `days` days, oldest first, today last, days without
    activity as zeros: `[{date, seconds, lessons_completed}]`. One query."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    stored = {
        day: (seconds, lessons)
        for day, seconds, lessons in DailyActivity.objects.filter(
            user=user, day__gte=first, day__lte=today
        ).values_list("day", "seconds", "lessons_completed")
    }
    activity = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        seconds, lessons = stored.get(day, (0, 0))
        activity.append({"date": day, "seconds": seconds, "lessons_completed": lessons})
    return activity


def my_courses(*, user: User) -> QuerySet[Enrollment]:
    """The user's enrollments with their courses, unfinished first, then most recent."""
    return (
        Enrollment.objects.filter(user=user)
        .select_related("course")
        .order_by(F("completed_at").desc(nulls_first=True), "-enrolled_at", "-id")
    )


def module_status(*, user_id: int, course_id: int) -> list[tuple[int, int, int, bool]]:
    """Per module of the course that has lessons: (module id, lessons, lessons done, recorded).

    `recorded` says a ModuleCompletion row exists. One query, whatever the size
    of the course; written out because every completion runs it, where the ORM
    spent longer building its subqueries than the database took to answer.
    """
    quote = connection.ops.quote_name
    module, lesson = quote(Module._meta.db_table), quote(Lesson._meta.db_table)
    completion = quote(LessonCompletion._meta.db_table)
    module_completion = quote(ModuleCompletion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # Subqueries, not joins: a join would aggregate every student's completions.
            f"SELECT m.id, COUNT(l.id), "
            f"(SELECT COUNT(*) FROM {completion} c JOIN {lesson} cl ON cl.id = c.lesson_id "
            f"WHERE c.user_id = %s AND cl.module_id = m.id), "
            f"EXISTS (SELECT 1 FROM {module_completion} mc "
            f"WHERE mc.user_id = %s AND mc.module_id = m.id) "
            f"FROM {module} m JOIN {lesson} l ON l.module_id = m.id "
            f"WHERE m.course_id = %s "
            f"GROUP BY m.id, m.{quote('order')} ORDER BY m.{quote('order')}, m.id",
            [user_id, user_id, course_id],
        )
        return [(id_, lessons, done, bool(recorded)) for id_, lessons, done, recorded in cursor]


def progress_percent(*, modules_total: int, modules_done: int) -> int:
    """Completed modules over modules with lessons, as a rounded whole percent."""
    if modules_total <= 0:
        return 0
    # Half up (12.5 -> 13), not Python's round-half-even.
    return min(100, (200 * modules_done + modules_total) // (2 * modules_total))


def certificate_list(*, user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(user=user).select_related("course").order_by("-issued_at")


def achievement_list(*, user: User) -> QuerySet[Achievement]:
    return Achievement.objects.filter(user=user).order_by("-unlocked_at", "-id")


def certificate_by_code(*, code: str) -> Certificate | None:
    return (
        Certificate.objects.filter(verification_code=code.upper())
        .select_related("user", "course")
        .first()
    )


def completed_lesson_ids(*, user: User, course: Course) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        LessonCompletion.objects.filter(user=user, lesson__module__course=course).values_list(
            "lesson_id", flat=True
        )
    )


def my_progress(*, user: User, today: date | None = None) -> dict:
    """What the "My progress" page and `GET /api/me/progress/` show. Five queries."""
    return {
        "stats": stats_for(user=user),
        "activity": activity_by_day(user=user, today=today),
        "courses": list(my_courses(user=user)),
        "certificates": list(certificate_list(user=user)),
        "achievements": list(achievement_list(user=user)),
    }

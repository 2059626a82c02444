"""Every non-trivial read of the progress app."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from lms.catalog.models import Course, Module, User
from progress.models import (
    Achievement,
    Certificate,
    LearningStats,
    LessonCompletion,
    ModuleCompletion,
)


def stats_for(*, user: User) -> LearningStats:
    """The user's stats, unsaved zeros when they have none yet."""
    return LearningStats.objects.filter(user=user).first() or LearningStats(user=user)


def module_status(*, user_id: int, course_id: int) -> list[tuple[int, int, int, bool]]:
    """Per module of the course that has lessons: (module id, lessons, lessons done, recorded).

    `recorded` says a ModuleCompletion row exists. One query, whatever the size
    of the course.
    """
    return list(
        Module.objects.filter(course_id=course_id)
        .annotate(
            lesson_count=Count("lessons"),
            # A subquery, not a join: a join would aggregate every student's completions.
            done_count=Coalesce(
                Subquery(
                    LessonCompletion.objects.filter(
                        user_id=user_id, lesson__module_id=OuterRef("pk")
                    )
                    .values("lesson__module_id")
                    .annotate(done=Count("id"))
                    .values("done")
                ),
                0,
            ),
            recorded=Exists(
                ModuleCompletion.objects.filter(user_id=user_id, module_id=OuterRef("pk"))
            ),
        )
        .filter(lesson_count__gt=0)
        .order_by("order", "id")
        .values_list("id", "lesson_count", "done_count", "recorded")
    )


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

"""Every non-trivial read of the progress app."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from lms.models import Course, Lesson, Module, User
from lms.realtime.registry import Grant, Role
from progress.models import (
    Achievement,
    Certificate,
    Enrollment,
    LearningStats,
    LessonCompletion,
    ModuleCompletion,
)


def stats_for(*, user: User) -> LearningStats:
    """The user's stats, unsaved zeros when they have none yet."""
    return LearningStats.objects.filter(user=user).first() or LearningStats(user=user)


def course_access(*, user, course_id: int) -> Grant | None:
    """Who may follow a course live: enrolled students, its instructor, staff.

    The one rule for `course:{id}`; None when the course is unknown or the user
    has no part in it.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    row = (
        Course.objects.filter(pk=course_id)
        .annotate(
            enrolled=Exists(Enrollment.objects.filter(user_id=user.pk, course_id=OuterRef("pk")))
        )
        .values_list("instructor_id", "enrolled")
        .first()
    )
    if row is None:
        return None
    instructor_id, enrolled = row
    if user.is_staff:
        return Grant(role=Role.STAFF, course_id=course_id)
    if instructor_id == user.pk:
        return Grant(role=Role.INSTRUCTOR, course_id=course_id)
    if enrolled:
        return Grant(role=Role.STUDENT, course_id=course_id)
    return None


def enrollment_progress(*, user: User, course_id: int) -> int | None:
    """The user's progress in a course, or None when not enrolled."""
    return (
        Enrollment.objects.filter(user=user, course_id=course_id)
        .values_list("progress", flat=True)
        .first()
    )


def enrollment_for_lesson(*, user: User, lesson: Lesson) -> Enrollment | None:
    if not user.is_authenticated:
        return None
    return Enrollment.objects.filter(user=user, course_id=lesson.module.course_id).first()


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

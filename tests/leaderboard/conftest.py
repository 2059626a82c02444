"""Helpers that change what points are made of the way the progress writers do:
inside a transaction, then `progress.services.learning_changed`."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from leaderboard import events
from lms.catalog.models import Course, Enrollment, Lesson, User
from progress.models import Certificate, LearningStats, LessonActivity
from progress.services import learning_changed
from tests.e2e.servers import daphne_servers  # noqa: F401  (fixture of the multi-process tests)


@pytest.fixture(autouse=True)
def _leaderboard_isolation(settings, _isolated_realtime):
    """Coalescing keys live in the cache, which outlives a test: give each test its own,
    and let sends scheduled by a test finish before the next one starts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REALTIME_NAMESPACE = f"{settings.REALTIME_NAMESPACE}-{uuid.uuid4().hex[:8]}"
    yield
    events.wait_for_sends(timeout=5)


def set_stats(
    user: User, *, courses_completed: int = 0, certificates_earned: int = 0, minutes: int = 0
) -> None:
    """Give `user` these global stats, as the progress services would."""
    with transaction.atomic():
        LearningStats.objects.update_or_create(
            user=user,
            defaults={
                "courses_completed": courses_completed,
                "certificates_earned": certificates_earned,
                "total_time_spent": minutes,
                "total_seconds_spent": minutes * 60,
            },
        )
        learning_changed.send(sender=None, user_id=user.pk, course_id=None)


def first_lesson(course: Course) -> Lesson:
    return Lesson.objects.filter(module__course=course).order_by("module__order", "order").first()


def set_course_progress(
    user: User,
    course: Course,
    *,
    completed: bool = False,
    certified: bool = False,
    seconds: dict[Lesson, int] | int = 0,
) -> None:
    """Give `user` this standing in `course` (enrollment, certificate, activity seconds)."""
    with transaction.atomic():
        Enrollment.objects.update_or_create(
            user=user,
            course=course,
            defaults={"completed_at": timezone.now() if completed else None},
        )
        if certified:
            Certificate.objects.get_or_create(user=user, course=course)
        else:
            Certificate.objects.filter(user=user, course=course).delete()
        if isinstance(seconds, int):
            seconds = {first_lesson(course): seconds} if seconds else {}
        for lesson, spent in seconds.items():
            LessonActivity.objects.update_or_create(
                user=user, lesson=lesson, defaults={"seconds": spent}
            )
        learning_changed.send(sender=None, user_id=user.pk, course_id=course.pk)


def board_ids(entries: list[dict]) -> list[int]:
    return [entry["user_id"] for entry in entries]

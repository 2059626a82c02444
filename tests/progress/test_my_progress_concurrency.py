"""Activity per day under racing writers, on PostgreSQL with one connection per thread."""

import pytest
from django.utils import timezone

from progress.models import DailyActivity, LearningStats
from progress.services import lesson_activity_record, lesson_complete
from tests.factories import UserFactory
from tests.progress.factories import enrolled_course, lessons_of
from tests.progress.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_completions_and_reports_lose_no_activity_of_the_day(postgres):
    user = UserFactory()
    courses = [enrolled_course(user, modules=1, lessons_per_module=2) for _ in range(4)]
    lessons = [lessons_of(course) for course in courses]
    completions = [
        lambda lesson=lesson: lesson_complete(user=user, lesson=lesson)
        for first, _ in lessons
        for lesson in (first, first)  # each lesson twice: counted once
    ]
    reports = [
        lambda lesson=second: lesson_activity_record(user=user, lesson=lesson, seconds=60)
        for _, second in lessons
    ]

    results = run_together(completions + reports)

    credited = sum(result.credited for result in results[len(completions) :])
    assert credited == 4 * 60  # the first report on each lesson is credited in full
    row = DailyActivity.objects.get(user=user)
    assert row.day == timezone.localdate()
    assert (row.lessons_completed, row.seconds) == (4, credited)
    stats = LearningStats.objects.get(user=user)
    assert stats.total_seconds_spent == credited
    assert (stats.current_streak, stats.longest_streak) == (1, 1)


def test_students_racing_on_the_same_day_each_get_their_own_row(postgres):
    users = [UserFactory() for _ in range(6)]
    lessons = [
        lessons_of(enrolled_course(user, modules=1, lessons_per_module=1))[0] for user in users
    ]

    run_together(
        [
            lambda user=user, lesson=lesson: lesson_activity_record(
                user=user, lesson=lesson, seconds=30
            )
            for user, lesson in zip(users, lessons, strict=True)
        ]
    )

    assert sorted(DailyActivity.objects.values_list("seconds", flat=True)) == [30] * 6

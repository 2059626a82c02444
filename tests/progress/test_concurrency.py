"""Completions racing on PostgreSQL: threads, each with its own connection, start together."""

import threading

import pytest
from django.db import connection

from lms.catalog.models import Enrollment
from lms.realtime.models import Event
from notifications.models import Notification
from progress.models import (
    Certificate,
    LearningStats,
    LessonActivity,
    LessonCompletion,
    ModuleCompletion,
)
from progress.services import learning_changed, lesson_activity_record, lesson_complete
from tests.factories import EnrollmentFactory, UserFactory, course_with_lessons
from tests.progress.factories import lessons_of

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(calls, timeout: float = 60) -> list:
    """Run each call in its own thread (own database connection), released at once."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout)
            results[index] = call()
        except Exception as exc:  # reported to the test below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a completion is stuck (deadlock?)"
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def test_completing_every_lesson_at_once_ends_with_one_certificate_and_100(postgres):
    user = UserFactory()
    course = course_with_lessons(modules=3, lessons_per_module=3)
    EnrollmentFactory(user=user, course=course)
    lessons = lessons_of(course)

    run_together(
        [lambda lesson=lesson: lesson_complete(user=user, lesson=lesson) for lesson in lessons]
    )

    enrollment = Enrollment.objects.get(user=user, course=course)
    assert enrollment.progress == 100
    assert enrollment.completed_at is not None
    assert LessonCompletion.objects.filter(user=user).count() == 9
    assert ModuleCompletion.objects.filter(user=user).count() == 3
    assert Certificate.objects.filter(user=user, course=course).count() == 1
    stats = LearningStats.objects.get(user=user)
    assert (stats.courses_completed, stats.certificates_earned) == (1, 1)
    topic = f"user:{user.pk}"
    assert Event.objects.filter(topic=topic, event="course.completed").count() == 1
    assert Event.objects.filter(topic=topic, event="certificate.issued").count() == 1
    assert Event.objects.filter(topic=topic, event="module.completed").count() == 3
    seqs = list(Event.objects.filter(topic=topic).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_the_same_lesson_from_8_threads_makes_one_row(postgres):
    user = UserFactory()
    course = course_with_lessons(modules=1, lessons_per_module=2)
    EnrollmentFactory(user=user, course=course)
    lesson = lessons_of(course)[0]

    results = run_together([lambda: lesson_complete(user=user, lesson=lesson)] * 8)

    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert LessonCompletion.objects.filter(user=user, lesson=lesson).count() == 1
    assert Notification.objects.filter(user=user, related_entity_type="lesson").count() == 1
    assert Event.objects.filter(topic=f"user:{user.pk}", event="lesson.completed").count() == 1


def test_two_courses_finished_at_once_both_count(postgres):
    user = UserFactory()
    courses = [course_with_lessons(modules=1, lessons_per_module=1) for _ in range(2)]
    for course in courses:
        EnrollmentFactory(user=user, course=course)
    lessons = [lessons_of(course)[0] for course in courses]

    run_together(
        [lambda lesson=lesson: lesson_complete(user=user, lesson=lesson) for lesson in lessons]
    )

    stats = LearningStats.objects.get(user=user)
    assert (stats.courses_completed, stats.certificates_earned) == (2, 2)
    assert Certificate.objects.filter(user=user).count() == 2


def test_activity_reports_from_two_tabs_cannot_double_the_time(postgres):
    user = UserFactory()
    course = course_with_lessons(modules=1, lessons_per_module=1)
    EnrollmentFactory(user=user, course=course)
    lesson = lessons_of(course)[0]

    results = run_together(
        [lambda: lesson_activity_record(user=user, lesson=lesson, seconds=300)] * 4
    )

    credited = sorted(result.credited for result in results)
    assert credited[-1] == 300  # the first report on the lesson
    assert sum(credited[:-1]) <= 3 * 3  # the others: only the real time since, plus slack
    assert LessonActivity.objects.get(user=user, lesson=lesson).seconds == sum(credited)
    assert LearningStats.objects.get(user=user).total_seconds_spent == sum(credited)


def test_completions_and_activity_racing_keep_every_stat(postgres):
    user = UserFactory()
    course = course_with_lessons(modules=2, lessons_per_module=2)
    EnrollmentFactory(user=user, course=course)
    lessons = lessons_of(course)

    run_together(
        [
            lambda lesson=lesson: lesson_complete(user=user, lesson=lesson, score=80)
            for lesson in lessons
        ]
        + [
            lambda lesson=lesson: lesson_activity_record(user=user, lesson=lesson, seconds=60)
            for lesson in lessons
        ]
    )

    stats = LearningStats.objects.get(user=user)
    assert stats.total_seconds_spent == 240
    assert stats.total_time_spent == 4
    assert stats.average_score == 80
    assert stats.courses_completed == 1


def test_one_students_completion_does_not_wait_for_anothers_in_the_same_course(postgres):
    alice, bob = UserFactory(), UserFactory()
    course = course_with_lessons(modules=1, lessons_per_module=2)
    for student in (alice, bob):
        EnrollmentFactory(user=student, course=course)
    first, second = lessons_of(course)
    alice_inside, release_alice = threading.Event(), threading.Event()

    def hold_alice_open(sender, user_id, course_id, **kwargs):
        # Runs inside alice's transaction, after every lock of the cascade is taken.
        if user_id == alice.pk:
            alice_inside.set()
            release_alice.wait(30)

    learning_changed.connect(hold_alice_open)
    try:
        alice_thread = threading.Thread(
            target=lambda: (lesson_complete(user=alice, lesson=first), connection.close())
        )
        alice_thread.start()
        assert alice_inside.wait(30)

        bob_done = run_together([lambda: lesson_complete(user=bob, lesson=second)], timeout=10)

        assert bob_done[0][1] is True
    finally:
        release_alice.set()
        learning_changed.disconnect(hold_alice_open)
        alice_thread.join(30)
    assert LessonCompletion.objects.filter(user__in=[alice, bob]).count() == 2

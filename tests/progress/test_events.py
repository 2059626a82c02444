"""What the progress cascade and content changes publish (the stored, replayable events)."""

import pytest

from lms.catalog.models import Course, Enrollment, Lesson, Module
from progress.models import Certificate
from progress.services import lesson_activity_record, lesson_complete
from tests.factories import EnrollmentFactory, LessonFactory, ModuleFactory, UserFactory
from tests.progress.factories import enrolled_course, events_on, last_seq, lessons_of

pytestmark = pytest.mark.django_db


def test_finishing_a_course_publishes_every_step_in_order(user):
    course = enrolled_course(user, modules=1, lessons_per_module=2)
    first, last = lessons_of(course)
    lesson_complete(user=user, lesson=first)
    since = last_seq(f"user:{user.pk}")

    enrollment, _ = lesson_complete(user=user, lesson=last, score=88)

    events = events_on(f"user:{user.pk}", since=since)
    names = [name for name, _ in events]
    assert names[:6] == [
        "lesson.completed",
        "module.completed",
        "progress.updated",
        "course.completed",
        "certificate.issued",
        "achievement.unlocked",
    ]
    assert names[6] == "stats.updated"
    assert names[7:] == ["notification.created"] * 4  # lesson, course, certificate, achievement
    data = dict(events[:7])
    assert data["lesson.completed"]["lesson"] == last.pk
    assert data["lesson.completed"]["course"] == course.pk
    assert data["lesson.completed"]["score"] == 88
    assert data["module.completed"]["module"] == last.module_id
    enrollment_json = {
        "id": enrollment.pk,
        "course": course.pk,
        "progress": 100,
        "enrolled_at": data["progress.updated"]["enrolled_at"],
        "completed_at": data["progress.updated"]["completed_at"],
    }
    assert data["progress.updated"] == enrollment_json
    assert data["course.completed"] == enrollment_json
    assert data["progress.updated"]["completed_at"] is not None
    certificate = Certificate.objects.get(user=user)
    assert data["certificate.issued"]["verification_code"] == certificate.verification_code
    assert (
        data["certificate.issued"]["verify_url"]
        == f"/certificates/{certificate.verification_code}/"
    )
    assert data["achievement.unlocked"]["kind"] == "first_course"
    assert data["stats.updated"]["courses_completed"] == 1
    assert data["stats.updated"]["certificates_earned"] == 1
    assert data["stats.updated"]["average_score"] == 88


def test_a_first_lesson_publishes_progress_and_the_first_lesson_achievement(user):
    course = enrolled_course(user, modules=2, lessons_per_module=2)

    lesson_complete(user=user, lesson=lessons_of(course)[0])

    names = [name for name, _ in events_on(f"user:{user.pk}")]
    assert names == [
        "lesson.completed",
        "progress.updated",
        "achievement.unlocked",
        "stats.updated",
        "notification.created",
        "notification.created",
    ]


def test_completing_again_publishes_nothing(user):
    course = enrolled_course(user, modules=1, lessons_per_module=2)
    lesson = lessons_of(course)[0]
    lesson_complete(user=user, lesson=lesson)
    since = last_seq(f"user:{user.pk}")

    lesson_complete(user=user, lesson=lesson)

    assert events_on(f"user:{user.pk}", since=since) == []


def test_events_go_to_the_owner_only(user):
    other = UserFactory()
    course = enrolled_course(user, modules=1, lessons_per_module=1)
    EnrollmentFactory(user=other, course=course)

    lesson_complete(user=user, lesson=lessons_of(course)[0])

    assert events_on(f"user:{other.pk}") == []


def test_activity_publishes_stats_when_minutes_change(user):
    course = enrolled_course(user, modules=1, lessons_per_module=1)
    lesson = lessons_of(course)[0]

    lesson_activity_record(user=user, lesson=lesson, seconds=90)

    ((name, stats),) = events_on(f"user:{user.pk}")
    assert name == "stats.updated"
    assert stats["total_time_spent"] == 1
    assert stats["total_seconds_spent"] == 90


def test_content_changes_publish_on_the_course_topic(user):
    course = enrolled_course(user, modules=1, lessons_per_module=1)
    topic = f"course:{course.pk}"
    since = last_seq(topic)

    module = ModuleFactory(course=course, title="Extra", order=5)
    lesson = LessonFactory(module=module, title="New", order=1, duration_minutes=7)
    lesson.title = "Renamed"
    lesson.save()
    module.title = "Bonus"
    module.save()

    events = events_on(topic, since=since)
    assert [name for name, _ in events] == [
        "module.created",
        "lesson.created",
        "lesson.updated",
        "module.updated",
    ]
    assert events[1][1] == {
        "id": lesson.pk,
        "module": module.pk,
        "title": "New",
        "order": 1,
        "duration_minutes": 7,
    }
    assert events[0][1] == {"id": module.pk, "course": course.pk, "title": "Extra", "order": 5}
    assert events[2][1]["title"] == "Renamed"

    Lesson.objects.get(pk=lesson.pk).delete()
    Module.objects.get(pk=module.pk).delete()
    Course.objects.filter(pk=course.pk).first().save()

    events = events_on(topic, since=since)
    # Deleted content is redacted from the stored events: a replay holds only deletions.
    assert [name for name, _ in events] == [
        "module.deleted",
        "lesson.deleted",
        "lesson.deleted",
        "module.deleted",
        "lesson.deleted",
        "module.deleted",
        "course.updated",
    ]
    assert events[4][1] == {"id": lesson.pk, "module": module.pk}
    assert "Renamed" not in str(events) and "Bonus" not in str(events)
    assert events[6][1]["title"] == course.title


def test_deleting_a_module_reports_its_lessons_and_the_module(user):
    course = enrolled_course(user, modules=1, lessons_per_module=2)
    module = lessons_of(course)[0].module
    since = last_seq(f"course:{course.pk}")

    module.delete()

    names = [name for name, _ in events_on(f"course:{course.pk}", since=since)]
    assert names == ["lesson.deleted", "lesson.deleted", "module.deleted"]
    assert Enrollment.objects.filter(user=user, course=course).exists()

"""Download my data: every section, mine only, never the password."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from notifications.models import NotificationPreference
from progress.models import LessonActivity
from progress.services import lesson_complete
from tests.discussions.factories import DirectMessageFactory, ThreadFactory, ThreadMessageFactory
from tests.factories import EnrollmentFactory, UserFactory, course_with_lessons
from tests.notifications.factories import NotificationFactory, SubscriptionFactory
from tests.progress.factories import AchievementFactory, lessons_of

pytestmark = pytest.mark.django_db

SECTIONS = {
    "format",
    "version",
    "exported_at",
    "profile",
    "enrollments",
    "lesson_completions",
    "module_completions",
    "certificates",
    "stats",
    "lesson_activity",
    "daily_activity",
    "achievements",
    "notifications",
    "notification_preferences",
    "emails",
    "subscriptions",
    "threads_started",
    "thread_messages",
    "direct_messages_sent",
}


def learning(user, course, score):
    EnrollmentFactory(user=user, course=course)
    for lesson in lessons_of(course):
        lesson_complete(user=user, lesson=lesson, score=score)
    LessonActivity.objects.create(user=user, lesson=lessons_of(course)[0], seconds=300)


@pytest.fixture
def two_learners(student):
    other = UserFactory(first_name="Eve", last_name="Other", email="eve@example.com")
    course = course_with_lessons(modules=2, lessons_per_module=2)
    learning(student, course, 80)
    learning(other, course, 55)
    AchievementFactory(user=student, kind="streak_7")
    NotificationFactory(user=student, title="Ada's notification")
    NotificationFactory(user=other, title="Eve's notification")
    NotificationPreference.objects.create(user=student, kind="mention", channel="email")
    SubscriptionFactory(user=student, plan="Gold")
    SubscriptionFactory(user=other, plan="Eve's plan")
    thread = ThreadFactory(course=course, created_by=student, title="Ada asks")
    ThreadMessageFactory(thread=thread, sender=student, content="Ada's words")
    ThreadMessageFactory(thread=thread, sender=other, content="Eve's words")
    DirectMessageFactory(sender=student, recipient=other, content="Ada to her classmate")
    DirectMessageFactory(sender=other, recipient=student, content="Eve to Ada")
    return student, other, course, thread


def export_of(user) -> dict:
    client = Client()
    client.force_login(user)
    response = client.get("/account/export/")
    assert response.status_code == 200
    return json.loads(response.content)


def test_export_has_every_section_with_my_records(two_learners):
    student, other, course, thread = two_learners
    data = export_of(student)
    assert set(data) == SECTIONS
    assert data["profile"]["username"] == student.username
    assert data["profile"]["email"] == "ada@example.com"
    assert [(e["course"], e["progress"]) for e in data["enrollments"]] == [(course.pk, 100)]
    assert data["enrollments"][0]["completed_at"] is not None
    assert len(data["lesson_completions"]) == 4
    assert {c["score"] for c in data["lesson_completions"]} == {80}
    assert {c["course"] for c in data["lesson_completions"]} == {course.pk}
    assert len(data["module_completions"]) == 2
    certificate = data["certificates"][0]
    assert certificate["course"] == course.pk and len(certificate["verification_code"]) >= 8
    assert data["stats"]["courses_completed"] == 1
    assert data["stats"]["average_score"] == 80
    assert data["lesson_activity"][0]["seconds"] == 300
    assert sum(day["lessons_completed"] for day in data["daily_activity"]) == 4
    assert ("certificate_issued", "ada@example.com") in {
        (e["kind"], e["to"]) for e in data["emails"]
    }
    assert {a["kind"] for a in data["achievements"]} >= {"first_lesson", "streak_7"}
    assert all(a["title"] for a in data["achievements"])
    assert "Ada's notification" in {n["title"] for n in data["notifications"]}
    assert data["notification_preferences"]["mention"] == "email"
    assert [s["plan"] for s in data["subscriptions"]] == ["Gold"]
    assert [t["title"] for t in data["threads_started"]] == ["Ada asks"]
    assert [(m["content"], m["thread"], m["course"]) for m in data["thread_messages"]] == [
        ("Ada's words", thread.pk, course.pk)
    ]
    assert [(m["content"], m["recipient"]) for m in data["direct_messages_sent"]] == [
        ("Ada to her classmate", other.pk)
    ]


def test_export_holds_no_password_and_nothing_of_anyone_else(two_learners):
    student, other, course, thread = two_learners
    text = json.dumps(export_of(student))
    assert student.password not in text
    assert "password" not in text
    for foreign in (
        "Other",
        "eve@example.com",
        "Eve to Ada",
        "Eve's words",
        "Eve's notification",
        "Eve's plan",
        f'"{other.username}"',
    ):
        assert foreign not in text, foreign


def test_export_of_a_new_user_has_empty_sections(db):
    newcomer = UserFactory()
    data = export_of(newcomer)
    assert data["stats"] is None
    assert data["enrollments"] == [] and data["direct_messages_sent"] == []
    assert data["notification_preferences"]  # the defaults, one per kind


def test_export_api_matches_the_page(two_learners):
    student = two_learners[0]
    client = APIClient()
    client.force_authenticate(student)
    api = client.get("/api/me/export/").json()
    page = export_of(student)
    dates = {"date_joined", "last_login"}  # the page signed in (last_login); formats differ
    assert {k: v for k, v in api["profile"].items() if k not in dates} == {
        k: v for k, v in page["profile"].items() if k not in dates
    }
    for section in SECTIONS - {"format", "version", "exported_at", "profile", "stats"}:
        assert len(api[section]) == len(page[section]), section


def test_export_reads_a_bounded_number_of_queries(student, django_assert_max_num_queries):
    course = course_with_lessons(modules=3, lessons_per_module=4)
    learning(student, course, 70)
    thread = ThreadFactory(course=course)
    for _ in range(30):
        ThreadMessageFactory(thread=thread, sender=student)
        NotificationFactory(user=student)
    client = Client()
    client.force_login(student)
    with django_assert_max_num_queries(25):
        assert client.get("/account/export/").status_code == 200

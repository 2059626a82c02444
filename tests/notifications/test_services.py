"""Notification services: creation, read state and announcements, with their events."""

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Notification
from notifications.services import (
    announcement_send,
    notification_create,
    notification_mark_all_read,
    notification_mark_read,
)
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.notifications.factories import NotificationFactory
from tests.progress.factories import events_on

pytestmark = pytest.mark.django_db


def test_a_new_notification_publishes_itself_to_its_owner(user):
    notification = notification_create(user=user, title="Hello", message="World", type="success")

    assert events_on(f"user:{user.pk}") == [
        (
            "notification.created",
            {
                "id": notification.pk,
                "title": "Hello",
                "message": "World",
                "type": "success",
                "is_read": False,
                "related_entity_type": "",
                "related_entity_id": None,
                "kind": "other",
                "url": "",
                "created_at": events_on(f"user:{user.pk}")[0][1]["created_at"],
            },
        )
    ]


def test_marking_read_publishes_ids_and_the_new_unread_count(user):
    first, second = NotificationFactory.create_batch(2, user=user)

    notification_mark_read(user=user, notification_id=first.pk)
    notification_mark_read(user=user, notification_id=first.pk)  # already read: silent

    read_events = [e for e in events_on(f"user:{user.pk}") if e[0] == "notification.read"]
    assert read_events == [("notification.read", {"ids": [first.pk], "unread_count": 1})]


def test_marking_someone_elses_notification_raises_not_found(user):
    theirs = NotificationFactory()

    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(user=user, notification_id=theirs.pk)

    assert not [e for e in events_on(f"user:{user.pk}") if e[0] == "notification.read"]


def test_mark_all_read_publishes_once_with_every_id(user):
    notifications = NotificationFactory.create_batch(3, user=user)

    ids = notification_mark_all_read(user=user)

    assert ids == sorted(n.pk for n in notifications)
    read_events = [e for e in events_on(f"user:{user.pk}") if e[0] == "notification.read"]
    assert read_events == [("notification.read", {"ids": ids, "unread_count": 0})]


def test_an_announcement_reaches_every_enrolled_active_student_once():
    course = CourseFactory()
    students = [EnrollmentFactory(course=course).user for _ in range(3)]
    inactive = EnrollmentFactory(course=course, user=UserFactory(is_active=False)).user
    outsider = UserFactory()

    _, sent = announcement_send(
        course=course, author=course.instructor, title="  Exam moved  ", message="To Friday."
    )

    assert sorted(n.user_id for n in sent) == sorted(s.pk for s in students)
    for student in students:
        notification = Notification.objects.get(user=student)
        assert (notification.title, notification.message) == ("Exam moved", "To Friday.")
        assert (notification.related_entity_type, notification.related_entity_id) == (
            "course",
            course.pk,
        )
        assert [e[0] for e in events_on(f"user:{student.pk}")] == ["notification.created"]
        assert events_on(f"user:{student.pk}")[0][1]["id"] == notification.pk
    assert not Notification.objects.filter(user__in=[inactive, outsider]).exists()
    ((event, data),) = [e for e in events_on(f"course:{course.pk}") if e[0] == "announcement"]
    assert (data["title"], data["message"], data["course"]) == (
        "Exam moved",
        "To Friday.",
        course.pk,
    )


@pytest.mark.parametrize(
    ("title", "message"), [("", "text"), ("   ", "text"), ("Title", ""), ("x" * 256, "text")]
)
def test_an_announcement_needs_a_title_and_a_message(title, message):
    course = CourseFactory()
    EnrollmentFactory(course=course)

    with pytest.raises(ValidationError):
        announcement_send(course=course, author=course.instructor, title=title, message=message)

    assert not Notification.objects.exists()

"""Staff tools: the "announce to this course" action and the admin pages of both apps."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from notifications.models import Notification
from tests.factories import CourseFactory, EnrollmentFactory, StaffFactory, UserFactory
from tests.notifications.factories import NotificationFactory, SubscriptionFactory
from tests.progress.factories import AchievementFactory, CertificateFactory, events_on

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/lms/course/"


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def course_with_students():
    course = CourseFactory()
    students = [EnrollmentFactory(course=course).user for _ in range(2)]
    return course, students


def test_the_action_asks_for_a_title_and_a_message(staff_client, course_with_students):
    course, _ = course_with_students

    response = staff_client.post(
        CHANGELIST, {"action": "announce_to_course", ACTION_CHECKBOX_NAME: [course.pk]}
    )

    assert response.status_code == 200
    assert b"Send announcement" in response.content
    assert course.title.encode() in response.content
    assert not Notification.objects.exists()


def test_the_action_announces_to_every_enrolled_student(staff_client, course_with_students):
    course, students = course_with_students
    outsider = UserFactory()

    response = staff_client.post(
        CHANGELIST,
        {
            "action": "announce_to_course",
            ACTION_CHECKBOX_NAME: [course.pk],
            "apply": "1",
            "title": "Office hours",
            "message": "Thursday <b>5pm</b>",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert b"Announcement sent to 2 students in 1 course." in response.content
    for student in students:
        notification = Notification.objects.get(user=student)
        assert notification.message == "Thursday <b>5pm</b>"
    assert not Notification.objects.filter(user=outsider).exists()
    assert [e for e, _ in events_on(f"course:{course.pk}")][-1] == "announcement"


def test_an_empty_announcement_is_sent_back_with_errors(staff_client, course_with_students):
    course, _ = course_with_students

    response = staff_client.post(
        CHANGELIST,
        {
            "action": "announce_to_course",
            ACTION_CHECKBOX_NAME: [course.pk],
            "apply": "1",
            "title": "   ",
            "message": "",
        },
    )

    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert not Notification.objects.exists()


def test_admin_pages_of_progress_and_notifications_load(staff_client, user):
    NotificationFactory(user=user)
    SubscriptionFactory(user=user)
    CertificateFactory(user=user)
    AchievementFactory(user=user)
    for path in [
        "/admin/notifications/notification/",
        "/admin/notifications/subscription/",
        "/admin/notifications/subscriptionreminder/",
        "/admin/progress/certificate/",
        "/admin/progress/achievement/",
        "/admin/progress/learningstats/",
        "/admin/progress/lessoncompletion/",
        "/admin/progress/modulecompletion/",
        "/admin/progress/lessonactivity/",
        "/admin/notifications/notification/add/",
    ]:
        assert staff_client.get(path).status_code == 200, path


def test_a_notification_added_in_the_admin_reaches_its_user(staff_client, user):
    response = staff_client.post(
        "/admin/notifications/notification/add/",
        {
            "user": user.pk,
            "title": "From staff",
            "message": "Hello",
            "type": "info",
            "related_entity_type": "",
            "related_entity_id": "",
        },
    )

    assert response.status_code == 302
    assert [e for e, _ in events_on(f"user:{user.pk}")] == ["notification.created"]

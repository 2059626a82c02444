"""No answer reveals an unpublished course's id to someone who may not see the course.

A redirect to the course page (or its discussions) would name it in the
Location header: those who may not see the course get a 404 instead, exactly
as for an id that does not exist.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from lms.catalog.models import Course, Lesson
from tests.discussions.factories import ThreadFactory, ThreadMessageFactory
from tests.factories import EnrollmentFactory, UserFactory, course_with_lessons
from tests.progress.factories import lessons_of

pytestmark = pytest.mark.django_db


@dataclass
class Hidden:
    course: Course
    lesson: Lesson
    thread_id: int
    closed_thread_id: int
    message_id: int


@pytest.fixture
def hidden() -> Hidden:
    """An unpublished course with a lesson, an open and a closed thread, and a message."""
    course = course_with_lessons(modules=1, lessons_per_module=1, is_published=False)
    member = UserFactory()
    EnrollmentFactory(user=member, course=course)
    thread = ThreadFactory(course=course, created_by=member)
    closed = ThreadFactory(course=course, created_by=member, is_active=False)
    message = ThreadMessageFactory(thread=thread, sender=member)
    return Hidden(course, lessons_of(course)[0], thread.pk, closed.pk, message.pk)


@pytest.fixture
def outsider() -> Client:
    client = Client()
    client.force_login(UserFactory())
    return client


def requests_by_an_outsider(hidden: Hidden) -> list[tuple[str, str]]:
    return [
        ("get", f"/lessons/{hidden.lesson.pk}/"),
        ("post", f"/lessons/{hidden.lesson.pk}/complete/"),
        ("post", f"/courses/{hidden.course.pk}/enroll/"),
        ("get", f"/courses/{hidden.course.pk}/"),
        ("get", f"/courses/{hidden.course.pk}/discussions/"),
        ("post", f"/courses/{hidden.course.pk}/discussions/"),
        ("get", f"/courses/{hidden.course.pk}/leaderboard/"),
        ("get", f"/threads/{hidden.thread_id}/"),
        ("post", f"/threads/{hidden.thread_id}/"),
        ("get", f"/threads/{hidden.closed_thread_id}/"),
        ("post", f"/threads/{hidden.closed_thread_id}/moderate/"),
        ("post", f"/threads/{hidden.thread_id}/messages/{hidden.message_id}/delete/"),
    ]


def test_an_outsider_gets_404_and_no_location_for_every_page_of_an_unpublished_course(
    hidden, outsider
):
    for method, url in requests_by_an_outsider(hidden):
        response = getattr(outsider, method)(url, {"action": "close", "content": "hi"})
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Location" not in response, (method, url, response["Location"])


def test_completing_a_hidden_lesson_is_the_same_404_as_a_missing_one(hidden, outsider):
    hidden_answer = outsider.post(f"/lessons/{hidden.lesson.pk}/complete/")
    missing_answer = outsider.post("/lessons/999999/complete/")
    assert hidden_answer.status_code == missing_answer.status_code == 404


def test_signing_in_from_a_hidden_page_names_only_the_page_asked_for(hidden):
    response = Client().get(f"/lessons/{hidden.lesson.pk}/")
    assert response.status_code == 302
    assert f"/courses/{hidden.course.pk}/" not in response["Location"]


def test_a_published_course_still_leads_its_visitors_to_enroll():
    course = course_with_lessons(modules=1, lessons_per_module=1)
    client = Client()
    client.force_login(UserFactory())
    lesson = lessons_of(course)[0]
    for response in (
        client.get(f"/lessons/{lesson.pk}/"),
        client.post(f"/lessons/{lesson.pk}/complete/"),
    ):
        assert response.status_code == 302
        assert response["Location"] == f"/courses/{course.pk}/"


def test_a_member_of_an_unpublished_course_is_still_led_from_a_closed_thread(hidden):
    member = UserFactory()
    EnrollmentFactory(user=member, course=hidden.course)
    client = Client()
    client.force_login(member)
    response = client.get(f"/threads/{hidden.closed_thread_id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{hidden.course.pk}/discussions/"

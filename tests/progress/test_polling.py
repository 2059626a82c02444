"""The polling fallback follows the same rules as the websocket for user: and course: topics."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from progress.services import lesson_complete
from tests.factories import UserFactory, course_with_lessons
from tests.progress.factories import enrolled_course, lessons_of

# The poll view is async: its database calls need committed rows and their own connection.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def poll(client, topics):
    return client.post("/api/realtime/poll/", {"topics": topics, "wait": 0}, format="json")


def test_my_progress_events_can_be_polled(token_client, user):
    course = enrolled_course(user, modules=1, lessons_per_module=1)
    lesson_complete(user=user, lesson=lessons_of(course)[0])

    response = poll(token_client, {f"user:{user.pk}": 0})

    assert response.status_code == 200
    names = [frame["event"] for frame in response.json()["events"]]
    assert names[:3] == ["lesson.completed", "module.completed", "progress.updated"]
    assert "certificate.issued" in names


def test_another_users_topic_cannot_be_polled(token_client):
    other = UserFactory()

    response = poll(token_client, {f"user:{other.pk}": 0})

    assert response.status_code == 403


def test_a_course_topic_is_polled_by_its_students_only(token_client, user):
    mine = enrolled_course(user, modules=1, lessons_per_module=1)
    other = course_with_lessons(modules=1, lessons_per_module=1)

    assert poll(token_client, {f"course:{mine.pk}": 0}).status_code == 200
    assert poll(token_client, {f"course:{other.pk}": 0}).status_code == 403

"""Pinned threads and accepted answers."""

import pytest
from rest_framework.test import APIClient

from discussions import moderation, services
from lms.realtime.models import Event
from tests.discussions.factories import ThreadFactory
from tests.factories import InstructorFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_moderators_pin_and_pinned_threads_come_first(cast, active_thread):
    newer = ThreadFactory(course=cast.course, created_by=cast.creator, title="Newer")
    url = f"/api/threads/{active_thread.pk}/pin/"
    assert client_for(cast.enrolled).post(url).status_code == 403
    assert client_for(cast.creator).post(url).status_code == 403
    assert client_for(InstructorFactory()).post(url).status_code == 404
    response = client_for(cast.instructor).post(url)
    assert response.status_code == 200
    assert response.json()["is_pinned"] is True
    listed = client_for(cast.enrolled).get(f"/api/threads/?course={cast.course.pk}").json()
    assert [t["id"] for t in listed["results"]] == [active_thread.pk, newer.pk]
    assert listed["results"][0]["is_pinned"] is True
    # Live: the course's lists hear thread.updated with the mark.
    stored = Event.objects.filter(topic=f"course:{cast.course.pk}", event="thread.updated").last()
    assert stored.data["id"] == active_thread.pk and stored.data["is_pinned"] is True
    assert client_for(cast.staff).delete(url).json()["is_pinned"] is False
    listed = client_for(cast.enrolled).get(f"/api/threads/?course={cast.course.pk}").json()
    assert [t["id"] for t in listed["results"]] == [newer.pk, active_thread.pk]


def test_course_page_marks_pinned_and_answered(cast, active_thread, client):
    message = services.thread_message_post(
        thread=active_thread, sender=cast.enrolled, content="The answer"
    )
    moderation.thread_pin(thread=active_thread, actor=cast.instructor, pinned=True)
    moderation.thread_accept(thread=active_thread, actor=cast.creator, message=message)
    client.force_login(cast.enrolled)
    html = client.get(f"/courses/{cast.course.pk}/discussions/").content.decode()
    assert 'thread-pinned-badge">Pinned' in html
    assert 'thread-answered-badge">Answered' in html
    html = client.get(f"/threads/{active_thread.pk}/").content.decode()
    assert f'is-accepted" id="message-{message.pk}"' in html


def test_accepted_answer_rules(cast, active_thread, closed_thread):
    message = services.thread_message_post(
        thread=active_thread, sender=cast.enrolled, content="Try this"
    )
    url = f"/api/threads/{active_thread.pk}/accept/"
    # Another student may not; the creator and moderators may.
    assert client_for(cast.enrolled).post(url, {"message": message.pk}).status_code == 403
    response = client_for(cast.creator).post(url, {"message": message.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["accepted_message"] == message.pk
    stored = Event.objects.filter(topic=f"thread:{active_thread.pk}", event="thread.updated").last()
    assert stored.data["accepted_message"] == message.pk
    assert client_for(cast.instructor).delete(url).json()["accepted_message"] is None
    # A message of another thread, or a hidden one, cannot be accepted.
    other = services.thread_message_post(
        thread=closed_thread, sender=cast.instructor, content="elsewhere"
    )
    assert client_for(cast.creator).post(url, {"message": other.pk}).status_code == 400
    moderation.message_hide(message=message, actor=cast.instructor)
    assert client_for(cast.creator).post(url, {"message": message.pk}).status_code == 400


def test_deleting_the_accepted_answer_clears_it(cast, active_thread):
    message = services.thread_message_post(
        thread=active_thread, sender=cast.enrolled, content="Try this"
    )
    moderation.thread_accept(thread=active_thread, actor=cast.instructor, message=message)
    services.thread_message_delete(message=message, actor=cast.instructor)
    active_thread.refresh_from_db()
    assert active_thread.accepted_message_id is None
    stored = Event.objects.filter(topic=f"thread:{active_thread.pk}", event="thread.updated").last()
    assert stored.data["accepted_message"] is None


def test_a_muted_creator_cannot_mark_the_answer(cast, active_thread):
    message = services.thread_message_post(
        thread=active_thread, sender=cast.enrolled, content="Try this"
    )
    moderation.course_mute(course=cast.course, user=cast.creator, actor=cast.staff, minutes=60)
    response = client_for(cast.creator).post(
        f"/api/threads/{active_thread.pk}/accept/", {"message": message.pk}, format="json"
    )
    assert response.status_code == 403
    assert "muted" in response.json()["detail"]

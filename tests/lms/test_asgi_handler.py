"""Requests through the real ASGI application (lms.asgi): pages and the API in one thread
hop, their events sent once the view returns, the held poll on Django's async handler."""

import asyncio
import json
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.authtoken.models import Token

from lms.asgi import application
from lms.catalog.models import Lesson
from tests.factories import EnrollmentFactory, UserFactory, course_with_lessons
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


def request_to(method: str, path: str, *, key: str, length: int) -> ApplicationCommunicator:
    """A request to the application, as a server hands it over; its body is for the caller
    to send."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [
            (b"authorization", f"Token {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode()),
            (b"host", b"testserver"),
        ],
    }
    return ApplicationCommunicator(application, scope)


async def http(method: str, path: str, *, key: str, body: dict | None = None):
    """(status, JSON body) of one request through the application, as a server sends it."""
    content = json.dumps(body).encode() if body else b""
    communicator = request_to(method, path, key=key, length=len(content))
    await communicator.send_input({"type": "http.request", "body": content})
    start = await communicator.receive_output(timeout=15)
    chunk = await communicator.receive_output(timeout=5)
    return start["status"], json.loads(chunk["body"])


@database_sync_to_async
def student_with_lesson():
    course = course_with_lessons(modules=1, lessons_per_module=3)
    user = UserFactory()
    EnrollmentFactory(user=user, course=course)
    lesson = Lesson.objects.filter(module__course=course).order_by("order").first()
    return user, Token.objects.create(user=user).key, lesson


async def test_a_completion_sends_its_events_in_order_before_its_response():
    user, key, lesson = await student_with_lesson()
    async with ws_connect(user) as ws:
        assert (await ws.join(f"user:{user.pk}"))["ok"] is True
        status, body = await http(
            "POST", f"/api/lessons/{lesson.pk}/complete/", key=key, body={"score": 90}
        )
        assert status == 200, body
        # Sent to the channel layer before the response was: already on their way.
        events = await ws.events(3)
    kinds = [event["event"] for event in events]
    assert "lesson.completed" in kinds and "progress.updated" in kinds
    ids = [event["id"] for event in events]
    assert ids == sorted(ids) and len(set(ids)) == 3


async def test_a_held_poll_waits_while_other_requests_are_answered():
    user, key, _lesson = await student_with_lesson()
    held = {"topics": {f"user:{user.pk}": None}, "wait": 3}
    poll = asyncio.ensure_future(http("POST", "/api/realtime/poll/", key=key, body=held))
    # Several polls held at once would each hold a thread if polls went through the
    # threaded handler; the API answers meanwhile either way, and the poll keeps waiting.
    status, body = await http("GET", "/api/notifications/unread-count/", key=key)
    assert (status, body) == (200, {"count": 0})
    assert not poll.done()
    status, _body = await poll
    assert status == 200


async def test_requests_run_on_threads_kept_from_one_request_to_the_next():
    from lms.asgi import threaded_app

    user, key, _lesson = await student_with_lesson()
    await http("GET", "/api/notifications/unread-count/", key=key)
    kept = list(threaded_app.threads.idle)
    threads_before = threading.active_count()
    for _ in range(20):
        assert await http("GET", "/api/notifications/unread-count/", key=key) == (
            200,
            {"count": 0},
        )
    assert threading.active_count() == threads_before
    assert threaded_app.threads.idle == kept
    # Requests at the same time each have a thread of their own, kept for later ones, up to
    # REQUEST_THREADS at once: the others wait their turn and are answered too.
    answers = await asyncio.gather(
        *(http("GET", "/api/notifications/unread-count/", key=key) for _ in range(12))
    )
    assert answers == [(200, {"count": 0})] * 12
    assert 1 <= len(threaded_app.threads.idle) <= settings.REQUEST_THREADS
    assert set(kept) <= set(threaded_app.threads.idle)
    assert threaded_app.threads.busy == 0


async def test_uploads_still_arriving_hold_no_request_thread():
    user, key, _lesson = await student_with_lesson()
    uploads = []
    for _ in range(settings.REQUEST_THREADS + 2):
        upload = request_to("POST", "/api/messages/", key=key, length=100_000)
        await upload.send_input({"type": "http.request", "body": b"{", "more_body": True})
        uploads.append(upload)
    # More bodies on their way than there are request threads: a request is answered.
    assert await http("GET", "/api/notifications/unread-count/", key=key) == (200, {"count": 0})
    for upload in uploads:
        await upload.send_input({"type": "http.disconnect"})
        await upload.wait(timeout=5)


async def test_a_client_gone_before_its_answer_leaves_the_next_request_served():
    from lms.asgi import threaded_app

    user, key, lesson = await student_with_lesson()
    content = json.dumps({"score": 80}).encode()
    path = f"/api/lessons/{lesson.pk}/complete/"
    gone = request_to("POST", path, key=key, length=len(content))
    await gone.send_input({"type": "http.request", "body": content})
    await gone.send_input({"type": "http.disconnect"})
    await gone.wait(timeout=15)
    # Its thread is kept (once its view, if it had started, is done) and serves the next
    # requests: the same completion again, then the student's stats.
    assert len(threaded_app.threads.idle) >= 1
    assert threaded_app.threads.busy == 0
    status, body = await http("POST", path, key=key, body={"score": 80})
    assert status == 200, body
    status, body = await http("GET", "/api/me/", key=key)
    assert status == 200
    assert body["stats"]["average_score"] == 80

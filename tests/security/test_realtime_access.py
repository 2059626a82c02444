"""Access that ends, ends on every open socket and held poll; deleted content stays deleted.

Through the real ASGI application (WebsocketCommunicator) and the test client;
tests/e2e/test_security.py repeats the cross-process cases on real Daphne
processes.
"""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from discussions.models import DirectMessage
from discussions.services import direct_message_send, thread_message_post
from lms.asgi import application
from lms.catalog.models import Enrollment
from lms.realtime.models import Event
from tests.discussions.factories import ThreadFactory, ThreadMessageFactory
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
)
from tests.wsclient import WsClient, ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


async def next_close(ws: WsClient, timeout: float = 5) -> dict:
    """The close the server sends, skipping frames sent before it."""
    while True:
        output = await ws.communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output


async def revoked(ws: WsClient, topic: str) -> dict:
    def is_revocation(frame: dict) -> bool:
        return frame["op"] == "error" and frame.get("topic") == topic

    frame = await ws.receive_until(is_revocation)
    assert frame["error"]["code"] == "forbidden"
    return frame


@db
def save(instance, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save()


@db
def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    session_headers.client = client
    return [(b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1:8000")]


# 1. Privilege changes reach open sockets


async def test_demoted_staff_loses_staff_only_topics_at_once():
    staff = await db(StaffFactory)()
    course = await db(CourseFactory)(is_published=False)
    closed = await db(ThreadFactory)(course=course, is_active=False)
    async with ws_connect(staff) as ws:
        assert (await ws.join(f"course:{course.pk}"))["ok"]
        assert (await ws.join(f"thread:{closed.pk}", since=0))["ok"]
        await save(staff, is_staff=False)
        await revoked(ws, f"course:{course.pk}")
        await revoked(ws, f"thread:{closed.pk}")
        again = await ws.join(f"thread:{closed.pk}", since=0)
        assert again["ok"] is False and again["error"]["code"] == "forbidden"
        assert (await ws.join(f"user:{staff.pk}"))["ok"]  # what is still theirs stays


async def test_join_after_demotion_uses_the_current_user():
    """Even without the revocation message, a join reads the user as they are now."""
    staff = await db(StaffFactory)()
    course = await db(CourseFactory)(is_published=False)
    async with ws_connect(staff) as ws:
        await db(type(staff).objects.filter(pk=staff.pk).update)(is_staff=False)  # no signal
        reply = await ws.join(f"course:{course.pk}", since=0)
        assert reply["ok"] is False and reply["error"]["code"] == "forbidden"


async def test_instructor_moved_off_a_course_loses_its_threads():
    instructor = await db(InstructorFactory)()
    successor = await db(InstructorFactory)()
    course = await db(CourseFactory)(instructor=instructor)
    thread = await db(ThreadFactory)(course=course)
    other_course = await db(CourseFactory)(instructor=instructor)
    async with ws_connect(instructor) as ws:
        assert (await ws.join(f"thread:{thread.pk}"))["ok"]
        assert (await ws.join(f"course:{other_course.pk}"))["ok"]
        await save(course, instructor=successor)
        await revoked(ws, f"thread:{thread.pk}")
        await db(thread_message_post)(thread=thread, sender=successor, content="not for you")
        await ws.assert_silent(f"thread:{thread.pk}")
        # Their other course is untouched.
        assert (await ws.join(f"course:{other_course.pk}"))["ok"]
    async with ws_connect(successor) as ws:
        assert (await ws.join(f"thread:{thread.pk}"))["ok"]


async def test_logout_closes_the_sockets_of_that_session_only():
    user = await db(UserFactory)()
    headers = await session_headers(user)
    site = session_headers.client
    other = WebsocketCommunicator(application, "/ws/", headers=await session_headers(user))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    assert (await communicator.connect())[0]
    assert (await other.connect())[0]
    ws, other_ws = WsClient(communicator), WsClient(other)
    try:
        assert (await ws.join(f"user:{user.pk}"))["ok"]
        assert (await other_ws.join(f"user:{user.pk}"))["ok"]
        response = await db(site.post)("/logout/")
        assert response.status_code == 302
        assert (await next_close(ws))["code"] == 4401
        sender = await db(StaffFactory)()
        await db(direct_message_send)(sender=sender, recipient=user, content="after logout")
        event = await other_ws.next_event(f"user:{user.pk}", "dm.created")
        assert event["data"]["content"] == "after logout"
    finally:
        await other.disconnect()


async def test_password_change_closes_session_sockets():
    user = await db(UserFactory)()
    communicator = WebsocketCommunicator(application, "/ws/", headers=await session_headers(user))
    assert (await communicator.connect())[0]
    ws = WsClient(communicator)
    assert (await ws.join(f"user:{user.pk}"))["ok"]

    @db
    def change_password():
        user.set_password("a-new-long-password-2")
        user.save()

    await change_password()
    assert (await next_close(ws))["code"] == 4401


async def test_session_socket_refuses_joins_after_the_session_ends_without_a_message():
    user = await db(UserFactory)()
    headers = await session_headers(user)
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    assert (await communicator.connect())[0]
    ws = WsClient(communicator)
    from django.contrib.sessions.models import Session

    await db(Session.objects.all().delete)()  # ended behind the socket's back
    await ws.send({"op": "join", "topic": f"user:{user.pk}", "ref": "1"})
    assert (await next_close(ws))["code"] == 4401


# 2. API clients can log out


async def test_deleting_the_token_ends_its_sockets_and_the_token():
    user = await db(UserFactory)()
    async with ws_connect(user) as ws:
        assert (await ws.join(f"user:{user.pk}"))["ok"]
        key = await db(lambda: Token.objects.get(user=user).key)()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = await db(client.delete)("/api/auth/token/")
        assert response.status_code == 204
        assert (await next_close(ws))["code"] == 4401
        assert (await db(client.get)("/api/me/")).status_code == 401
    assert not await db(Token.objects.filter(key=key).exists)()


def test_token_delete_needs_the_token(api_client):
    assert api_client.delete("/api/auth/token/").status_code == 401


def test_token_delete_is_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    assert "delete" in schema["paths"]["/api/auth/token/"]


# 3. A held poll never answers with what its caller may no longer see


async def test_held_poll_answers_forbidden_after_unenrollment():
    course = await db(CourseFactory)()
    student = await db(UserFactory)()
    enrollment = await db(EnrollmentFactory)(user=student, course=course)
    thread = await db(ThreadFactory)(course=course)
    key = await db(lambda: Token.objects.create(user=student).key)()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    topic = f"thread:{thread.pk}"

    async def held_poll():
        from asgiref.testing import ApplicationCommunicator

        body = json.dumps({"topics": {topic: 0}, "wait": 10}).encode()
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/api/realtime/poll/",
            "query_string": b"",
            "headers": [
                (b"authorization", f"Token {key}".encode()),
                (b"content-type", b"application/json"),
                (b"host", b"testserver"),
            ],
        }
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": body})
        start = await communicator.receive_output(timeout=15)
        chunk = await communicator.receive_output(timeout=5)
        return start["status"], json.loads(chunk["body"])

    poll = asyncio.ensure_future(held_poll())
    await asyncio.sleep(0.5)  # let the poll reach its wait
    assert not poll.done()
    await db(Enrollment.objects.filter(pk=enrollment.pk).delete)()
    await db(thread_message_post)(thread=thread, sender=course.instructor, content="secret")
    status, body = await poll
    assert status == 403 and body["code"] == "forbidden"
    assert "secret" not in json.dumps(body)


# 4. Deleted content is gone from replay


def _thread_with_message(content: str):
    course = CourseFactory()
    thread = ThreadFactory(course=course)
    message = ThreadMessageFactory(thread=thread, content=content)
    return course, thread, message


async def test_deleted_thread_message_is_gone_from_replay_and_poll():
    course, thread, message = await db(_thread_with_message)("delete me please")
    student = await db(UserFactory)()
    topic = f"thread:{thread.pk}"
    async with ws_connect(student) as watcher:
        await db(EnrollmentFactory)(user=student, course=course)
        assert (await watcher.join(topic))["ok"]
        staff = await db(StaffFactory)()
        client = APIClient()
        client.force_authenticate(staff)
        response = await db(client.delete)(f"/api/threads/{thread.pk}/messages/{message.pk}/")
        assert response.status_code == 204
        live = await watcher.next_event(topic, "thread.message_deleted")
        assert live["data"]["id"] == message.pk
    latecomer = await db(UserFactory)()
    await db(EnrollmentFactory)(user=latecomer, course=course)
    async with ws_connect(latecomer) as ws:
        assert (await ws.join(topic, since=0))["ok"]
        replay = [await ws.next_event(topic) for _ in range(2)]
        assert "delete me please" not in json.dumps(replay)
        assert {frame["event"] for frame in replay} == {"thread.message_deleted"}
    poller = APIClient()
    key = await db(lambda: Token.objects.get(user=latecomer).key)()
    poller.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    polled = await db(poller.post)(
        "/api/realtime/poll/", {"topics": {topic: 0}, "wait": 0}, format="json"
    )
    assert polled.status_code == 200
    assert "delete me please" not in polled.content.decode()
    assert not await db(Event.objects.filter(data__content="delete me please").exists)()


@pytest.mark.django_db(transaction=True)
def test_deleted_direct_message_is_gone_from_both_users_replay():
    sender, recipient = StaffFactory(), UserFactory()
    message = direct_message_send(sender=sender, recipient=recipient, content="private words")
    DirectMessage.objects.filter(pk=message.pk).delete()  # a queryset delete still signals
    for user in (sender, recipient):
        events = Event.objects.filter(topic=f"user:{user.pk}")
        assert "private words" not in json.dumps(list(events.values_list("data", flat=True)))
        names = list(events.values_list("event", flat=True))
        assert names.count("dm.deleted") == 2
        # The recipient was away: the notification that quoted the message went with it.
        assert set(names) <= {"dm.deleted", "notification.deleted"}
        assert ("notification.deleted" in names) == (user == recipient)


# 7. Abuse cannot crowd others out


NON_CANONICAL = [
    "user:03",
    "user:0",
    "thread:1\n",
    "user:\u0663",
    "course:1 ",
    "leaderboard:course:01",
]


@pytest.mark.parametrize("topic", NON_CANONICAL)
async def test_non_canonical_topic_names_are_unknown(topic):
    user = await db(UserFactory)()
    async with ws_connect(user) as ws:
        reply = await ws.join(topic)
        assert reply["ok"] is False and reply["error"]["code"] == "unknown_topic"


async def test_track_is_throttled_per_topic():
    staff = await db(StaffFactory)()
    owner = await db(UserFactory)()
    thread = await db(ThreadFactory)(course=await db(CourseFactory)(instructor=staff))
    await db(EnrollmentFactory)(user=owner, course=thread.course)
    topic = f"thread:{thread.pk}"
    async with ws_connect(owner) as flooder, ws_connect(staff) as reader:
        await flooder.join(topic)
        await reader.join(topic)
        replies = [
            await flooder.request({"op": "track", "topic": topic, "meta": {"n": n}})
            for n in range(50)
        ]
        assert replies[0]["ok"] is True
        limited = [r for r in replies if not r["ok"]]
        assert len(limited) >= 48 and limited[0]["error"]["code"] == "rate_limited"
        presence = []
        while not await reader.communicator.receive_nothing(timeout=0.3):
            frame = json.loads(await reader.communicator.receive_from())
            if frame["op"] == "presence":
                presence.append(frame)
        presence += [f for f in reader.backlog if f["op"] == "presence"]
        assert len(presence) <= 3  # the reader's own state, and one join: not fifty


async def test_sockets_per_user_are_capped(settings):
    settings.REALTIME_MAX_SOCKETS_PER_USER = 3
    user = await db(UserFactory)()
    async with ws_connect(user) as a, ws_connect(user) as b, ws_connect(user) as c:
        async with ws_connect(user) as extra:
            error = await extra.receive_until(lambda f: f["op"] == "error")
            assert error["error"]["code"] == "rate_limited"
            assert (await next_close(extra))["code"] == 4429
        for ws in (a, b, c):
            assert (await ws.join(f"user:{user.pk}"))["ok"]
    async with ws_connect(user) as again:  # closed sockets no longer count
        assert (await again.join(f"user:{user.pk}"))["ok"]


async def test_joins_are_limited_per_user_across_sockets(settings):
    settings.REALTIME_USER_JOIN_RATE = (10, 10)
    user = await db(UserFactory)()
    topic = f"user:{user.pk}"
    async with ws_connect(user) as a, ws_connect(user) as b:
        answers = [await (a if n % 2 else b).join(topic) for n in range(14)]
    assert [r["ok"] for r in answers] == [True] * 10 + [False] * 4
    assert answers[-1]["error"]["code"] == "rate_limited"


async def test_presence_state_for_a_late_joiner_is_bounded(settings):
    from lms.realtime.presence import get_presence

    settings.REALTIME_PRESENCE_STATE_LIMIT = 5
    staff = await db(StaffFactory)()
    thread = await db(ThreadFactory)()
    topic = f"thread:{thread.pk}"
    presence = get_presence(id(asyncio.get_running_loop()))
    for n in range(1, 31):
        user = {"id": 10_000 + n, "name": f"u{n}", "avatar": ""}
        await presence.track(topic, f"other:{n}", user, {})
    async with ws_connect(staff) as ws:
        await ws.join(topic)
        state = await ws.receive_until(lambda f: f["op"] == "presence" and "state" in f)
        assert len(state["state"]) == 5 and state["count"] == 30


# 9. The Origin check compares scheme, host and port


@pytest.mark.parametrize(
    "origin, accepted",
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.0.0.1:9999", False),
        ("https://127.0.0.1:8000", False),
        ("http://127.0.0.1", False),
        ("http://evil.example:8000", False),
    ],
)
async def test_origin_must_match_the_sites_scheme_host_and_port(origin, accepted):
    user = await db(UserFactory)()
    headers = [h for h in await session_headers(user) if h[0] != b"origin"]
    headers += [(b"origin", origin.encode()), (b"host", b"127.0.0.1:8000")]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect()
    if connected:
        await communicator.disconnect()
    assert connected is accepted


async def test_origin_over_tls_proxy_is_https(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    user = await db(UserFactory)()
    headers = [h for h in await session_headers(user) if h[0] != b"origin"]
    headers += [
        (b"origin", b"https://127.0.0.1:8000"),
        (b"host", b"127.0.0.1:8000"),
        (b"x-forwarded-proto", b"https"),
    ]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.disconnect()


# 5. Two sites on one Redis server never cross-talk


def test_default_namespace_differs_between_deployments_and_agrees_within_one():
    from lms.settings import default_namespace

    pg = {"ENGINE": "django.db.backends.postgresql", "NAME": "lms", "HOST": "db", "PORT": 5432}
    one = default_namespace(pg, "redis://cache:6379/8")
    assert one == default_namespace(dict(pg), "redis://cache:6379/8")
    assert one != default_namespace(pg, "redis://cache:6379/11")
    assert one != default_namespace({**pg, "NAME": "other"}, "redis://cache:6379/8")


async def _inject(topic: str, seq: int, site: str, text: str) -> None:
    from channels.layers import get_channel_layer

    from lms.realtime.events import event_frame, group_for

    frame = event_frame(topic, "dm.created", seq, {"content": text})
    message = {"type": "rt.event", "topic": topic, "id": seq, "frame": frame, "site": site}
    await get_channel_layer().group_send(group_for(topic), {**message, "ts": 0})


async def test_a_frame_of_another_site_is_never_delivered():
    user = await db(UserFactory)()
    sender = await db(StaffFactory)()
    topic = f"user:{user.pk}"
    async with ws_connect(user) as ws:
        assert (await ws.join(topic))["ok"]
        await _inject(topic, 1, "another-site", "foreign")
        await ws.assert_silent(topic)
        await db(direct_message_send)(sender=sender, recipient=user, content="ours")
        event = await ws.next_event(topic)
        assert (event["id"], event["data"]["content"]) == (1, "ours")


async def test_an_id_missing_from_this_sites_store_is_not_delivered_and_skips_nothing():
    """Even with this site's id, a frame whose id is not in the event store is dropped."""
    from lms.realtime.events import site_id

    user = await db(UserFactory)()
    sender = await db(StaffFactory)()
    topic = f"user:{user.pk}"
    async with ws_connect(user) as ws:
        assert (await ws.join(topic))["ok"]
        await _inject(topic, 50, await db(site_id)(), "unverifiable")
        await ws.assert_silent(topic)
        for n in range(3):
            await db(direct_message_send)(sender=sender, recipient=user, content=f"ours {n}")
        events = await ws.events(3, topic)
        assert [e["id"] for e in events] == [1, 2, 3]
        assert [e["data"]["content"] for e in events] == ["ours 0", "ours 1", "ours 2"]

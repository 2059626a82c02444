"""Discussions over the websocket and the polling fallback: the same rules as the API."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from discussions import services
from discussions.serializers import DirectMessageSerializer, ThreadMessageSerializer
from lms.catalog.models import Enrollment
from lms.catalog.services import enrollment_delete
from lms.realtime.events import revoke
from tests.discussions.conftest import ROLES
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

JOIN_EXPECTED = {
    ("enrolled", True): True,
    ("enrolled", False): False,
    ("unenrolled", True): False,
    ("unenrolled", False): False,
    ("instructor", True): True,
    ("instructor", False): True,
    ("staff", True): True,
    ("staff", False): True,
}


def presence_with(user_id, key):
    return lambda f: f.get("op") == "presence" and str(user_id) in f.get(key, {})


@database_sync_to_async
def post(thread, sender, content):
    message = services.thread_message_post(thread=thread, sender=sender, content=content)
    return ThreadMessageSerializer(message).data


@pytest.mark.parametrize("active", [True, False], ids=["active", "closed"])
@pytest.mark.parametrize("role", ROLES)
async def test_thread_topic_join_per_role(cast, active_thread, closed_thread, role, active):
    thread = active_thread if active else closed_thread
    user = cast.user(role)
    if user is None:
        async with ws_connect(None, expect_accept=False) as ws:
            assert ws is not None
        return
    async with ws_connect(user) as ws:
        reply = await ws.join(f"thread:{thread.pk}")
        assert reply["ok"] is JOIN_EXPECTED[(role, active)]
        if reply["ok"]:
            assert reply["data"]["thread"]["id"] == thread.pk
            assert reply["data"]["thread"]["is_active"] is active
        else:
            assert reply["error"]["code"] == "forbidden"


async def test_unknown_thread_is_forbidden(cast):
    async with ws_connect(cast.staff) as ws:
        reply = await ws.join("thread:987654")
        assert reply["ok"] is False


async def test_posted_message_reaches_joined_members_in_the_rest_shape(cast, active_thread):
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.enrolled) as student, ws_connect(cast.instructor) as teacher:
        await student.join(topic)
        await teacher.join(topic)
        sent = await post(active_thread, cast.creator, "<script>alert(1)</script>")
        for ws in (student, teacher):
            frame = await ws.next_event(topic, "thread.message")
            assert frame["data"] == json.loads(json.dumps(sent))
            assert frame["data"]["content"] == "<script>alert(1)</script>"
            assert frame["data"]["sender"]["id"] == cast.creator.pk


async def test_closing_a_thread_stops_delivery_to_students_at_once(cast, active_thread):
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.enrolled) as student, ws_connect(cast.instructor) as teacher:
        assert (await student.join(topic))["ok"]
        await teacher.join(topic)
        await database_sync_to_async(services.thread_update)(
            thread=active_thread, actor=cast.instructor, is_active=False
        )
        notice = await student.receive_until(
            lambda f: f["op"] == "error" and f.get("topic") == topic
        )
        assert notice["error"]["code"] == "forbidden"
        # The close itself may reach the student (it tells their page why); nothing after it.
        before_revocation = [f for f in student.backlog if f.get("op") == "event"]
        assert all(f["event"] == "thread.updated" for f in before_revocation)
        student.backlog.clear()
        updated = await teacher.next_event(topic, "thread.updated")
        assert updated["data"]["is_active"] is False
        await post(active_thread, cast.instructor, "after the close")
        assert (await teacher.next_event(topic, "thread.message"))["data"]["content"] == (
            "after the close"
        )
        await student.assert_silent(topic)
        assert (await student.join(topic))["ok"] is False


async def test_losing_enrollment_stops_delivery(cast, active_thread):
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.enrolled) as student:
        assert (await student.join(topic))["ok"]

        @database_sync_to_async
        def unenroll():
            enrollment_delete(enrollment=Enrollment.objects.get(user=cast.enrolled))

        await unenroll()
        notice = await student.receive_until(lambda f: f["op"] == "error")
        assert notice["topic"] == topic
        await post(active_thread, cast.instructor, "not for you")
        await student.assert_silent(topic)


async def test_revocation_by_course_matches_the_thread_grant(cast, active_thread):
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.enrolled) as student:
        await student.join(topic)
        await database_sync_to_async(revoke)(user_ids=[cast.enrolled.pk], course_id=cast.course.pk)
        notice = await student.receive_until(lambda f: f["op"] == "error")
        assert notice["topic"] == topic


async def test_rename_and_delete_events(cast, active_thread):
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.enrolled) as student:
        await student.join(topic)
        sent = await post(active_thread, cast.enrolled, "oops")
        await student.next_event(topic, "thread.message")

        @database_sync_to_async
        def moderate():
            from discussions.models import ThreadMessage

            services.thread_update(thread=active_thread, actor=cast.creator, title="Renamed")
            services.thread_message_delete(
                message=ThreadMessage.objects.get(pk=sent["id"]), actor=cast.enrolled
            )

        await moderate()
        renamed = await student.next_event(topic, "thread.updated")
        assert renamed["data"]["title"] == "Renamed"
        deleted = await student.next_event(topic, "thread.message_deleted")
        assert deleted["data"]["id"] == sent["id"]
        assert deleted["id"] == renamed["id"] + 1


async def test_presence_and_typing_on_a_thread(cast, active_thread):
    topic = f"thread:{active_thread.pk}"
    alice, bob = cast.enrolled, cast.creator
    async with ws_connect(alice) as a, ws_connect(bob) as b:
        assert (await a.join(topic))["ok"]
        tracked = await a.request({"op": "track", "topic": topic, "meta": {"status": "active"}})
        assert tracked["ok"], tracked
        assert (await b.join(topic))["ok"]
        state = await b.receive_until(lambda f: f.get("op") == "presence" and "state" in f)
        assert str(alice.pk) in state["state"], (state, b.backlog)
        assert state["state"][str(alice.pk)]["name"] == alice.display_name
        assert "avatar" in state["state"][str(alice.pk)]
        await b.request({"op": "track", "topic": topic, "meta": {"status": "active"}})
        joined = await a.receive_until(presence_with(bob.pk, "joins"))
        assert joined["joins"][str(bob.pk)]["name"] == bob.display_name
        await b.send({"op": "typing", "topic": topic})
        typing = await a.receive_until(lambda f: f.get("op") == "typing")
        assert typing == {
            "op": "typing",
            "topic": topic,
            "user": {"id": bob.pk, "name": bob.display_name},
        }
        await b.request({"op": "untrack", "topic": topic})
        await a.receive_until(presence_with(bob.pk, "leaves"))


async def test_typing_needs_a_joined_thread(cast, active_thread):
    async with ws_connect(cast.unenrolled) as ws:
        await ws.send({"op": "typing", "topic": f"thread:{active_thread.pk}", "ref": "t"})
        reply = await ws.receive_until(lambda f: f.get("ref") == "t" or f.get("op") == "error")
        assert reply.get("ok") is not True


async def test_new_thread_appears_on_the_course_topic(cast):
    topic = f"course:{cast.course.pk}"
    async with ws_connect(cast.enrolled) as student:
        assert (await student.join(topic))["ok"]

        @database_sync_to_async
        def create():
            return services.thread_create(course=cast.course, created_by=cast.creator, title="New")

        thread = await create()
        frame = await student.next_event(topic, "thread.created")
        assert frame["data"]["id"] == thread.pk
        assert frame["data"]["title"] == "New"


async def test_direct_message_and_read_receipt_reach_both_users(cast):
    alice, bob = cast.enrolled, cast.creator
    async with ws_connect(alice) as a, ws_connect(bob) as b:
        await a.join(f"user:{alice.pk}")
        await b.join(f"user:{bob.pk}")

        @database_sync_to_async
        def send():
            dm = services.direct_message_send(sender=alice, recipient=bob, content="hi bob")
            return DirectMessageSerializer(dm).data

        sent = json.loads(json.dumps(await send()))
        assert (await a.next_event(f"user:{alice.pk}", "dm.created"))["data"] == sent
        assert (await b.next_event(f"user:{bob.pk}", "dm.created"))["data"] == sent
        await database_sync_to_async(services.conversation_mark_read)(user=bob, partner=alice)
        read_by_bob = await b.next_event(f"user:{bob.pk}", "dm.read")
        assert read_by_bob["data"] == {"with": alice.pk, "ids": [sent["id"]], "unread_count": 0}
        seen_by_alice = await a.next_event(f"user:{alice.pk}", "dm.read")
        assert seen_by_alice["data"] == {"with": bob.pk, "ids": [sent["id"]], "unread_count": 0}


async def test_strangers_hear_nothing_of_a_conversation(cast):
    async with ws_connect(cast.unenrolled) as stranger:
        reply = await stranger.join(f"user:{cast.enrolled.pk}")
        assert reply["ok"] is False
        await database_sync_to_async(services.direct_message_send)(
            sender=cast.enrolled, recipient=cast.creator, content="private"
        )
        await stranger.assert_silent()


@pytest.mark.parametrize("active", [True, False], ids=["active", "closed"])
@pytest.mark.parametrize("role", ["enrolled", "unenrolled", "instructor", "staff"])
async def test_polling_follows_the_same_rule(cast, active_thread, closed_thread, role, active):
    thread = active_thread if active else closed_thread
    await post(thread, cast.staff, "polled")
    client = AsyncClient()
    await database_sync_to_async(client.force_login)(cast.user(role))
    response = await client.post(
        "/api/realtime/poll/",
        json.dumps({"topics": {f"thread:{thread.pk}": 0}, "wait": 0}),
        content_type="application/json",
    )
    if JOIN_EXPECTED[(role, active)]:
        assert response.status_code == 200
        events = json.loads(response.content)["events"]
        assert [e["data"]["content"] for e in events if e["event"] == "thread.message"] == [
            "polled"
        ]
    else:
        assert response.status_code == 403
        assert b"polled" not in response.content


async def test_polling_refuses_anonymous(active_thread):
    response = await AsyncClient().post(
        "/api/realtime/poll/",
        json.dumps({"topics": {f"thread:{active_thread.pk}": 0}, "wait": 0}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)

"""Moderation over the websocket: hidden messages leave live pages, the queue is live,
mutes and blocks reach the right sockets only."""

import pytest
from channels.db import database_sync_to_async

from discussions import moderation, services
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_hidden_message_leaves_live_pages_and_replays(cast, active_thread):
    message = await database_sync_to_async(services.thread_message_post)(
        thread=active_thread, sender=cast.creator, content="secret words"
    )
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.enrolled) as ws:
        await ws.join(topic)
        await database_sync_to_async(moderation.message_hide)(
            message=message, actor=cast.instructor
        )
        hidden = await ws.next_event(topic, "thread.message.hidden")
        assert hidden["data"] == {"id": message.pk, "thread": active_thread.pk}
    async with ws_connect(cast.enrolled) as ws:
        await ws.join(topic, since=0)
        frames = await ws.events(1, topic)
        assert "secret words" not in str(frames)
        assert frames[0]["event"] == "thread.message.hidden"


async def test_the_queue_hears_new_reports_only_for_its_moderators(cast, active_thread):
    message = await database_sync_to_async(services.thread_message_post)(
        thread=active_thread, sender=cast.creator, content="rude"
    )
    topic = f"moderation:{cast.course.pk}"
    async with ws_connect(cast.enrolled) as ws:
        assert (await ws.join(topic))["ok"] is False
    async with ws_connect(cast.instructor) as ws:
        assert (await ws.join(topic))["ok"] is True
        await database_sync_to_async(moderation.message_report)(
            message=message, reporter=cast.enrolled, reason="Too rude"
        )
        frame = await ws.next_event(topic, "moderation.report")
        assert frame["data"]["message"]["id"] == message.pk
        assert frame["data"]["reports"][0]["reason"] == "Too rude"
        assert frame["data"]["reporters_count"] == 1
        await database_sync_to_async(moderation.reports_dismiss)(message=message, actor=cast.staff)
        resolved = await ws.next_event(topic, "moderation.resolved")
        assert resolved["data"] == {"message": message.pk, "status": "dismissed"}


async def test_a_muted_student_is_told_on_their_topic(cast):
    topic = f"user:{cast.enrolled.pk}"
    async with ws_connect(cast.enrolled) as ws:
        await ws.join(topic)
        mute = await database_sync_to_async(moderation.course_mute)(
            course=cast.course, user=cast.enrolled, actor=cast.instructor, minutes=60, reason="calm"
        )
        frame = await ws.next_event(topic, "discussion.muted")
        assert frame["data"]["course"] == cast.course.pk
        assert frame["data"]["reason"] == "calm"
        assert frame["data"]["until"].startswith(mute.until.strftime("%Y-%m-%dT%H:%M"))
        await database_sync_to_async(moderation.course_unmute)(
            course=cast.course, user=cast.enrolled, actor=cast.instructor
        )
        frame = await ws.next_event(topic, "discussion.unmuted")
        assert frame["data"] == {"course": cast.course.pk}


async def test_a_blocked_pair_loses_the_conversation_topic(cast):
    alice, bob = cast.enrolled, cast.creator
    low, high = sorted((alice.pk, bob.pk))
    topic = f"conversation:{low}-{high}"
    async with ws_connect(bob) as ws:
        assert (await ws.join(topic))["ok"] is True
        await ws.join(f"user:{bob.pk}")
        await database_sync_to_async(moderation.user_block)(blocker=alice, blocked=bob)
        await ws.assert_silent(f"user:{bob.pk}")
    async with ws_connect(bob) as ws:
        assert (await ws.join(topic))["ok"] is False

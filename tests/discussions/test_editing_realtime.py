"""Edits over the websocket: live updates, and replays that hold the current text only."""

import pytest
from channels.db import database_sync_to_async

from discussions import editing, services
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


async def test_an_edit_reaches_the_thread_live_and_replays_hold_only_the_new_text(
    cast, active_thread
):
    message = await database_sync_to_async(services.thread_message_post)(
        thread=active_thread, sender=cast.enrolled, content="the first draft"
    )
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.creator) as ws:
        await ws.join(topic)
        await database_sync_to_async(editing.thread_message_edit)(
            message=message, editor=cast.enrolled, content="the final text"
        )
        frame = await ws.next_event(topic, "thread.message.updated")
        assert frame["data"]["id"] == message.pk
        assert frame["data"]["content"] == "the final text"
        assert frame["data"]["edited_at"]
        assert frame["data"]["sender"]["id"] == cast.enrolled.pk
    async with ws_connect(cast.creator) as ws:
        await ws.join(topic, since=0)
        frames = await ws.events(2, topic)
        assert [f["event"] for f in frames] == ["thread.message", "thread.message.updated"]
        assert all(f["data"]["content"] == "the final text" for f in frames)
        assert "first draft" not in str(frames)


async def test_a_direct_message_edit_reaches_both_sides(cast):
    message = await database_sync_to_async(services.direct_message_send)(
        sender=cast.enrolled, recipient=cast.creator, content="see you at 5"
    )
    async with ws_connect(cast.enrolled) as sender_ws, ws_connect(cast.creator) as recipient_ws:
        await sender_ws.join(f"user:{cast.enrolled.pk}")
        await recipient_ws.join(f"user:{cast.creator.pk}")
        await database_sync_to_async(editing.direct_message_edit)(
            message=message, editor=cast.enrolled, content="see you at 6"
        )
        for ws, user in ((sender_ws, cast.enrolled), (recipient_ws, cast.creator)):
            frame = await ws.next_event(f"user:{user.pk}", "dm.updated")
            assert frame["data"]["content"] == "see you at 6"
    async with ws_connect(cast.creator) as ws:
        await ws.join(f"user:{cast.creator.pk}", since=0)
        frames = await ws.events(2, f"user:{cast.creator.pk}")
        assert "at 5" not in str(frames)

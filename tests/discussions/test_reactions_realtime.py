"""Reactions over the websocket, and under concurrent requests (PostgreSQL)."""

import threading

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from discussions import reacting, services
from discussions.models import Reaction
from lms.realtime.models import Event
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_reaction_reaches_the_thread_live(cast, active_thread):
    message = await database_sync_to_async(services.thread_message_post)(
        thread=active_thread, sender=cast.creator, content="hi"
    )
    topic = f"thread:{active_thread.pk}"
    async with ws_connect(cast.creator) as ws:
        await ws.join(topic)
        await database_sync_to_async(reacting.reaction_set)(
            message=message, user=cast.enrolled, emoji="heart", on=True
        )
        frame = await ws.next_event(topic, "thread.message.reactions")
        assert frame["data"]["id"] == message.pk
        assert frame["data"]["actor"] == cast.enrolled.pk
        assert frame["data"]["emoji"] == "\u2764\ufe0f" and frame["data"]["reacted"] is True
        [entry] = frame["data"]["reactions"]
        assert entry["count"] == 1 and entry["user_ids"] == [cast.enrolled.pk]


def test_concurrent_reactions_of_one_user_make_one_row(cast, active_thread, postgres):
    message = services.thread_message_post(thread=active_thread, sender=cast.creator, content="x")
    users = [cast.enrolled] * 4 + [cast.instructor] * 4
    barrier = threading.Barrier(len(users))
    errors = []

    def react(user):
        try:
            barrier.wait(30)
            reacting.reaction_set(message=message, user=user, emoji="thumbs_up", on=True)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=react, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), "a reaction is stuck"
    assert errors == []
    assert Reaction.objects.filter(message=message).count() == 2
    events = Event.objects.filter(event="thread.message.reactions").order_by("seq")
    assert [e.data["reactions"][0]["count"] for e in events] == [1, 2]

"""Read positions and new messages, live: `thread.read` on my topic, `thread.activity` on
the course's."""

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from discussions import services
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def post(thread, sender, content="Hello"):
    return services.thread_message_post(thread=thread, sender=sender, content=content).pk


@database_sync_to_async
def read(user, thread, last_read_id):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"/api/threads/{thread.pk}/read/", {"last_read_id": last_read_id})


async def test_my_other_tabs_hear_that_i_read(cast, active_thread):
    first = await post(active_thread, cast.creator)
    second = await post(active_thread, cast.creator)
    async with ws_connect(cast.enrolled) as ws:
        assert (await ws.join(f"user:{cast.enrolled.pk}"))["ok"]
        assert (await read(cast.enrolled, active_thread, first)).status_code == 200
        event = await ws.next_event(f"user:{cast.enrolled.pk}", "thread.read")
        assert event["data"] == {
            "thread": active_thread.pk,
            "course": cast.course.pk,
            "last_read_id": first,
            "unread": 1,
            "first_unread_id": second,
        }
        # Not moved (backward): nothing is said.
        assert (await read(cast.enrolled, active_thread, first)).status_code == 200
        await ws.assert_silent(f"user:{cast.enrolled.pk}")


async def test_the_course_hears_of_new_messages_without_their_content(cast, active_thread):
    async with ws_connect(cast.enrolled) as ws:
        assert (await ws.join(f"course:{cast.course.pk}"))["ok"]
        message = await post(active_thread, cast.creator, "Secret content")
        event = await ws.next_event(f"course:{cast.course.pk}", "thread.activity")
        assert event["data"]["thread"] == active_thread.pk
        assert event["data"]["course"] == cast.course.pk
        assert event["data"]["message"] == message
        assert event["data"]["sender"] == cast.creator.pk
        assert "Secret content" not in str(event)


async def test_closed_threads_activity_is_not_told_to_the_course(cast, closed_thread):
    async with ws_connect(cast.enrolled) as ws:
        assert (await ws.join(f"course:{cast.course.pk}"))["ok"]
        await post(closed_thread, cast.instructor)
        await ws.assert_silent(f"course:{cast.course.pk}")

"""The realtime topic of the discussions app: `thread:{id}`, with presence and typing."""

from __future__ import annotations

from typing import Any

from discussions import permissions, selectors
from discussions.serializers import ThreadSerializer
from lms.catalog.models import User
from lms.realtime.registry import ID, Grant, Topic, register


def thread_topic(thread_id: int) -> str:
    return f"thread:{thread_id}"


def thread_authorize(user: User, *, thread_id: int) -> Grant | None:
    """Who may hold `thread:{id}`: exactly `thread_access`."""
    thread = selectors.thread_find(thread_id=thread_id)
    return None if thread is None else permissions.thread_access(user, thread)


def thread_join_data(user: User, *, thread_id: int) -> dict[str, Any]:
    """The thread, and what the joining user may do in it."""
    thread = selectors.thread_find(thread_id=thread_id)
    if thread is None:
        return {}
    return {
        "thread": ThreadSerializer(thread).data,
        "can_post": permissions.thread_can_post(user, thread),
        "can_moderate": permissions.thread_can_moderate(user, thread),
    }


register(
    Topic(
        name="thread",
        pattern=rf"thread:(?P<thread_id>{ID})",
        authorize=thread_authorize,
        join_data=thread_join_data,
        persistent=True,
        presence=True,
    )
)

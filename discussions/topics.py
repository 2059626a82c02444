"""The realtime topics of the discussions app, with presence and typing: `thread:{id}`, and
`conversation:{low id}-{high id}` for the two people of a conversation."""

from __future__ import annotations

from typing import Any

from discussions import permissions, selectors
from discussions.serializers import ThreadSerializer
from lms.catalog.models import User
from lms.realtime.presence import user_is_online
from lms.realtime.registry import ID, Grant, Role, Topic, register


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


def conversation_topic(user_id: int, other_id: int) -> str:
    """The topic of the conversation between two users: lower id first."""
    low, high = sorted((user_id, other_id))
    return f"conversation:{low}-{high}"


def conversation_authorize(user: User, *, low: int, high: int) -> Grant | None:
    """The two people of the conversation, while one may message the other (as sending does)."""
    if user.pk not in (low, high):
        return None
    partner = User.objects.filter(pk=high if user.pk == low else low).first()
    if partner is None or not permissions.dm_can_message(user, partner):
        return None
    return Grant(role=Role.MEMBER)


def conversation_join_data(user: User, *, low: int, high: int) -> dict[str, Any]:
    """The partner, and whether they have the site open (presence here shows who is on the page)."""
    partner_id = high if user.pk == low else low
    return {"partner": partner_id, "partner_online": user_is_online(partner_id)}


register(
    Topic(
        name="conversation",
        pattern=rf"conversation:(?P<low>{ID})-(?P<high>{ID})",
        canonical=lambda low, high: low < high,
        authorize=conversation_authorize,
        join_data=conversation_join_data,
        persistent=False,
        presence=True,
    )
)


def moderation_topic(course_id: int) -> str:
    """The topic of a course's moderators: new reports and their resolution, live."""
    return f"moderation:{course_id}"


def moderation_authorize(user: User, *, course_id: int) -> Grant | None:
    """The course's moderators: exactly `can_moderate`."""
    if not permissions.can_moderate(user, course_id):
        return None
    return Grant(role=Role.STAFF if user.is_staff else Role.INSTRUCTOR, course_id=course_id)


register(
    Topic(
        name="moderation",
        pattern=rf"moderation:(?P<course_id>{ID})",
        authorize=moderation_authorize,
        # Reports quote messages: nothing stored, so a hidden message is replayed nowhere.
        persistent=False,
    )
)

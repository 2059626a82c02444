"""The `user:{id}` topic: everything addressed to one user (progress, notifications, DMs)."""

from __future__ import annotations

from lms.realtime.registry import ID, Grant, Role, Topic, register
from notifications.selectors import notification_unread_count


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


def user_authorize(user, *, user_id: int) -> Grant | None:
    """Only the user themself may hold their own topic."""
    if user.is_authenticated and user.is_active and user.pk == user_id:
        return Grant(role=Role.OWNER)
    return None


def user_join_data(user, *, user_id: int) -> dict:
    return {"unread_notifications": notification_unread_count(user=user)}


register(
    Topic(
        name="user",
        pattern=rf"user:(?P<user_id>{ID})",
        authorize=user_authorize,
        join_data=user_join_data,
        persistent=True,
    )
)

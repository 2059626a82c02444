"""Every non-trivial read of the notifications app."""

from __future__ import annotations

from django.db.models import QuerySet

from lms.catalog.models import User
from notifications.models import DEFAULT_CHANNELS, Channel, Notification, NotificationPreference


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    notifications = Notification.objects.filter(user=user)
    if unread:
        notifications = notifications.filter(is_read=False)
    return notifications.order_by("-created_at", "-id")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()


def notification_channels(*, user: User) -> dict[str, str]:
    """The user's channel for every kind: their choice, or the default."""
    channels = {kind: channel.value for kind, channel in DEFAULT_CHANNELS.items()}
    channels.update(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return channels


def notification_channel(*, user_id: int, kind: str) -> str:
    """The user's channel for one kind (one query)."""
    chosen = (
        NotificationPreference.objects.filter(user_id=user_id, kind=kind)
        .values_list("channel", flat=True)
        .first()
    )
    return chosen or DEFAULT_CHANNELS.get(kind, Channel.SITE).value

"""Every non-trivial read of the notifications app."""

from __future__ import annotations

from django.db.models import QuerySet

from lms.catalog.models import User
from notifications.models import Notification


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    notifications = Notification.objects.filter(user=user)
    if unread:
        notifications = notifications.filter(is_read=False)
    return notifications.order_by("-created_at", "-id")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()

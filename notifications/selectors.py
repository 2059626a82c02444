"""Every non-trivial read of the notifications app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from lms.catalog.models import Course, User
from notifications.models import (
    DEFAULT_CHANNELS,
    Announcement,
    Channel,
    DigestRun,
    Kind,
    Notification,
    NotificationPreference,
)


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    notifications = Notification.objects.filter(user=user)
    if unread:
        notifications = notifications.filter(is_read=False)
    return notifications.order_by("-created_at", "-id")


def announcement_list(*, course: Course) -> QuerySet[Announcement]:
    """The course's announcements, newest first, with their authors."""
    return (
        Announcement.objects.filter(course=course)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def notification_unread_count(*, user: User) -> int:
    """The bell's count. Written out: every page, every join of `user:{id}` and every
    read reads it, and the ORM took longer to build the query than to run it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {connection.ops.quote_name(Notification._meta.db_table)} "
            f"WHERE user_id = %s AND NOT is_read",
            [user.pk],
        )
        return cursor.fetchone()[0]


def notification_channels(*, user: User) -> dict[str, str]:
    """The user's channel for every kind: their choice, or the default."""
    channels = {kind: channel.value for kind, channel in DEFAULT_CHANNELS.items()}
    channels.update(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return channels


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    channel: str
    default: str


def notification_preference_rows(*, user: User) -> list[PreferenceRow]:
    """Every kind, in order, with the user's channel and the default (one query)."""
    channels = notification_channels(user=user)
    return [
        PreferenceRow(
            kind=kind,
            label=label,
            channel=channels[kind],
            default=DEFAULT_CHANNELS.get(kind, Channel.SITE).value,
        )
        for kind, label in Kind.choices
    ]


def digest_notifications(
    *, period: str, period_start: datetime, since: datetime, until: datetime
) -> Iterator[tuple[User, list[Notification]]]:
    """Each user due a digest of this period, with what it lists: their unread
    notifications of the kinds they get in the digest, created after their previous
    digest of the period (after `since`, for their first one) and up to `until`.

    Users who already had this period's digest, inactive or deleted users and users
    without an email address are left out. One query, streamed.
    """
    digest_by_default = [
        kind for kind, channel in DEFAULT_CHANNELS.items() if channel == Channel.DIGEST
    ]
    chosen = NotificationPreference.objects.filter(
        user_id=OuterRef("user_id"), kind=OuterRef("kind")
    ).values("channel")[:1]
    previous = (
        DigestRun.objects.filter(user_id=OuterRef("user_id"), period=period)
        .order_by("-covered_until")
        .values("covered_until")[:1]
    )
    notifications = (
        Notification.objects.filter(
            is_read=False,
            created_at__lte=until,
            created_at__gt=Coalesce(Subquery(previous), Value(since)),
            user__is_active=True,
            user__deleted_at__isnull=True,
        )
        .exclude(user__email="")
        .annotate(chosen=Subquery(chosen))
        .filter(Q(chosen=Channel.DIGEST) | Q(chosen__isnull=True, kind__in=digest_by_default))
        .exclude(
            Exists(
                DigestRun.objects.filter(
                    user_id=OuterRef("user_id"), period=period, period_start=period_start
                )
            )
        )
        .select_related("user")
        .order_by("user_id", "created_at", "id")
    )
    user, listed = None, []
    for notification in notifications.iterator(chunk_size=2000):
        if listed and notification.user_id != user.pk:
            yield user, listed
            listed = []
        user = notification.user
        listed.append(notification)
    if listed:
        yield user, listed

"""Every write of the notifications app.

Each event is built in notifications/events.py: single notifications reach it
through their post-save receiver; bulk writes (announcements, marking read),
which fire no signals, call it for the rows they wrote.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from lms.catalog.models import Course, Enrollment, Lesson, User
from lms.catalog.topics import course_topic
from lms.realtime.events import publish
from notifications import events
from notifications.models import (
    Channel,
    Kind,
    Notification,
    NotificationPreference,
    Subscription,
    SubscriptionReminder,
)
from notifications.selectors import notification_channel, notification_unread_count

DEFAULT_REMINDER_DAYS = (7, 3, 1)
TITLE_MAX = 255
MESSAGE_MAX = 4000


def _clean_text(value: str, *, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: "This field may not be blank."})
    if len(text) > limit:
        raise ValidationError({field: f"Ensure this field has no more than {limit} characters."})
    return text


def notification_create(
    *,
    user: User,
    title: str,
    kind: str = Kind.OTHER,
    url: str = "",
    message: str = "",
    type: str = Notification.Type.INFO,
    related_entity_type: str = "",
    related_entity_id: int | None = None,
) -> Notification | None:
    """Create one notification as the user chose for its kind; None if they turned it off.

    `notification.created` goes out on commit (its receiver).
    """
    channel = notification_channel(user_id=user.pk, kind=kind)
    if channel == Channel.OFF:
        return None
    return Notification.objects.create(
        user=user,
        title=title[:TITLE_MAX],
        message=message,
        type=type,
        kind=kind,
        url=url,
        related_entity_type=related_entity_type,
        related_entity_id=related_entity_id,
    )


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read.

    Raises Notification.DoesNotExist for an id that is not the user's. Marking
    an already read notification changes nothing and sends nothing.
    """
    notification = Notification.objects.select_for_update().get(pk=notification_id, user=user)
    if not notification.is_read:
        notification.is_read = True
        notification.save(update_fields=["is_read"])
        _publish_read(user=user, ids=[notification.pk])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: User) -> list[int]:
    """Mark every unread notification of the user read; returns their ids."""
    ids = list(
        Notification.objects.select_for_update()
        .filter(user=user, is_read=False)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if ids:
        Notification.objects.filter(pk__in=ids).update(is_read=True)
        _publish_read(user=user, ids=ids)
    return ids


def _publish_read(*, user: User, ids: list[int]) -> None:
    events.notifications_read(
        user_id=user.pk, ids=ids, unread_count=notification_unread_count(user=user)
    )


# Notifications of the learning cascade (progress.services calls these).


def _success(*, user: User, kind: str, title: str, message: str, url: str, entity) -> Notification:
    return notification_create(
        user=user,
        kind=kind,
        url=url,
        title=title,
        message=message,
        type=Notification.Type.SUCCESS,
        related_entity_type=type(entity).__name__.lower(),
        related_entity_id=entity.pk,
    )


def notify_lesson_completed(*, user: User, lesson: Lesson) -> Notification | None:
    return _success(
        user=user,
        kind=Kind.LESSON_COMPLETED,
        title=f"Lesson completed: {lesson.title}",
        message="Well done. Keep going with the next lesson.",
        url=lesson.get_absolute_url(),
        entity=lesson,
    )


def notify_course_completed(*, user: User, course: Course) -> Notification | None:
    return _success(
        user=user,
        kind=Kind.COURSE_COMPLETED,
        title=f"Course completed: {course.title}",
        message="Congratulations, you finished every module of the course.",
        url=course.get_absolute_url(),
        entity=course,
    )


def notify_certificate_issued(*, user: User, certificate) -> Notification | None:
    return _success(
        user=user,
        kind=Kind.CERTIFICATE_ISSUED,
        title=f"Certificate issued: {certificate.course.title}",
        message=f"Your certificate's verification code is {certificate.verification_code}.",
        url=certificate.get_absolute_url(),
        entity=certificate,
    )


def notify_achievement_unlocked(*, user: User, achievement) -> Notification | None:
    return _success(
        user=user,
        kind=Kind.ACHIEVEMENT_UNLOCKED,
        title=f"Achievement unlocked: {achievement.get_kind_display()}",
        message="A new achievement is on your dashboard.",
        url=reverse("dashboard") + "#achievements-title",
        entity=achievement,
    )


# Subscription reminders.


def subscription_reminder_due(
    *, expires_at: datetime, now: datetime, days: Iterable[int]
) -> int | None:
    """The most imminent reminder due now (days before expiry), or None.

    With reminders at 7, 3 and 1 days and 20 hours left, that is the 1-day
    reminder: a late run never sends a stale 7-day one.
    """
    remaining = expires_at - now
    if remaining <= timedelta(0):
        return None
    due = [d for d in days if remaining <= timedelta(days=d)]
    return min(due) if due else None


def notify_subscription_expiring(
    *, subscription: Subscription, now: datetime
) -> Notification | None:
    days_left = max(1, math.ceil((subscription.expires_at - now).total_seconds() / 86400))
    what = f"Your {subscription.plan} subscription"
    if subscription.course_id:
        what += f" to {subscription.course.title}"
    expiry = timezone.localtime(subscription.expires_at).strftime("%Y-%m-%d %H:%M")
    return notification_create(
        user=subscription.user,
        kind=Kind.SUBSCRIPTION_REMINDER,
        url=subscription.course.get_absolute_url() if subscription.course_id else "",
        title=f"{what} expires in {days_left} day{'s' if days_left != 1 else ''}",
        message=f"It ends on {expiry}. Renew it to keep your access.",
        type=Notification.Type.WARNING,
        related_entity_type="subscription",
        related_entity_id=subscription.pk,
    )


def subscription_reminders_send(
    *, now: datetime | None = None, days: Iterable[int] = DEFAULT_REMINDER_DAYS
) -> list[SubscriptionReminder]:
    """Send the reminders due now; each (subscription, expiry, days-before) at most once.

    Safe to run at any frequency and concurrently: a SubscriptionReminder row
    (unique) is stored in the same transaction as its notification. A renewed
    subscription (new expiry) gets its reminders again.
    """
    days = sorted({int(d) for d in days if int(d) > 0})
    if not days:
        return []
    now = now or timezone.now()
    subscriptions = list(
        Subscription.objects.filter(
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=max(days)),
            user__is_active=True,
        ).select_related("user", "course")
    )
    sent: dict[tuple[int, datetime], list[int]] = {}
    for subscription_id, expires_at, days_before in SubscriptionReminder.objects.filter(
        subscription__in=[s.pk for s in subscriptions]
    ).values_list("subscription_id", "expires_at", "days_before"):
        sent.setdefault((subscription_id, expires_at), []).append(days_before)

    reminders = []
    for subscription in subscriptions:
        due = subscription_reminder_due(expires_at=subscription.expires_at, now=now, days=days)
        if due is None:
            continue
        already = sent.get((subscription.pk, subscription.expires_at), [])
        if any(d <= due for d in already):
            continue  # this one, or a more imminent one, went out already
        try:
            with transaction.atomic():
                reminder = SubscriptionReminder.objects.create(
                    subscription=subscription,
                    expires_at=subscription.expires_at,
                    days_before=due,
                )
                notify_subscription_expiring(subscription=subscription, now=now)
        except IntegrityError:
            continue  # a concurrent run sent it
        reminders.append(reminder)
    return reminders


# Many users at once (announcements, replies in a thread).


def notification_create_many(
    *,
    user_ids: Iterable[int],
    title: str,
    kind: str,
    url: str = "",
    message: str = "",
    type: str = Notification.Type.INFO,
    related_entity_type: str = "",
    related_entity_id: int | None = None,
) -> list[Notification]:
    """One notification for each of these users who did not turn the kind off.

    Written in bulk, which fires no post_save: each row's `notification.created`
    is published here (notifications/events.py), on commit.
    """
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return []
    turned_off = set(
        NotificationPreference.objects.filter(
            user_id__in=user_ids, kind=kind, channel=Channel.OFF
        ).values_list("user_id", flat=True)
    )
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                title=title[:TITLE_MAX],
                message=message,
                type=type,
                kind=kind,
                url=url,
                related_entity_type=related_entity_type,
                related_entity_id=related_entity_id,
            )
            for user_id in user_ids
            if user_id not in turned_off
        ],
        batch_size=1000,
    )
    for notification in notifications:
        events.notification_created(notification)
    return notifications


# Staff announcements.


@transaction.atomic
def announcement_send(*, course: Course, title: str, message: str) -> list[Notification]:
    """Notify every active student enrolled in the course, and tell the course's live pages."""
    title = _clean_text(title, field="title", limit=TITLE_MAX)
    message = _clean_text(message, field="message", limit=MESSAGE_MAX)
    notifications = notification_create_many(
        user_ids=Enrollment.objects.filter(course=course, user__is_active=True).values_list(
            "user_id", flat=True
        ),
        title=title,
        message=message,
        kind=Kind.ANNOUNCEMENT,
        url=course.get_absolute_url(),
        related_entity_type="course",
        related_entity_id=course.pk,
    )
    publish(
        course_topic(course.pk),
        "announcement",
        {
            "course": course.pk,
            "title": title,
            "message": message,
            "created_at": timezone.now(),
        },
    )
    return notifications

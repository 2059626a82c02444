"""Every write of the notifications app.

Each event is built in notifications/events.py. Notifications are written in
bulk, one user's several at once (`notifications_send`) or one notice to many
users (`notification_create_many`), which fires no signals: both call it for
the rows they wrote, as does marking read. The post-save receiver covers a row
saved any other way (the admin).

Emails are rows of the outbox (OutboundEmail), written in the transaction of
what they report and sent after it commits (notifications/outbox.py); what
they say is built in notifications/emails.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from lms.catalog.events import course_topic
from lms.catalog.models import Course, Enrollment, Lesson, User
from lms.catalog.permissions import NOT_A_TEACHER, course_teaching_access
from lms.platform.ratelimit import rate_check
from lms.realtime.events import publish
from notifications import emails, events, outbox
from notifications.models import (
    DEFAULT_CHANNELS,
    MESSAGE_MAX,
    TITLE_MAX,
    Announcement,
    Channel,
    DigestRun,
    Kind,
    Notification,
    NotificationPreference,
    OutboundEmail,
    Subscription,
    SubscriptionReminder,
)
from notifications.selectors import (
    digest_notifications,
    notification_channels,
    notification_unread_count,
)
from notifications.serializers import AnnouncementSerializer

DEFAULT_REMINDER_DAYS = (7, 3, 1)
# Announcements each author may post per window (counted in the shared cache).
ANNOUNCEMENT_RATE_LIMIT = 10
ANNOUNCEMENT_RATE_WINDOW_SECONDS = 3600


def _clean_text(value: str, *, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: "This field may not be blank."})
    if len(text) > limit:
        raise ValidationError({field: f"Ensure this field has no more than {limit} characters."})
    return text


# The email outbox.


def _outbound_email(
    *, user_id: int, to: str, kind: str, content: emails.EmailContent, dedupe_key: str
) -> OutboundEmail:
    return OutboundEmail(
        user_id=user_id,
        to=to,
        kind=kind,
        subject=content.subject,
        text_body=content.text_body,
        html_body=content.html_body,
        headers=content.headers,
        dedupe_key=dedupe_key,
        status=OutboundEmail.Status.PENDING,
        next_attempt_at=timezone.now(),
    )


def email_queue_many(*, outbound: list[OutboundEmail]) -> None:
    """Queue these emails in the caller's transaction; they are sent after it commits.

    A dedupe key already queued is skipped: the same email is never queued twice.
    A rolled-back transaction sends nothing.
    """
    if not outbound:
        return
    OutboundEmail.objects.bulk_create(outbound, batch_size=500, ignore_conflicts=True)
    transaction.on_commit(outbox.email_hand_off, robust=True)


def email_queue(*, user: User, kind: str, content: emails.EmailContent, dedupe_key: str) -> None:
    """Queue one email to the user (nothing for an inactive or deleted user, or one
    without an address); sent after the caller's transaction commits."""
    if not emails.email_recipient(user):
        return
    email_queue_many(
        outbound=[
            _outbound_email(
                user_id=user.pk, to=user.email, kind=kind, content=content, dedupe_key=dedupe_key
            )
        ]
    )


@transaction.atomic
def email_requeue(*, email_ids: Iterable[int]) -> int:
    """Staff: send these emails again (failed ones, or ones left `sending` by a process
    that stopped mid-send and so may have gone out). Sent emails are left alone."""
    count = (
        OutboundEmail.objects.filter(pk__in=list(email_ids))
        .exclude(status=OutboundEmail.Status.SENT)
        .update(
            status=OutboundEmail.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            last_error="",
        )
    )
    if count:
        transaction.on_commit(outbox.email_hand_off, robust=True)
    return count


def notification_dedupe_key(notification: Notification) -> str:
    return f"notification:{notification.pk}"


# Notifications.


@dataclass(frozen=True)
class Notice:
    """A notification to write (`notifications_send`): what it says and what it is about."""

    kind: str
    title: str
    message: str = ""
    url: str = ""
    type: str = Notification.Type.INFO
    related_entity_type: str = ""
    related_entity_id: int | None = None


@transaction.atomic(savepoint=False)
def notifications_send(*, user: User, notices: list[Notice]) -> list[Notification]:
    """Write these notices to one user, each as they chose for its kind: none for a kind
    turned off; with the email channel, its email queued in the same transaction.

    One query for their choices and one insert, however many notices (a completion's
    cascade writes several); `notification.created` of each goes out on commit, in order.
    """
    if not notices:
        return []
    channels = notification_channels(user=user)
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                title=notice.title[:TITLE_MAX],
                message=notice.message,
                type=notice.type,
                kind=notice.kind,
                url=notice.url,
                related_entity_type=notice.related_entity_type,
                related_entity_id=notice.related_entity_id,
            )
            for notice in notices
            if channels[notice.kind] != Channel.OFF
        ]
    )
    events.notifications_created(notifications)
    by_email = [n for n in notifications if channels[n.kind] == Channel.EMAIL]
    if by_email and emails.email_recipient(user):
        email_queue_many(
            outbound=[
                _outbound_email(
                    user_id=user.pk,
                    to=user.email,
                    kind=notification.kind,
                    content=content,
                    dedupe_key=notification_dedupe_key(notification),
                )
                for notification, content in emails.notification_emails(notifications=by_email)
            ]
        )
    return notifications


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
    """Write one notification as the user chose for its kind; None if they turned it off."""
    notice = Notice(
        kind=kind,
        title=title,
        message=message,
        url=url,
        type=type,
        related_entity_type=related_entity_type,
        related_entity_id=related_entity_id,
    )
    written = notifications_send(user=user, notices=[notice])
    return written[0] if written else None


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


# Notices of the learning cascade (progress.services builds them, `notifications_send` writes them).


def _success(*, kind: str, title: str, message: str, url: str, entity) -> Notice:
    return Notice(
        kind=kind,
        url=url,
        title=title,
        message=message,
        type=Notification.Type.SUCCESS,
        related_entity_type=type(entity).__name__.lower(),
        related_entity_id=entity.pk,
    )


def lesson_completed_notice(*, lesson: Lesson) -> Notice:
    return _success(
        kind=Kind.LESSON_COMPLETED,
        title=f"Lesson completed: {lesson.title}",
        message="Well done. Keep going with the next lesson.",
        url=lesson.get_absolute_url(),
        entity=lesson,
    )


def course_completed_notice(*, course: Course) -> Notice:
    return _success(
        kind=Kind.COURSE_COMPLETED,
        title=f"Course completed: {course.title}",
        message="Congratulations, you finished every module of the course.",
        url=course.get_absolute_url(),
        entity=course,
    )


def certificate_issued_notice(*, certificate) -> Notice:
    return _success(
        kind=Kind.CERTIFICATE_ISSUED,
        title=f"Certificate issued: {certificate.course.title}",
        message=f"Your certificate's verification code is {certificate.verification_code}.",
        url=certificate.get_absolute_url(),
        entity=certificate,
    )


def achievement_unlocked_notice(*, achievement) -> Notice:
    return _success(
        kind=Kind.ACHIEVEMENT_UNLOCKED,
        title=f"Achievement unlocked: {achievement.get_kind_display()}",
        message="A new achievement is on your dashboard.",
        url=reverse("my-progress") + "#achievements",
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


EMAIL_LOOKUP_BATCH = 1000


def _email_recipients(user_ids: list[int]) -> dict[int, str]:
    """The address of each of these users who gets emails (active, not deleted)."""
    recipients: dict[int, str] = {}
    for start in range(0, len(user_ids), EMAIL_LOOKUP_BATCH):
        recipients.update(
            User.objects.filter(
                pk__in=user_ids[start : start + EMAIL_LOOKUP_BATCH],
                is_active=True,
                deleted_at__isnull=True,
            )
            .exclude(email="")
            .values_list("pk", "email")
        )
    return recipients


@transaction.atomic(savepoint=False)
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
    """One notification for each of these users who did not turn the kind off, and an
    email to those whose channel for the kind is email.

    Written in bulk, which fires no post_save: each row's `notification.created`
    is published here (notifications/events.py), on commit.
    """
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return []
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "channel"
        )
    )
    default = DEFAULT_CHANNELS.get(kind, Channel.SITE)
    turned_off = {user_id for user_id, channel in chosen.items() if channel == Channel.OFF}
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
    events.notifications_created(notifications)
    by_email = [n.user_id for n in notifications if chosen.get(n.user_id, default) == Channel.EMAIL]
    recipients = _email_recipients(by_email)
    email_queue_many(
        outbound=[
            _outbound_email(
                user_id=notification.user_id,
                to=recipients[notification.user_id],
                kind=kind,
                content=content,
                dedupe_key=notification_dedupe_key(notification),
            )
            for notification, content in emails.notification_emails(
                notifications=[n for n in notifications if n.user_id in recipients]
            )
        ]
    )
    return notifications


# Announcements.


def _announcement_minutes(retry_after: int) -> str:
    minutes = math.ceil(retry_after / 60)
    return (
        f"You have posted {ANNOUNCEMENT_RATE_LIMIT} announcements in the last hour. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


def _announcement_rate_check(*, author_id: int) -> None:
    """Count one announcement of the author, or raise RateLimited when the hour's window
    is full."""
    rate_check(
        key=f"notifications:announcerate:{author_id}",
        limit=ANNOUNCEMENT_RATE_LIMIT,
        window_seconds=ANNOUNCEMENT_RATE_WINDOW_SECONDS,
        scope="announcements",
        message=_announcement_minutes,
    )


@transaction.atomic
def announcement_send(
    *, course: Course, author: User, title: str, message: str
) -> tuple[Announcement, list[Notification]]:
    """Post an announcement to the course: store it, notify every active student enrolled
    in it (each per their preference for announcements), and tell the course's live pages.

    Only the course's instructor and staff may (PermissionDenied otherwise); each author
    posts at most ANNOUNCEMENT_RATE_LIMIT per hour (RateLimited). Returns the announcement
    and the notifications written.
    """
    title = _clean_text(title, field="title", limit=TITLE_MAX)
    message = _clean_text(message, field="message", limit=MESSAGE_MAX)
    if course_teaching_access(user=author, course_id=course.pk) is None:
        raise PermissionDenied(NOT_A_TEACHER)
    _announcement_rate_check(author_id=author.pk)
    announcement = Announcement.objects.create(
        course=course, author=author, title=title, message=message
    )
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
    publish(course_topic(course.pk), "announcement", AnnouncementSerializer(announcement).data)
    return announcement, notifications


# Preferences.


@transaction.atomic
def notification_preferences_set(*, user: User, preferences: Mapping[str, str]) -> list[str]:
    """Set the user's channel for these kinds; the kinds that changed.

    An unknown kind or channel is a ValidationError, and nothing changes.
    """
    if not isinstance(preferences, Mapping):
        raise ValidationError({"preferences": "Send an object of kind: channel."})
    errors = []
    for kind, channel in preferences.items():
        if kind not in Kind.values:
            errors.append(f"Unknown kind: {kind!s:.50}.")
        elif channel not in Channel.values:
            errors.append(
                f"Unknown channel for {kind}: {channel!s:.50} (one of {', '.join(Channel.values)})."
            )
    if errors:
        raise ValidationError({"preferences": errors})
    current = notification_channels(user=user)
    changed = {kind: channel for kind, channel in preferences.items() if current[kind] != channel}
    if changed:
        NotificationPreference.objects.bulk_create(
            [
                NotificationPreference(user=user, kind=kind, channel=channel)
                for kind, channel in changed.items()
            ],
            update_conflicts=True,
            unique_fields=["user", "kind"],
            update_fields=["channel"],
        )
    return sorted(changed)


# Unsubscribing from emails (the signed link of every email).


@transaction.atomic
def notification_unsubscribe(*, user: User, kind: str) -> list[str]:
    """Stop the emails of one kind (or, for "digest", the digest): what was sent by email
    or in the digest is shown in the site only. The kinds that changed."""
    channels = notification_channels(user=user)
    if kind == emails.DIGEST:
        kinds = [k for k, channel in channels.items() if channel == Channel.DIGEST]
    elif channels.get(kind) in (Channel.EMAIL, Channel.DIGEST):
        kinds = [kind]
    else:
        kinds = []
    return notification_preferences_set(
        user=user, preferences=dict.fromkeys(kinds, Channel.SITE.value)
    )


# Digests.

DIGEST_PERIODS = {
    DigestRun.Period.DAILY: timedelta(days=1),
    DigestRun.Period.WEEKLY: timedelta(days=7),
}


def digest_period_start(*, period: str, now: datetime) -> datetime:
    """The start of the period `now` is in: local midnight (of the Monday, for weekly)."""
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == DigestRun.Period.WEEKLY:
        start -= timedelta(days=start.weekday())
    return start


def digests_send(*, period: str = DigestRun.Period.DAILY, now: datetime | None = None) -> int:
    """Email each user one digest of their unread notifications of the kinds they get in
    the digest, created since their previous digest (the last period, for the first);
    the number queued. Nothing to say: no email.

    Once per user and period: the DigestRun row (unique) is stored in the same
    transaction as the email, so running twice, or twice at once, sends one.
    """
    if period not in DIGEST_PERIODS:
        raise ValidationError({"period": f"Use one of {', '.join(DIGEST_PERIODS)}."})
    now = now or timezone.now()
    period_start = digest_period_start(period=period, now=now)
    label = DigestRun.Period(period).label
    queued = 0
    for user, notifications in digest_notifications(
        period=period,
        period_start=period_start,
        since=now - DIGEST_PERIODS[period],
        until=now,
    ):
        try:
            with transaction.atomic():
                run = DigestRun.objects.create(
                    user=user,
                    period=period,
                    period_start=period_start,
                    covered_until=now,
                    notification_count=len(notifications),
                )
                email_queue(
                    user=user,
                    kind=emails.DIGEST,
                    content=emails.digest_email(
                        user=user, notifications=notifications, period_label=label
                    ),
                    dedupe_key=f"digest:{user.pk}:{period}:{run.period_start.isoformat()}",
                )
        except IntegrityError:
            continue  # a concurrent run sent this user's digest
        queued += 1
    return queued

"""Moderation of discussions (docs/discussions.md, "Moderation"): its services and selectors.

Members report thread messages; a course's moderators (`permissions.can_moderate`:
its instructor and staff) hide them or dismiss the reports, mute students for a
while, pin threads; a thread's creator or a moderator marks the accepted answer;
anyone blocks another user from direct messages. Each service checks its rule,
runs in one transaction and publishes its events there (sent on commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from discussions import permissions, services
from discussions.events import conversation_topic, moderation_topic, thread_topic
from discussions.models import (
    REPORT_REASON_MAX_LENGTH,
    CourseMute,
    DiscussionThread,
    MessageReport,
    ThreadMessage,
    UserBlock,
)
from discussions.serializers import ThreadMessageSerializer, user_brief
from lms.catalog.models import Course, Enrollment, User
from lms.realtime.events import publish, retract, revoke
from notifications.events import user_topic

NOT_A_MODERATOR = "Only the course's instructor and staff may moderate its discussions."
HIDDEN_PLACEHOLDER = "Hidden by a moderator"
# The periods the moderation queue offers, in minutes (the API takes any up to a year).
MUTE_PERIODS = [
    (60, "1 hour"),
    (60 * 24, "1 day"),
    (60 * 24 * 7, "7 days"),
    (60 * 24 * 30, "30 days"),
]
MUTE_MAX_MINUTES = 60 * 24 * 365

# Events of `thread:{id}` that quote a message: a hidden message leaves all of them.
MESSAGE_EVENTS = ["thread.message", "thread.message.updated", "thread.message.unhidden"]


def _moderator_or_error(user: User, course: Course | int) -> None:
    if not permissions.can_moderate(user, course):
        raise PermissionDenied(NOT_A_MODERATOR)


def clean_reason(value: Any, *, required: bool = True) -> str:
    """A report's or a mute's reason, trimmed: up to 1000 characters (1 at least if required)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationError({"reason": ["The reason must be text."]})
    text = value.strip()
    if required and not text:
        raise ValidationError({"reason": ["Say why you report this message."]})
    if len(text) > REPORT_REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "reason": [
                    f"The reason is {len(text)} characters long; "
                    f"the limit is {REPORT_REASON_MAX_LENGTH}."
                ]
            }
        )
    if "\x00" in text:
        raise ValidationError({"reason": ["The reason contains a NUL character."]})
    return text


# ------------------------------------------------------------------------- selectors


@dataclass
class ReportedMessage:
    """A message with its open reports, as the moderation queue shows it."""

    message: ThreadMessage
    reports: list[MessageReport] = field(default_factory=list)

    @property
    def reporters_count(self) -> int:
        return len(self.reports)


def reports_of_course(*, course: Course | int, status: str | None = None) -> QuerySet:
    """The reports of the course's messages (of one status if given), oldest first."""
    course_id = course.pk if isinstance(course, Course) else course
    reports = MessageReport.objects.filter(message__thread__course_id=course_id).select_related(
        "reporter", "message__sender", "message__thread"
    )
    if status:
        reports = reports.filter(status=status)
    return reports.order_by("created_at", "id")


def reported_messages(*, course: Course | int) -> list[ReportedMessage]:
    """The course's messages with open reports, grouped, the most reported first. One query."""
    groups: dict[int, ReportedMessage] = {}
    for report in reports_of_course(course=course, status=MessageReport.Status.OPEN):
        group = groups.setdefault(report.message_id, ReportedMessage(message=report.message))
        group.reports.append(report)
    return sorted(groups.values(), key=lambda group: (-group.reporters_count, group.message.pk))


def moderation_counts(*, course: Course | int) -> dict[str, int]:
    """How much waits in the queue: open reports, reported messages, students muted now."""
    course_id = course.pk if isinstance(course, Course) else course
    counts = MessageReport.objects.filter(
        message__thread__course_id=course_id, status=MessageReport.Status.OPEN
    ).aggregate(open_reports=Count("id"), reported_messages=Count("message", distinct=True))
    counts["muted_students"] = course_mutes_active(course=course_id).count()
    return counts


def course_mutes_active(*, course: Course | int) -> QuerySet[CourseMute]:
    course_id = course.pk if isinstance(course, Course) else course
    return (
        CourseMute.objects.filter(course_id=course_id, until__gt=timezone.now())
        .select_related("user")
        .order_by("until", "id")
    )


def blocks_of(*, user: User) -> QuerySet[UserBlock]:
    """The users `user` blocked, the most recent first."""
    return UserBlock.objects.filter(blocker=user).select_related("blocked").order_by("-id")


def has_blocked(*, blocker: User, blocked: User) -> bool:
    return UserBlock.objects.filter(blocker=blocker, blocked=blocked).exists()


def message_url(message: ThreadMessage) -> str:
    return reverse("thread-detail", args=[message.thread_id]) + f"#message-{message.pk}"


def reported_message_data(group: ReportedMessage) -> dict[str, Any]:
    """The JSON of a queue item: the message, its open reports, how many reported it."""
    message = group.message
    return {
        "message": {
            "id": message.pk,
            "thread": message.thread_id,
            "thread_title": message.thread.title,
            "course": message.thread.course_id,
            "content": message.content,
            "sender": user_brief(message.sender),
            "created_at": message.created_at,
            "hidden": message.hidden_at is not None,
            "url": message_url(message),
        },
        "reports": [
            {
                "id": report.pk,
                "reason": report.reason,
                "reporter": user_brief(report.reporter),
                "created_at": report.created_at,
            }
            for report in group.reports
        ],
        "reporters_count": group.reporters_count,
    }


# -------------------------------------------------------------------------- services


@transaction.atomic
def message_report(
    *, message: ThreadMessage, reporter: User, reason: Any
) -> tuple[MessageReport, bool]:
    """Report a message one may read (not one's own). A second report of the same message
    by the same person returns the first, unchanged: (report, created)."""
    thread = message.thread
    if permissions.thread_access(reporter, thread) is None or (
        message.hidden_at is not None and not permissions.can_moderate(reporter, thread.course_id)
    ):
        raise PermissionDenied("You may not report this message.")
    if message.sender_id == reporter.pk:
        raise PermissionDenied("You cannot report your own message.")
    existing = MessageReport.objects.filter(message=message, reporter=reporter).first()
    if existing is not None:
        return existing, False
    report = MessageReport.objects.create(
        message=message, reporter=reporter, reason=clean_reason(reason)
    )
    group = ReportedMessage(
        message=message,
        reports=list(
            MessageReport.objects.filter(message=message, status=MessageReport.Status.OPEN)
            .select_related("reporter")
            .order_by("created_at", "id")
        ),
    )
    publish(moderation_topic(thread.course_id), "moderation.report", reported_message_data(group))
    return report, True


def _resolve_reports(*, message: ThreadMessage, actor: User, status: str) -> int:
    resolved = MessageReport.objects.filter(
        message=message, status=MessageReport.Status.OPEN
    ).update(status=status, resolved_at=timezone.now(), resolved_by=actor)
    publish(
        moderation_topic(message.thread.course_id),
        "moderation.resolved",
        {"message": message.pk, "status": status},
    )
    return resolved


def _locked_message(message: ThreadMessage) -> ThreadMessage:
    return (
        ThreadMessage.objects.select_for_update(of=("self",))
        .select_related("thread__course", "sender")
        .get(pk=message.pk)
    )


@transaction.atomic
def message_hide(*, message: ThreadMessage, actor: User) -> ThreadMessage:
    """Hide a message from everyone: it leaves live pages and every replay, its notifications
    go, its open reports are resolved as `hidden`, and it stops being the accepted answer."""
    message = _locked_message(message)
    thread = message.thread
    _moderator_or_error(actor, thread.course)
    if message.hidden_at is None:
        message.hidden_at = timezone.now()
        message.hidden_by = actor
        message.save(update_fields=["hidden_at", "hidden_by"])
        retract(
            thread_topic(thread.pk),
            events=MESSAGE_EVENTS,
            replacement="thread.message.hidden",
            data={"id": message.pk, "thread": thread.pk},
        )
        services.message_notifications_delete(
            entity_type=services.THREAD_MESSAGE_ENTITY, message_id=message.pk
        )
        if thread.accepted_message_id == message.pk:
            thread.accepted_message = None
            thread.save(update_fields=["accepted_message"])  # its receiver tells readers
    _resolve_reports(message=message, actor=actor, status=MessageReport.Status.HIDDEN)
    return message


@transaction.atomic
def message_unhide(*, message: ThreadMessage, actor: User) -> ThreadMessage:
    """Show a hidden message again: live pages get it back as `thread.message.unhidden`."""
    message = _locked_message(message)
    _moderator_or_error(actor, message.thread.course)
    if message.hidden_at is not None:
        message.hidden_at = None
        message.hidden_by = None
        message.save(update_fields=["hidden_at", "hidden_by"])
        publish(
            thread_topic(message.thread_id),
            "thread.message.unhidden",
            ThreadMessageSerializer(message).data,
        )
    return message


@transaction.atomic
def reports_dismiss(*, message: ThreadMessage, actor: User) -> int:
    """Dismiss the message's open reports (it stays as it is); how many were open."""
    message = _locked_message(message)
    _moderator_or_error(actor, message.thread.course)
    return _resolve_reports(message=message, actor=actor, status=MessageReport.Status.DISMISSED)


def _mute_until(*, minutes: Any = None, until: Any = None) -> datetime:
    now = timezone.now()
    if until is not None:
        if not isinstance(until, datetime):
            raise ValidationError({"until": ["A date and time is required."]})
        if timezone.is_naive(until):
            until = timezone.make_aware(until)
        if until <= now:
            raise ValidationError({"until": ["The end of a mute must be in the future."]})
        if until > now + timedelta(minutes=MUTE_MAX_MINUTES):
            raise ValidationError({"until": ["A mute lasts a year at most."]})
        return until
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError({"minutes": ["Give the mute's length in minutes, or its end."]})
    if not 1 <= minutes <= MUTE_MAX_MINUTES:
        raise ValidationError({"minutes": [f"From 1 to {MUTE_MAX_MINUTES} minutes."]})
    return now + timedelta(minutes=minutes)


@transaction.atomic
def course_mute(
    *,
    course: Course,
    user: User,
    actor: User,
    minutes: Any = None,
    until: Any = None,
    reason: Any = "",
) -> CourseMute:
    """Mute a student of the course: they read its discussions but write nothing there until
    the end (a new mute replaces the current one). Their open pages are told."""
    _moderator_or_error(actor, course)
    is_student = (
        not user.is_staff
        and course.instructor_id != user.pk
        and Enrollment.objects.filter(course=course, user=user).exists()
    )
    if not is_student:
        raise ValidationError({"user": ["Only students of the course can be muted."]})
    end = _mute_until(minutes=minutes, until=until)
    reason = clean_reason(reason, required=False)
    mute, _created = CourseMute.objects.update_or_create(
        course=course, user=user, defaults={"until": end, "reason": reason, "created_by": actor}
    )
    publish(
        user_topic(user.pk),
        "discussion.muted",
        {"course": course.pk, "until": mute.until, "reason": mute.reason},
    )
    return mute


@transaction.atomic
def course_unmute(*, course: Course, user: User, actor: User) -> bool:
    """Lift the student's mute; whether there was one."""
    _moderator_or_error(actor, course)
    deleted, _ = CourseMute.objects.filter(course=course, user=user).delete()
    if deleted:
        publish(user_topic(user.pk), "discussion.unmuted", {"course": course.pk})
    return bool(deleted)


@transaction.atomic
def thread_pin(*, thread: DiscussionThread, actor: User, pinned: bool) -> DiscussionThread:
    """Pin a thread at the top of its course's list, or unpin it (moderators)."""
    thread = DiscussionThread.objects.select_for_update(of=("self",)).get(pk=thread.pk)
    _moderator_or_error(actor, thread.course_id)
    if thread.is_pinned != pinned:
        thread.is_pinned = pinned
        thread.save(update_fields=["is_pinned"])  # its receiver publishes thread.updated
    return thread


@transaction.atomic
def thread_accept(
    *, thread: DiscussionThread, actor: User, message: ThreadMessage | None
) -> DiscussionThread:
    """Mark `message` the thread's accepted answer, or clear it (None): the thread's creator
    (while they may post there) or a moderator. Never a hidden message."""
    thread = (
        DiscussionThread.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=thread.pk)
    )
    moderator = permissions.can_moderate(actor, thread.course)
    if not moderator:
        if thread.created_by_id != actor.pk or not permissions.thread_can_post(actor, thread):
            raise PermissionDenied(
                "Only the thread's creator and the course's moderators mark the accepted answer."
            )
        permissions.discussion_write_check(actor, thread.course_id)
    if message is not None and (message.thread_id != thread.pk or message.hidden_at is not None):
        raise ValidationError({"message": ["No such message in this thread."]})
    message_id = None if message is None else message.pk
    if thread.accepted_message_id != message_id:
        thread.accepted_message_id = message_id
        thread.save(update_fields=["accepted_message"])  # its receiver publishes thread.updated
    return thread


@transaction.atomic
def user_block(*, blocker: User, blocked: User) -> tuple[UserBlock, bool]:
    """Block `blocked`: neither of the two can message the other any more (the blocked user
    is not told); the history stays readable. Idempotent: (block, created)."""
    if blocked.pk == blocker.pk:
        raise ValidationError({"user": ["You cannot block yourself."]})
    block, created = UserBlock.objects.get_or_create(blocker=blocker, blocked=blocked)
    if created:
        # Their live conversation (typing, presence) ends on both sides.
        revoke(topic=conversation_topic(blocker.pk, blocked.pk))
    return block, created


@transaction.atomic
def user_unblock(*, blocker: User, blocked: User) -> bool:
    """Lift a block; whether there was one."""
    deleted, _ = UserBlock.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)

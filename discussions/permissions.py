"""Who may see and do what in discussions and direct messages (docs/discussions.md).

Each rule lives here once and is called by the pages, the REST API, the
websocket topic and the polling fallback alike.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from discussions.models import (
    CourseMute,
    DirectMessage,
    DiscussionThread,
    ThreadMessage,
    UserBlock,
)
from lms.catalog.models import Course, Enrollment, User
from lms.catalog.permissions import course_access
from lms.realtime.registry import Grant, Role


def _is_signed_in(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def thread_access(user: User | None, thread: DiscussionThread) -> Grant | None:
    """THE rule for seeing a thread and receiving its messages.

    Enrolled students see active threads only; the course's instructor and
    staff see every thread of the course.
    """
    grant = course_access(user=user, course_id=thread.course_id)
    if grant is None:
        return None
    if grant.role == Role.STUDENT and not thread.is_active:
        return None
    return grant


class ThreadClosed(PermissionDenied):
    """A member of the course asked for a thread that is closed to them (a 403)."""

    def __init__(self, course_id: int) -> None:
        self.course_id = course_id
        super().__init__("This thread is closed.")


def thread_member_or_error(
    user: User | None, thread: DiscussionThread | None, *, write: bool = False
) -> Grant:
    """The user's grant to the thread; else ThreadClosed (403) for a member of the course
    whose thread was closed, and Http404 for everyone else, whether it exists or not.

    Pages answer ThreadClosed by leading to the thread list; the API answers 403.
    With `write`, a student muted in the course gets Muted (403) too.
    """
    grant = None if thread is None else thread_access(user, thread)
    if grant is not None:
        if write:
            discussion_write_check(user, thread.course_id)
        return grant
    member = thread is not None and course_access(user=user, course_id=thread.course_id)
    if member and not thread.is_active:
        raise ThreadClosed(thread.course_id)
    raise Http404("No such thread.")


def threads_visible_to(user: User) -> QuerySet[DiscussionThread]:
    """The same rule as `thread_access`, as a queryset for lists."""
    threads = DiscussionThread.objects.all()
    if not _is_signed_in(user):
        return threads.none()
    if user.is_staff:
        return threads
    enrolled = Enrollment.objects.filter(user=user).values("course_id")
    return threads.filter(Q(course__instructor=user) | Q(course_id__in=enrolled, is_active=True))


def thread_readers(thread: DiscussionThread) -> QuerySet[User]:
    """The same rule as `thread_access`, as a queryset of the users who may read `thread`.

    Staff, the course's instructor and, while the thread is active, its enrolled
    students; active accounts that were not deleted. One query, however many.
    """
    members = Q(is_staff=True) | Exists(
        Course.objects.filter(pk=thread.course_id, instructor_id=OuterRef("pk"))
    )
    if thread.is_active:
        members |= Exists(
            Enrollment.objects.filter(course_id=thread.course_id, user_id=OuterRef("pk"))
        )
    return User.objects.filter(members, is_active=True, deleted_at__isnull=True)


def thread_readers_sql(thread: DiscussionThread) -> tuple[str, list[Any]]:
    """`thread_readers`' rule written out, for a written-out query on a hot path: an SQL
    condition on a user row aliased `u`, and its parameters. Tests keep the two the same
    (tests/discussions/test_reply_recipients.py)."""
    quote = connection.ops.quote_name
    course, enrollment = quote(Course._meta.db_table), quote(Enrollment._meta.db_table)
    members = [
        "u.is_staff",
        f"EXISTS (SELECT 1 FROM {course} c WHERE c.id = %s AND c.instructor_id = u.id)",
    ]
    params: list[Any] = [thread.course_id]
    if thread.is_active:
        members.append(
            f"EXISTS (SELECT 1 FROM {enrollment} e WHERE e.course_id = %s AND e.user_id = u.id)"
        )
        params.append(thread.course_id)
    return f"(u.is_active AND u.deleted_at IS NULL AND ({' OR '.join(members)}))", params


def thread_can_post(
    user: User | None, thread: DiscussionThread, *, grant: Grant | None = None
) -> bool:
    """Students post in active threads only; the instructor and staff also in closed ones.

    `grant`, the user's `thread_access` to the thread when the caller already has it,
    saves its query.
    """
    if grant is None:
        grant = thread_access(user, thread)
    return grant is not None and (thread.is_active or grant.role != Role.STUDENT)


def thread_can_moderate(user: User | None, thread: DiscussionThread) -> bool:
    """The thread's creator, the course's instructor and staff rename, close and reopen it."""
    grant = thread_access(user, thread)
    return grant is not None and (grant.role != Role.STUDENT or thread.created_by_id == user.pk)


def thread_message_can_delete(
    user: User | None, message: ThreadMessage, *, grant: Grant | None = None
) -> bool:
    """Staff and the instructor delete any message; its author within the delete window.

    `grant`, the user's `thread_access` to the message's thread when the caller
    already has it, saves a query per message on a page of messages.
    """
    if grant is None:
        grant = thread_access(user, message.thread)
    if grant is None:
        return False
    if grant.role != Role.STUDENT:
        return True
    window = timedelta(minutes=settings.MESSAGE_DELETE_WINDOW_MINUTES)
    return message.sender_id == user.pk and timezone.now() - message.created_at <= window


def message_edit_window_open(created_at) -> bool:
    """Whether a message written at `created_at` is still within the edit window."""
    window = timedelta(minutes=settings.MESSAGE_EDIT_WINDOW_MINUTES)
    return timezone.now() - created_at <= window


def thread_message_can_edit(
    user: User | None, message: ThreadMessage, *, grant: Grant | None = None
) -> bool:
    """Only its author edits a message (moderators hide, they do not rewrite), within the
    edit window, while they may post in the thread; never a hidden message.

    The mute is checked by the service (`discussion_write_check`), which says until when.
    """
    if not _is_signed_in(user) or message.sender_id != user.pk or message.hidden_at is not None:
        return False
    if grant is None:
        grant = thread_access(user, message.thread)
    # Students lose access to a closed thread: no grant, no edit.
    return grant is not None and message_edit_window_open(message.created_at)


def direct_message_can_edit(user: User | None, message: DirectMessage) -> bool:
    """Its sender edits a direct message within the edit window, while they may still write
    to the recipient."""
    if not _is_signed_in(user) or message.sender_id != user.pk:
        return False
    return message_edit_window_open(message.created_at)


def dm_can_message(sender: User | None, recipient: User) -> bool:
    """Whether `sender` may send a direct message to `recipient`.

    Anyone may write to staff and instructors; staff may write to anyone;
    otherwise the two must share a course (both enrolled, or one teaching a
    course the other is enrolled in). A reply to someone who wrote first is
    always allowed, so a conversation never turns one-way. Never yourself,
    never an inactive account, never between two people one of whom blocked the other.

    One written-out statement (every message sent asks): a block between them, and unless
    either side is privileged, a course they share or a message the recipient wrote first.
    """
    if not _is_signed_in(sender) or not recipient.is_active or sender.pk == recipient.pk:
        return False
    quote = connection.ops.quote_name
    block = quote(UserBlock._meta.db_table)
    checks = [
        f"EXISTS (SELECT 1 FROM {block} WHERE (blocker_id = %(s)s AND blocked_id = %(r)s) "
        "OR (blocker_id = %(r)s AND blocked_id = %(s)s))"
    ]
    privileged = sender.is_staff or recipient.is_staff or recipient.role == User.Role.INSTRUCTOR
    if not privileged:
        course, enrollment = quote(Course._meta.db_table), quote(Enrollment._meta.db_table)
        message = quote(DirectMessage._meta.db_table)
        member = (
            "(c.instructor_id = {who} OR EXISTS (SELECT 1 FROM "
            f"{enrollment} e WHERE e.course_id = c.id AND e.user_id = {{who}}))"
        )
        checks.append(
            f"EXISTS (SELECT 1 FROM {course} c WHERE {member.format(who='%(s)s')} "
            f"AND {member.format(who='%(r)s')}) "
            f"OR EXISTS (SELECT 1 FROM {message} WHERE sender_id = %(r)s AND recipient_id = %(s)s)"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(checks)}", {"s": sender.pk, "r": recipient.pk})
        blocked, *shared = cursor.fetchone()
    return not blocked and (privileged or shared[0])


def can_moderate(user: User | None, course: Course | int) -> bool:
    """THE rule for moderating a course's discussions (reports, hiding, muting, pinning):
    the course's instructor and staff."""
    if not _is_signed_in(user):
        return False
    if user.is_staff:
        return True
    if isinstance(course, Course):
        return course.instructor_id == user.pk
    return Course.objects.filter(pk=course, instructor_id=user.pk).exists()


def discussion_mute(user: User | None, course: Course | int) -> CourseMute | None:
    """The user's mute in the course's discussions while it lasts, else None."""
    if not _is_signed_in(user):
        return None
    course_id = course.pk if isinstance(course, Course) else course
    return CourseMute.objects.filter(
        course_id=course_id, user_id=user.pk, until__gt=timezone.now()
    ).first()


class Muted(PermissionDenied):
    """A student muted in a course's discussions tried to write there (a 403)."""

    def __init__(self, mute: CourseMute) -> None:
        self.mute = mute
        until = timezone.localtime(mute.until).strftime("%Y-%m-%d %H:%M %Z")
        super().__init__(f"You are muted in this course's discussions until {until}.")


def discussion_write_check(user: User | None, course: Course | int) -> None:
    """THE check of every discussion write (post, new thread, edit, reaction): raises Muted
    while the user is muted in the course."""
    mute = discussion_mute(user, course)
    if mute is not None:
        raise Muted(mute)

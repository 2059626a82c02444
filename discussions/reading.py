"""Read positions and follows of threads: what is new for a user, and who hears of replies.

Unread, for a user and a thread, are the messages with an id above the user's
`ThreadReadState.last_read_id` that someone else posted and no moderator hid.
A thread the user never read has no state: what was posted before the user
joined the course (their `Enrollment.enrolled_at`; the instructor and staff,
who have no enrollment, from their account's creation) counts as read, so a
new member is not flooded with the course's history.

The position moves only forward, by `thread_read_mark` (the thread page
reports what the reader saw), and the reader's tabs hear of it as
`thread.read` on their `user:{id}` topic, and a reply notification whose
message they have now seen is marked read. Starting a thread or posting in it
follows it (events.py); followers get the reply notifications
(services.thread_message_post).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from discussions.models import DiscussionThread, ThreadFollow, ThreadMessage, ThreadReadState
from discussions.permissions import threads_visible_to
from discussions.selectors import thread_reply_notifications_unread
from lms.catalog.models import Course, Enrollment, User
from lms.realtime.events import publish
from notifications.events import user_topic
from notifications.services import notification_mark_read

# The "since" of a thread with a read state: the state alone decides.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------- selectors


def _reading_fields(*, user: User, thread_ref: str, course_ref: str) -> dict[str, Any]:
    """`_read_upto` (the user's last read id, or 0) and `_read_since` (messages created
    after it may be unread) of the thread at `thread_ref` of the outer query."""
    state = ThreadReadState.objects.filter(user_id=user.pk, thread_id=OuterRef(thread_ref))
    joined = Enrollment.objects.filter(user_id=user.pk, course_id=OuterRef(course_ref))
    baseline = Coalesce(
        Subquery(joined.values("enrolled_at")[:1]),
        Value(user.date_joined, output_field=DateTimeField()),
        output_field=DateTimeField(),
    )
    return {
        "_read_upto": Coalesce(
            Subquery(state.values("last_read_id")[:1]), Value(0), output_field=IntegerField()
        ),
        "_read_since": Coalesce(
            Subquery(state.annotate(epoch=Value(_EPOCH, DateTimeField())).values("epoch")[:1]),
            baseline,
            output_field=DateTimeField(),
        ),
    }


def _unread_messages(*, user: User, upto: Any, since: Any) -> QuerySet[ThreadMessage]:
    """Messages others posted, not hidden, after `upto` (an id) and `since` (a time)."""
    return (
        ThreadMessage.objects.filter(hidden_at__isnull=True, pk__gt=upto, created_at__gt=since)
        .exclude(sender_id=user.pk)
        .order_by()
    )


def threads_with_reading(
    threads: QuerySet[DiscussionThread], *, user: User
) -> QuerySet[DiscussionThread]:
    """Threads annotated with `unread_count`, `first_unread_id` (or None) and
    `is_following` for `user`: subqueries of the list's own query, however many threads."""
    unread = _unread_messages(
        user=user, upto=OuterRef("_read_upto"), since=OuterRef("_read_since")
    ).filter(thread_id=OuterRef("pk"))
    counted = unread.values("thread_id").annotate(n=Count("id")).values("n")
    first = unread.values("thread_id").annotate(first=Min("id")).values("first")
    return threads.annotate(
        **_reading_fields(user=user, thread_ref="pk", course_ref="course_id")
    ).annotate(
        unread_count=Coalesce(Subquery(counted), Value(0), output_field=IntegerField()),
        first_unread_id=Subquery(first),
        is_following=Exists(ThreadFollow.objects.filter(user_id=user.pk, thread_id=OuterRef("pk"))),
    )


@dataclass
class ThreadUnread:
    unread: int
    first_unread_id: int | None


def thread_unread(*, user: User, thread: DiscussionThread) -> ThreadUnread:
    """How many messages of `thread` are new for `user`, and the first of them. One query."""
    row = (
        threads_with_reading(DiscussionThread.objects.filter(pk=thread.pk), user=user)
        .values("unread_count", "first_unread_id")
        .first()
    )
    if row is None:
        return ThreadUnread(unread=0, first_unread_id=None)
    return ThreadUnread(unread=row["unread_count"], first_unread_id=row["first_unread_id"])


def thread_is_following(*, user: User, thread: DiscussionThread) -> bool:
    return ThreadFollow.objects.filter(user_id=user.pk, thread_id=thread.pk).exists()


def my_discussion_courses(*, user: User) -> QuerySet[Course]:
    """The courses whose discussions the navigation watches: those I am enrolled in or teach."""
    enrolled = Enrollment.objects.filter(user_id=user.pk).values("course_id")
    return Course.objects.filter(Q(pk__in=enrolled) | Q(instructor_id=user.pk))


def discussions_unread(*, user: User) -> list[dict[str, int]]:
    """`[{course, unread_threads, unread_messages}]` for every course I am enrolled in or
    teach (zeros included, so a client knows what to listen to), by course id. Two queries."""
    course_ids = list(my_discussion_courses(user=user).order_by("pk").values_list("pk", flat=True))
    if not course_ids:
        return []
    threads = threads_visible_to(user).filter(course_id__in=course_ids).values("pk")
    fields = _reading_fields(user=user, thread_ref="thread_id", course_ref="thread__course_id")
    rows = (
        ThreadMessage.objects.filter(thread_id__in=threads, hidden_at__isnull=True)
        .exclude(sender_id=user.pk)
        .annotate(**fields)
        .filter(pk__gt=F("_read_upto"), created_at__gt=F("_read_since"))
        .values("thread__course_id")
        .annotate(messages=Count("id"), threads=Count("thread_id", distinct=True))
        .order_by()
    )
    found = {row["thread__course_id"]: row for row in rows}
    return [
        {
            "course": course_id,
            "unread_threads": found.get(course_id, {}).get("threads", 0),
            "unread_messages": found.get(course_id, {}).get("messages", 0),
        }
        for course_id in course_ids
    ]


# ----------------------------------------------------------------------------- services


@transaction.atomic
def thread_read_mark(*, user: User, thread: DiscussionThread, last_read_id: int) -> int:
    """Move `user`'s read position in `thread` forward to `last_read_id`, clamped to the
    thread's last message; returns the position. Never backward.

    The caller checked that the user may read the thread. When it moves, the
    user's tabs hear `thread.read` on `user:{id}`:
    `{thread, course, last_read_id, unread, first_unread_id}`.
    """
    last = ThreadMessage.objects.filter(thread_id=thread.pk).aggregate(last=Max("id"))["last"] or 0
    target = max(0, min(int(last_read_id), last))
    state, created = ThreadReadState.objects.get_or_create(
        user_id=user.pk, thread_id=thread.pk, defaults={"last_read_id": target}
    )
    moved = created
    if not created:
        # A conditional update: two tabs racing leave the higher of the two.
        moved = bool(
            ThreadReadState.objects.filter(pk=state.pk, last_read_id__lt=target).update(
                last_read_id=target
            )
        )
    position = target if moved else state.last_read_id
    if moved:
        # A reply notification is read once the reader has seen its message, so the
        # next reply notifies again (one per thread until read).
        seen = thread_reply_notifications_unread(thread_id=thread.pk).filter(
            user=user, related_entity_id__lte=target
        )
        for notification_id in seen.values_list("pk", flat=True):
            notification_mark_read(user=user, notification_id=notification_id)
        unread = thread_unread(user=user, thread=thread)
        publish(
            user_topic(user.pk),
            "thread.read",
            {
                "thread": thread.pk,
                "course": thread.course_id,
                "last_read_id": target,
                "unread": unread.unread,
                "first_unread_id": unread.first_unread_id,
            },
        )
    return position


def thread_follow_ensure(*, user_id: int, thread_id: int) -> None:
    """`user_id` follows the thread (idempotent, one query): starting it or posting in it."""
    ThreadFollow.objects.bulk_create(
        [ThreadFollow(user_id=user_id, thread_id=thread_id)], ignore_conflicts=True
    )


@transaction.atomic
def thread_follow(*, user: User, thread: DiscussionThread) -> None:
    """Follow a thread I may read: its replies notify me."""
    thread_follow_ensure(user_id=user.pk, thread_id=thread.pk)


@transaction.atomic
def thread_unfollow(*, user: User, thread: DiscussionThread) -> None:
    """Stop hearing of replies, until I post in it again (posting follows)."""
    ThreadFollow.objects.filter(user_id=user.pk, thread_id=thread.pk).delete()


# ------------------------------------------------------------ the no-script read beacon

_BEACON_SALT = "discussions.read-beacon"


def read_beacon_token(*, user: User, thread: DiscussionThread, last_read_id: int) -> str:
    """A signed "this user saw this thread up to this id", for the page's no-script image."""
    return signing.dumps([user.pk, thread.pk, last_read_id], salt=_BEACON_SALT, compress=True)


def read_beacon_open(token: str, *, user: User) -> tuple[int, int] | None:
    """(thread id, last read id) of a token issued to `user`, or None."""
    try:
        user_id, thread_id, last_read_id = signing.loads(
            token, salt=_BEACON_SALT, max_age=7 * 24 * 3600
        )
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if user_id != user.pk or not isinstance(thread_id, int) or not isinstance(last_read_id, int):
        return None
    return thread_id, last_read_id

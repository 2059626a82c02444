"""Every write of the discussions app.

Each service checks its permission with the one function of
discussions.permissions, validates its input, and runs in one transaction;
the realtime events of the rows it writes are published by their post-save
receivers (events.py) inside that transaction and sent on commit; a read
receipt, which no single row expresses, is published here. The notifications
a message causes (replies, @mentions, a direct message to someone away) are
created here too, through the notifications app's services.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from discussions import permissions
from discussions.mentions import mentioned_readers
from discussions.models import (
    CONTENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    DirectMessage,
    DiscussionThread,
    ThreadMessage,
)
from discussions.selectors import (
    dm_notification_unread_ids,
    dm_unread_count,
    thread_reply_recipients,
)
from lms.catalog.models import Course, User
from lms.catalog.permissions import NOT_A_MEMBER, course_access
from lms.platform.ratelimit import rate_check
from lms.realtime.events import batch, publish
from lms.realtime.presence import user_is_online
from lms.realtime.registry import Grant
from notifications.events import user_topic
from notifications.models import Kind, Notification
from notifications.services import (
    notification_create,
    notification_create_many,
    notification_mark_read,
)

PREVIEW_LENGTH = 100  # characters of a message that its notification quotes

# What a message's notifications name as their related entity, and which kinds they are.
THREAD_MESSAGE_ENTITY = "thread_message"
DIRECT_MESSAGE_ENTITY = "direct_message"
MESSAGE_NOTIFICATION_KINDS = {
    THREAD_MESSAGE_ENTITY: [Kind.THREAD_REPLY, Kind.MENTION],
    DIRECT_MESSAGE_ENTITY: [Kind.DIRECT_MESSAGE],
}

# The per-user message rate limit of thread posts, direct messages and their edits: a
# window opens at a user's first message and lasts a minute, counted in the shared cache
# (every server process shares it when the cache is Redis).
MESSAGE_RATE_WINDOW_SECONDS = 60
MESSAGE_RATE_KEY_PREFIX = "discussions:msgrate"


def message_rate_check(*, user_id: int) -> None:
    """Count one message of `user_id`, or raise RateLimited if the window is full
    (settings.MESSAGE_RATE_LIMIT_PER_MINUTE messages)."""
    rate_check(
        key=f"{MESSAGE_RATE_KEY_PREFIX}:{user_id}",
        limit=settings.MESSAGE_RATE_LIMIT_PER_MINUTE,
        window_seconds=MESSAGE_RATE_WINDOW_SECONDS,
        scope="messages",
        message=lambda retry_after: (
            f"You are sending messages too fast. Try again in {retry_after} seconds."
        ),
    )


def _clean_text(value: Any, *, field: str, max_length: int, label: str) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: [f"{label} must be text."]})
    text = value.strip()
    if not text:
        raise ValidationError({field: [f"{label} may not be empty."]})
    if len(text) > max_length:
        raise ValidationError(
            {field: [f"{label} is {len(text)} characters long; the limit is {max_length}."]}
        )
    if "\x00" in text:
        raise ValidationError({field: [f"{label} contains a NUL character."]})
    return text


def clean_title(value: Any) -> str:
    """A thread title, trimmed: 1 to 255 characters."""
    return _clean_text(value, field="title", max_length=TITLE_MAX_LENGTH, label="The title")


def clean_content(value: Any) -> str:
    """A message, trimmed: 1 to 4000 characters."""
    return _clean_text(value, field="content", max_length=CONTENT_MAX_LENGTH, label="The message")


@transaction.atomic
def thread_create(*, course: Course, created_by: User, title: str) -> DiscussionThread:
    """Open a thread in `course`; its students, instructor and staff may."""
    if course_access(user=created_by, course_id=course.pk) is None:
        raise PermissionDenied(NOT_A_MEMBER)
    permissions.discussion_write_check(created_by, course.pk)
    return DiscussionThread.objects.create(
        course=course, created_by=created_by, title=clean_title(title)
    )


@transaction.atomic
def thread_update(
    *,
    thread: DiscussionThread,
    actor: User,
    title: str | None = None,
    is_active: bool | None = None,
) -> DiscussionThread:
    """Rename, close or reopen a thread (its creator, the instructor, staff).

    Closing takes the thread away from every student's socket at once. The row
    is locked so two moderators racing leave one consistent state and one
    event each.
    """
    thread = (
        DiscussionThread.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=thread.pk)
    )
    if not permissions.thread_can_moderate(actor, thread):
        raise PermissionDenied("Only the thread's creator, the instructor and staff may do this.")
    changed: list[str] = []
    if title is not None:
        title = clean_title(title)
        if title != thread.title:
            thread.title = title
            changed.append("title")
    if is_active is not None and is_active != thread.is_active:
        thread.is_active = is_active
        changed.append("is_active")
    if not changed:
        return thread
    thread.save(update_fields=[*changed, "updated_at"])  # its receiver publishes the change
    return thread


def preview(content: str, limit: int = PREVIEW_LENGTH) -> str:
    """The start of a message, on one line, for a notification."""
    text = " ".join(content.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quoted(title: str, limit: int = 80) -> str:
    return f'"{preview(title, limit)}"'


@transaction.atomic
def thread_message_post(
    *, thread: DiscussionThread, sender: User, content: str, grant: Grant | None = None
) -> ThreadMessage:
    """Post in a thread; counts toward the sender's message rate limit.

    `grant`: the sender's `thread_access` to the thread, when the caller has it already.

    The readers it @mentions get a `mention` notification; the thread's
    followers who may still read it get a `thread_reply` one (a mentioned user
    only the mention), unless one of this thread is still unread. The message's
    event and every notification's are stored together (one batch), so a post
    costs the same queries however many people take part.
    """
    if not permissions.thread_can_post(sender, thread, grant=grant):
        raise PermissionDenied(
            "This thread is closed." if not thread.is_active else "You may not post here."
        )
    permissions.discussion_write_check(sender, thread.course_id)
    content = clean_content(content)
    message_rate_check(user_id=sender.pk)
    with batch():
        message = ThreadMessage(thread=thread, sender=sender, content=content)
        # Resolved once: the post-save receiver's event and the notifications share it.
        message.mentioned = mentioned_readers(thread=thread, content=content)
        message.reaction_summary = []  # a new message has no reactions yet
        message.save()
        _notify_thread_message(message=message, thread=thread, sender=sender)
        # Recent activity sorts the thread list (a change readers are not told of). Last:
        # the row stays locked until commit, and every post to the thread waits for it.
        thread.save(update_fields=["updated_at"])
    return message


def _notify_thread_message(
    *, message: ThreadMessage, thread: DiscussionThread, sender: User
) -> None:
    mentioned = {user.pk for user in message.mentioned} - {sender.pk}
    # Followers who may still read the thread (starting a thread and posting follow it),
    # but not those whose reply notification of this thread is still unread: one per
    # thread until read, however busy the thread.
    replied_to = thread_reply_recipients(thread=thread, sender_id=sender.pk)
    common = {
        "url": reverse("thread-detail", args=[thread.pk]) + f"#message-{message.pk}",
        "message": preview(message.content),
        "related_entity_type": THREAD_MESSAGE_ENTITY,
        "related_entity_id": message.pk,
    }
    notification_create_many(
        user_ids=mentioned,
        kind=Kind.MENTION,
        title=f"{sender.display_name} mentioned you in {_quoted(thread.title)}",
        **common,
    )
    notification_create_many(
        user_ids=replied_to - mentioned,
        kind=Kind.THREAD_REPLY,
        title=f"New reply in {_quoted(thread.title)}",
        **common,
    )


@transaction.atomic
def thread_message_delete(*, message: ThreadMessage, actor: User) -> None:
    """Delete a message: staff, the instructor, or its author within the delete window."""
    if not permissions.thread_message_can_delete(actor, message):
        raise PermissionDenied("You may not delete this message.")
    message.delete()  # redacted from replay and announced by its post_delete receiver


@transaction.atomic
def direct_message_send(*, sender: User, recipient: User, content: str) -> DirectMessage:
    """Send a direct message; counts toward the sender's message rate limit.

    A recipient with no socket open at this moment gets a `direct_message`
    notification leading to the conversation, unless one from this sender is
    still unread (one per conversation until read).
    """
    if not permissions.dm_can_message(sender, recipient):
        raise PermissionDenied("You cannot send messages to this user.")
    content = clean_content(content)
    message_rate_check(user_id=sender.pk)
    message = DirectMessage.objects.create(sender=sender, recipient=recipient, content=content)
    if not user_is_online(recipient.pk):
        _notify_offline_recipient(message=message, sender=sender, recipient=recipient)
    return message


def _notify_offline_recipient(*, message: DirectMessage, sender: User, recipient: User) -> None:
    url = reverse("conversation", args=[sender.pk])
    if dm_notification_unread_ids(user=recipient, url=url):
        return
    notification_create(
        user=recipient,
        kind=Kind.DIRECT_MESSAGE,
        url=url,
        title=f"New message from {sender.display_name}",
        message=preview(message.content),
        related_entity_type=DIRECT_MESSAGE_ENTITY,
        related_entity_id=message.pk,
    )


def message_notifications_delete(*, entity_type: str, message_id: int) -> None:
    """A deleted message's notifications go too, and leave open pages and replays.

    Each deleted notification is retracted by its post_delete receiver
    (notifications.events).
    """
    Notification.objects.filter(
        related_entity_type=entity_type,
        related_entity_id=message_id,
        kind__in=MESSAGE_NOTIFICATION_KINDS[entity_type],
    ).delete()


@transaction.atomic
def conversation_mark_read(*, user: User, partner: User) -> dict[str, Any]:
    """Mark every message `partner` sent to `user` read.

    Both users hear of it on their `user:` topic as `dm.read`, so the reader's
    other tabs update their counts and the partner sees "Seen".
    """
    unread = DirectMessage.objects.filter(sender=partner, recipient=user, is_read=False)
    ids = list(unread.order_by("id").values_list("id", flat=True))
    result = {"with": partner.pk, "ids": ids, "unread_count": 0}
    if ids:
        DirectMessage.objects.filter(pk__in=ids).update(is_read=True)
    result["unread_count"] = dm_unread_count(user=user)
    # The notification that said "New message from ..." is read with the conversation.
    for notification_id in dm_notification_unread_ids(
        user=user, url=reverse("conversation", args=[partner.pk])
    ):
        notification_mark_read(user=user, notification_id=notification_id)
    if ids:
        publish(user_topic(user.pk), "dm.read", result)
        publish(
            user_topic(partner.pk),
            "dm.read",
            {"with": user.pk, "ids": ids, "unread_count": dm_unread_count(user=partner)},
        )
    return result

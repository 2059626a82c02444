"""Editing messages (docs/discussions.md, "Editing"): services and the revisions' selector.

An author edits their own thread message or direct message within
settings.MESSAGE_EDIT_WINDOW_MINUTES of posting it, under the content rules and
the message rate limit of posting. One transaction keeps the previous text as a
`MessageRevision` (moderators only), saves the new one, publishes the update and
rewrites the stored events that quote the message, so that a replay holds the
current text only: the previous text is in no stored event.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from discussions import permissions
from discussions.events import thread_topic
from discussions.mentions import mentioned_readers
from discussions.models import DirectMessage, MessageRevision, ThreadMessage
from discussions.serializers import DirectMessageSerializer, ThreadMessageSerializer
from discussions.services import (
    DIRECT_MESSAGE_ENTITY,
    MESSAGE_NOTIFICATION_KINDS,
    THREAD_MESSAGE_ENTITY,
    _quoted,
    clean_content,
    message_rate_check,
    preview,
)
from lms.catalog.models import User
from lms.realtime.events import publish, rewrite, rewrite_key
from notifications.events import user_topic
from notifications.models import Kind, Notification
from notifications.services import notification_create_many

# Stored events of `thread:{id}` whose data is the whole message: rewritten on an edit.
THREAD_MESSAGE_EVENTS = ["thread.message", "thread.message.updated", "thread.message.unhidden"]
# Stored events of `user:{id}` whose data is the whole direct message.
DIRECT_MESSAGE_EVENTS = ["dm.created", "dm.updated"]


def _window_closed() -> PermissionDenied:
    return PermissionDenied(
        f"A message can be edited for {settings.MESSAGE_EDIT_WINDOW_MINUTES} minutes "
        "after it was posted; this one no longer can."
    )


@transaction.atomic
def thread_message_edit(*, message: ThreadMessage, editor: User, content: str) -> ThreadMessage:
    """Replace the text of `editor`'s own thread message; the message as it is now.

    Refused (403) to anyone but its author, after the edit window, for a hidden
    message, in a closed thread (students) and while the author is muted in the
    course. The same text again changes nothing. Readers it newly mentions get
    the `mention` notification; those already mentioned are not told again.
    """
    message = (
        ThreadMessage.objects.select_for_update(of=("self",))
        .select_related("thread__course", "sender")
        .get(pk=message.pk)
    )
    thread = message.thread
    if message.sender_id != editor.pk:
        raise PermissionDenied("Only its author may edit a message.")
    if message.hidden_at is not None:
        raise PermissionDenied("A message hidden by a moderator cannot be edited.")
    if not permissions.thread_can_post(editor, thread):
        raise PermissionDenied(
            "This thread is closed." if not thread.is_active else "You may not post here."
        )
    permissions.discussion_write_check(editor, thread.course_id)
    if not permissions.thread_message_can_edit(editor, message):
        raise _window_closed()
    content = clean_content(content)
    if content == message.content:
        return message
    message_rate_check(user_id=editor.pk)
    previous = message.content
    MessageRevision.objects.create(thread_message=message, content=previous)
    message.content = content
    message.edited_at = timezone.now()
    message.save(update_fields=["content", "edited_at"])
    message.mentioned = mentioned_readers(thread=thread, content=content)
    data = ThreadMessageSerializer(message).data
    topic = thread_topic(thread.pk)
    rewrite(topic, events=THREAD_MESSAGE_EVENTS, object_id=message.pk, data=data)
    publish(topic, "thread.message.updated", data)
    _requote_notifications(
        entity_type=THREAD_MESSAGE_ENTITY, message_id=message.pk, content=content
    )
    _notify_new_mentions(message=message, previous=previous, editor=editor)
    return message


def _requote_notifications(*, entity_type: str, message_id: int, content: str) -> None:
    """The notifications that quote an edited message quote its new text, in the bell and in
    their stored events: two statements however many there are."""
    notifications = Notification.objects.filter(
        related_entity_type=entity_type,
        related_entity_id=message_id,
        kind__in=MESSAGE_NOTIFICATION_KINDS[entity_type],
    )
    rows = list(notifications.values_list("pk", "user_id"))
    if not rows:
        return
    quoted = preview(content)
    notifications.update(message=quoted)
    rewrite_key(
        topics=sorted({user_topic(user_id) for _pk, user_id in rows}),
        events=["notification.created"],
        object_ids=[pk for pk, _user_id in rows],
        key="message",
        value=quoted,
    )


def _notify_new_mentions(*, message: ThreadMessage, previous: str, editor: User) -> None:
    thread = message.thread
    before = {user.pk for user in mentioned_readers(thread=thread, content=previous)}
    told = set(
        Notification.objects.filter(
            kind=Kind.MENTION,
            related_entity_type=THREAD_MESSAGE_ENTITY,
            related_entity_id=message.pk,
        ).values_list("user_id", flat=True)
    )
    newly = {user.pk for user in message.mentioned} - before - told - {editor.pk}
    notification_create_many(
        user_ids=newly,
        kind=Kind.MENTION,
        title=f"{editor.display_name} mentioned you in {_quoted(thread.title)}",
        url=reverse("thread-detail", args=[thread.pk]) + f"#message-{message.pk}",
        message=preview(message.content),
        related_entity_type=THREAD_MESSAGE_ENTITY,
        related_entity_id=message.pk,
    )


@transaction.atomic
def direct_message_edit(*, message: DirectMessage, editor: User, content: str) -> DirectMessage:
    """Replace the text of `editor`'s own direct message; the message as it is now.

    Refused (403) to the recipient, after the edit window, and when the sender may
    no longer write to the recipient (a block, for one). Both sides hear `dm.updated`.
    """
    message = (
        DirectMessage.objects.select_for_update(of=("self",))
        .select_related("sender", "recipient")
        .get(pk=message.pk)
    )
    if message.sender_id != editor.pk:
        raise PermissionDenied("Only its sender may edit a message.")
    if not permissions.dm_can_message(editor, message.recipient):
        raise PermissionDenied("You cannot send messages to this user.")
    if not permissions.direct_message_can_edit(editor, message):
        raise _window_closed()
    content = clean_content(content)
    if content == message.content:
        return message
    message_rate_check(user_id=editor.pk)
    MessageRevision.objects.create(direct_message=message, content=message.content)
    message.content = content
    message.edited_at = timezone.now()
    message.save(update_fields=["content", "edited_at"])
    data = DirectMessageSerializer(message).data
    for user_id in (message.sender_id, message.recipient_id):
        topic = user_topic(user_id)
        rewrite(topic, events=DIRECT_MESSAGE_EVENTS, object_id=message.pk, data=data)
        publish(topic, "dm.updated", data)
    _requote_notifications(
        entity_type=DIRECT_MESSAGE_ENTITY, message_id=message.pk, content=content
    )
    return message


def thread_message_revisions(*, message: ThreadMessage) -> QuerySet[MessageRevision]:
    """The earlier texts of a thread message, oldest first (moderators only: the caller checks
    `permissions.can_moderate`)."""
    return MessageRevision.objects.filter(thread_message=message).order_by("replaced_at", "id")

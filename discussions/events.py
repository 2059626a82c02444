"""The realtime side of discussions: its topics, and the receivers that turn its rows
into events, the one route of each event.

Topics: `thread:{id}`, and `conversation:{low id}-{high id}` for the two people of a
conversation, both with presence and typing; `moderation:{course id}` for a course's
moderators. Each topic's name is built by its function here.

A deleted message is redacted from the stored events in the deleting transaction, so no
replay or poll returns its content again, and a deletion event tells live pages to
remove it; the notifications that quote it are deleted with it (and leave live pages
through their own receiver).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from discussions import permissions, reading, selectors, services
from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from discussions.serializers import (
    DirectMessageSerializer,
    ThreadMessageSerializer,
    ThreadSerializer,
)
from lms.catalog.events import course_topic
from lms.catalog.models import User
from lms.realtime.events import publish, retract, revoke
from lms.realtime.presence import user_is_online
from lms.realtime.registry import ID, Grant, Role, Topic, register
from notifications.events import user_topic

# The topics.


def thread_topic(thread_id: int) -> str:
    return f"thread:{thread_id}"


def thread_authorize(user: User, *, thread_id: int) -> Grant | None:
    """Who may hold `thread:{id}`: exactly `thread_access`."""
    thread = selectors.thread_find(thread_id=thread_id)
    return None if thread is None else permissions.thread_access(user, thread)


def thread_join_data(user: User, *, thread_id: int) -> dict[str, Any]:
    """The thread, and what the joining user may do in it."""
    thread = selectors.thread_find(thread_id=thread_id)
    if thread is None:
        return {}
    return {
        "thread": ThreadSerializer(thread).data,
        "can_post": permissions.thread_can_post(user, thread),
        "can_moderate": permissions.thread_can_moderate(user, thread),
    }


register(
    Topic(
        name="thread",
        pattern=rf"thread:(?P<thread_id>{ID})",
        authorize=thread_authorize,
        join_data=thread_join_data,
        persistent=True,
        presence=True,
    )
)


def conversation_topic(user_id: int, other_id: int) -> str:
    """The topic of the conversation between two users: lower id first."""
    low, high = sorted((user_id, other_id))
    return f"conversation:{low}-{high}"


def conversation_authorize(user: User, *, low: int, high: int) -> Grant | None:
    """The two people of the conversation, while one may message the other (as sending does)."""
    if user.pk not in (low, high):
        return None
    partner = User.objects.filter(pk=high if user.pk == low else low).first()
    if partner is None or not permissions.dm_can_message(user, partner):
        return None
    return Grant(role=Role.MEMBER)


def conversation_join_data(user: User, *, low: int, high: int) -> dict[str, Any]:
    """The partner, and whether they have the site open (presence here shows who is on the page)."""
    partner_id = high if user.pk == low else low
    return {"partner": partner_id, "partner_online": user_is_online(partner_id)}


register(
    Topic(
        name="conversation",
        pattern=rf"conversation:(?P<low>{ID})-(?P<high>{ID})",
        canonical=lambda low, high: low < high,
        authorize=conversation_authorize,
        join_data=conversation_join_data,
        persistent=False,
        presence=True,
    )
)


def moderation_topic(course_id: int) -> str:
    """The topic of a course's moderators: new reports and their resolution, live."""
    return f"moderation:{course_id}"


def moderation_authorize(user: User, *, course_id: int) -> Grant | None:
    """The course's moderators: exactly `can_moderate`."""
    if not permissions.can_moderate(user, course_id):
        return None
    return Grant(role=Role.STAFF if user.is_staff else Role.INSTRUCTOR, course_id=course_id)


register(
    Topic(
        name="moderation",
        pattern=rf"moderation:(?P<course_id>{ID})",
        authorize=moderation_authorize,
        # Reports quote messages: nothing stored, so a hidden message is replayed nowhere.
        persistent=False,
    )
)

# The receivers: the one route of each row's event.

# What readers of a thread see of it; a save of other fields (the activity time that
# sorts the list, bumped by each message) tells nobody.
THREAD_SHOWN_FIELDS = frozenset({"title", "is_active", "is_pinned", "accepted_message"})


@receiver(post_save, sender=DiscussionThread, dispatch_uid="discussions.thread_saved")
def thread_saved(sender, instance: DiscussionThread, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:
        reading.thread_follow_ensure(user_id=instance.created_by_id, thread_id=instance.pk)
        publish(course_topic(instance.course_id), "thread.created", ThreadSerializer(instance).data)
        return
    update_fields = kwargs.get("update_fields")
    changed = THREAD_SHOWN_FIELDS if update_fields is None else THREAD_SHOWN_FIELDS & update_fields
    if not changed:
        return
    data = ThreadSerializer(instance).data
    publish(thread_topic(instance.pk), "thread.updated", data)
    # The course's thread list learns of changes students may see, and of a close.
    if instance.is_active or "is_active" in changed:
        publish(course_topic(instance.course_id), "thread.updated", data)
    if "is_active" in changed and not instance.is_active:
        revoke(topic=thread_topic(instance.pk), roles=[Role.STUDENT])


@receiver(post_save, sender=ThreadMessage, dispatch_uid="discussions.thread_message_created")
def thread_message_created(sender, instance: ThreadMessage, created: bool, **kwargs) -> None:
    if created:
        publish(
            thread_topic(instance.thread_id),
            "thread.message",
            ThreadMessageSerializer(instance).data,
        )


@receiver(post_save, sender=ThreadMessage, dispatch_uid="discussions.thread_message_reading")
def thread_message_reading(sender, instance: ThreadMessage, created: bool, raw=False, **kwargs):
    """Posting follows the thread; the course's lists and badges hear of the activity
    (ids only, no content: nothing there to redact) while the thread is active."""
    if raw or not created:
        return
    reading.thread_follow_ensure(user_id=instance.sender_id, thread_id=instance.thread_id)
    thread = instance.thread
    if thread.is_active:
        publish(
            course_topic(thread.course_id),
            "thread.activity",
            {
                "thread": thread.pk,
                "course": thread.course_id,
                "message": instance.pk,
                "sender": instance.sender_id,
                "created_at": instance.created_at,
            },
        )


@receiver(post_save, sender=DirectMessage, dispatch_uid="discussions.direct_message_created")
def direct_message_created(sender, instance: DirectMessage, created: bool, **kwargs) -> None:
    if created:
        data = DirectMessageSerializer(instance).data
        for user_id in (instance.sender_id, instance.recipient_id):
            publish(user_topic(user_id), "dm.created", data)


@receiver(pre_delete, sender=ThreadMessage, dispatch_uid="discussions.thread_message_deleting")
def thread_message_deleting(sender, instance: ThreadMessage, **kwargs) -> None:
    # The accepted answer's foreign key is cleared without a save: note it to tell readers.
    instance.was_accepted = DiscussionThread.objects.filter(
        pk=instance.thread_id, accepted_message_id=instance.pk
    ).exists()


@receiver(post_delete, sender=ThreadMessage, dispatch_uid="discussions.thread_message_deleted")
def thread_message_deleted(sender, instance: ThreadMessage, **kwargs) -> None:
    data = {"id": instance.pk, "thread": instance.thread_id}
    if getattr(instance, "was_accepted", False):
        # Its readers hear the accepted answer cleared (thread_saved publishes it).
        thread = DiscussionThread.objects.filter(pk=instance.thread_id).first()
        if thread is not None and thread.accepted_message_id is None:
            thread.save(update_fields=["accepted_message"])
    retract(
        thread_topic(instance.thread_id),
        events=["thread.message"],
        replacement="thread.message_deleted",
        data=data,
    )
    services.message_notifications_delete(
        entity_type=services.THREAD_MESSAGE_ENTITY, message_id=instance.pk
    )


@receiver(post_delete, sender=DirectMessage, dispatch_uid="discussions.direct_message_deleted")
def direct_message_deleted(sender, instance: DirectMessage, **kwargs) -> None:
    data = {"id": instance.pk, "sender": instance.sender_id, "recipient": instance.recipient_id}
    for user_id in {instance.sender_id, instance.recipient_id}:
        retract(user_topic(user_id), events=["dm.created"], replacement="dm.deleted", data=data)
    services.message_notifications_delete(
        entity_type=services.DIRECT_MESSAGE_ENTITY, message_id=instance.pk
    )


@receiver(post_delete, sender=DiscussionThread, dispatch_uid="discussions.thread_deleted")
def thread_deleted(sender, instance: DiscussionThread, **kwargs) -> None:
    data = {"id": instance.pk, "course": instance.course_id}
    retract(
        course_topic(instance.course_id),
        events=["thread.created", "thread.updated"],
        replacement="thread.deleted",
        data=data,
    )

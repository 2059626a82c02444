"""Receivers that turn discussion rows into realtime events: the one route of each event.

A deleted message is redacted from the stored events in the deleting
transaction, so no replay or poll returns its content again, and a deletion
event tells live pages to remove it; the notifications that quote it are
deleted with it (and leave live pages through their own receiver).
"""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from discussions import moderation, reading, services
from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from discussions.serializers import (
    DirectMessageSerializer,
    ThreadMessageSerializer,
    ThreadSerializer,
)
from discussions.topics import thread_topic
from lms.catalog.topics import course_topic
from lms.realtime.events import publish, retract, revoke
from lms.realtime.registry import Role
from notifications.topics import user_topic

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
        moderation.message_accepted_gone(message_id=instance.pk, thread_id=instance.thread_id)
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

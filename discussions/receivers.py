"""Receivers that turn new and deleted discussion rows into realtime events.

A deleted message is redacted from the stored events in the deleting
transaction, so no replay or poll returns its content again, and a deletion
event tells live pages to remove it. Other changes (rename, close, read) are
published by the services that make them (discussions/services.py).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from discussions.serializers import (
    DirectMessageSerializer,
    ThreadMessageSerializer,
    ThreadSerializer,
)
from lms.realtime.events import publish, retract


@receiver(post_save, sender=DiscussionThread, dispatch_uid="discussions.thread_created")
def thread_created(sender, instance: DiscussionThread, created: bool, **kwargs) -> None:
    if created:
        publish(f"course:{instance.course_id}", "thread.created", ThreadSerializer(instance).data)


@receiver(post_save, sender=ThreadMessage, dispatch_uid="discussions.thread_message_created")
def thread_message_created(sender, instance: ThreadMessage, created: bool, **kwargs) -> None:
    if created:
        publish(
            f"thread:{instance.thread_id}", "thread.message", ThreadMessageSerializer(instance).data
        )


@receiver(post_save, sender=DirectMessage, dispatch_uid="discussions.direct_message_created")
def direct_message_created(sender, instance: DirectMessage, created: bool, **kwargs) -> None:
    if created:
        data = DirectMessageSerializer(instance).data
        for user_id in (instance.sender_id, instance.recipient_id):
            publish(f"user:{user_id}", "dm.created", data)


@receiver(post_delete, sender=ThreadMessage, dispatch_uid="discussions.thread_message_deleted")
def thread_message_deleted(sender, instance: ThreadMessage, **kwargs) -> None:
    data = {"id": instance.pk, "thread": instance.thread_id}
    retract(
        f"thread:{instance.thread_id}",
        events=["thread.message"],
        replacement="thread.message_deleted",
        data=data,
    )


@receiver(post_delete, sender=DirectMessage, dispatch_uid="discussions.direct_message_deleted")
def direct_message_deleted(sender, instance: DirectMessage, **kwargs) -> None:
    data = {"id": instance.pk, "sender": instance.sender_id, "recipient": instance.recipient_id}
    for user_id in {instance.sender_id, instance.recipient_id}:
        retract(f"user:{user_id}", events=["dm.created"], replacement="dm.deleted", data=data)


@receiver(post_delete, sender=DiscussionThread, dispatch_uid="discussions.thread_deleted")
def thread_deleted(sender, instance: DiscussionThread, **kwargs) -> None:
    data = {"id": instance.pk, "course": instance.course_id}
    retract(
        f"course:{instance.course_id}",
        events=["thread.created", "thread.updated"],
        replacement="thread.deleted",
        data=data,
    )

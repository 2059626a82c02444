"""Post-save receivers that turn new discussion rows into realtime events.

Changes other than creation (rename, close, delete, read) are published by
the services that make them (discussions/services.py).
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from discussions.serializers import (
    DirectMessageSerializer,
    ThreadMessageSerializer,
    ThreadSerializer,
)
from lms.realtime.events import publish


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

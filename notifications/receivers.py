"""Receivers that turn notification rows into realtime events."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lms.realtime.events import publish, retract
from notifications.models import Notification
from notifications.serializers import NotificationSerializer


@receiver(post_save, sender=Notification, dispatch_uid="notification_created_event")
def notification_created_event(sender, instance: Notification, created: bool, **kwargs) -> None:
    if created:
        publish(
            f"user:{instance.user_id}",
            "notification.created",
            NotificationSerializer(instance).data,
        )


@receiver(post_delete, sender=Notification, dispatch_uid="notification_deleted_event")
def notification_deleted_event(sender, instance: Notification, **kwargs) -> None:
    """A deleted notification leaves the replay, and open pages drop it."""
    retract(
        f"user:{instance.user_id}",
        events=["notification.created"],
        replacement="notification.deleted",
        data={"id": instance.pk},
    )

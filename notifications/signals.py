"""Post-save receivers that turn notification rows into realtime events."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from lms.realtime.events import publish
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

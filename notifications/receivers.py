"""Receivers that turn notification rows into realtime events (notifications/events.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from notifications import events
from notifications.models import Notification


@receiver(post_save, sender=Notification, dispatch_uid="notification_created_event")
def notification_created_event(sender, instance: Notification, created: bool, **kwargs) -> None:
    if created:
        events.notifications_created([instance])


@receiver(post_delete, sender=Notification, dispatch_uid="notification_deleted_event")
def notification_deleted_event(sender, instance: Notification, **kwargs) -> None:
    events.notification_deleted(instance)

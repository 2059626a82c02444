"""The realtime side of notifications: the `user:{id}` topic, and each event of the app
built in one place.

`user:{id}` carries everything addressed to one user (progress, notifications, direct
messages); only that user may hold it. The services write notifications in bulk, which
fires no signals, and call `notifications_created` with every row they wrote; a row saved
any other way (the admin) reaches it through its post-save receiver below. Nothing else
publishes these events.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lms.realtime.events import event_data, publish, retract
from lms.realtime.registry import ID, Grant, Role, Topic, register
from notifications.models import Notification
from notifications.selectors import notification_unread_count
from notifications.serializers import NotificationSerializer


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


def user_authorize(user, *, user_id: int) -> Grant | None:
    """Only the user themself may hold their own topic."""
    if user.is_authenticated and user.is_active and user.pk == user_id:
        return Grant(role=Role.OWNER)
    return None


def user_join_data(user, *, user_id: int) -> dict:
    return {"unread_notifications": notification_unread_count(user=user)}


register(
    Topic(
        name="user",
        pattern=rf"user:(?P<user_id>{ID})",
        authorize=user_authorize,
        join_data=user_join_data,
        persistent=True,
    )
)


def notifications_created(notifications: list[Notification]) -> None:
    """`notification.created` on each one's user topic.

    By one serializer for every row (`event_data`): one built per row spent most of
    a post's time on a thread with hundreds of followers.
    """
    for notification in notifications:
        publish(
            user_topic(notification.user_id),
            "notification.created",
            event_data(NotificationSerializer, notification),
        )


def notification_deleted(notification: Notification) -> None:
    """A deleted notification leaves the replay, and open pages drop it."""
    retract(
        user_topic(notification.user_id),
        events=["notification.created"],
        replacement="notification.deleted",
        data={"id": notification.pk},
    )


def notifications_read(*, user_id: int, ids: list[int], unread_count: int) -> None:
    publish(user_topic(user_id), "notification.read", {"ids": ids, "unread_count": unread_count})


@receiver(post_save, sender=Notification, dispatch_uid="notification_created_event")
def notification_created_event(sender, instance: Notification, created: bool, **kwargs) -> None:
    if created:
        notifications_created([instance])


@receiver(post_delete, sender=Notification, dispatch_uid="notification_deleted_event")
def notification_deleted_event(sender, instance: Notification, **kwargs) -> None:
    notification_deleted(instance)

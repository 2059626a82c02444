"""The events of the notifications app, each built in one place.

The services write notifications in bulk, which fires no signals, and call
`notifications_created` with every row they wrote; a row saved any other way
(the admin) reaches it through its post-save receiver (receivers.py). Nothing
else publishes these events.
"""

from __future__ import annotations

from lms.realtime.events import event_data, publish, retract
from notifications.models import Notification
from notifications.serializers import NotificationSerializer
from notifications.topics import user_topic


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

"""Publishing events: the only way anything reaches a websocket or a poller.

    publish("user:42", "notification.created", serializer.data)

Persistent topics get the next id of the topic under the topic's counter row
lock, which is held until the writer's transaction commits; the event row is
stored in that same transaction, and the frame is sent to the channel layer
only from `transaction.on_commit`. A rolled-back change sends nothing, and ids
on a topic commit in order with no gaps.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from lms.realtime import metrics, registry
from lms.realtime.models import Event

logger = logging.getLogger(__name__)


def group_for(topic: str) -> str:
    """Channel-layer group of a topic (group names allow letters, digits, - _ . only)."""
    return f"{settings.REALTIME_NAMESPACE}.{topic.replace(':', '.')}"


def control_group() -> str:
    """The group every server process listens on for revocations."""
    return f"{settings.REALTIME_NAMESPACE}.control"


def to_json(value: Any) -> Any:
    """The JSON form of event data, the same live and on replay."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def event_frame(topic: str, event: str, seq: int | None, data: Any) -> str:
    frame: dict[str, Any] = {"op": "event", "topic": topic, "event": event}
    if seq is not None:
        frame["id"] = seq
    frame["data"] = data
    return json.dumps(frame, separators=(",", ":"), cls=DjangoJSONEncoder)


def _next_seq(topic: str) -> int:
    # One statement that creates or increments the counter and keeps its row locked
    # until commit: concurrent writers to the topic queue here, in id order.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO realtime_topiccounter (topic, last_id) VALUES (%s, 1) "
            "ON CONFLICT (topic) DO UPDATE SET last_id = realtime_topiccounter.last_id + 1 "
            "RETURNING last_id",
            [topic],
        )
        return cursor.fetchone()[0]


def publish(topic: str, event: str, data: Any) -> int | None:
    """Send `event` with `data` to every subscriber of `topic` once the transaction commits.

    Returns the event id on persistent topics (None on others). Call it from
    the writer's transaction (a service, or a post_save receiver).
    """
    resolved = registry.resolve(topic)
    if resolved is None:
        raise ValueError(f"unknown topic {topic!r}")
    spec, _params = resolved
    payload = to_json(data)
    seq = None
    if spec.persistent:
        with transaction.atomic():
            seq = _next_seq(topic)
            Event.objects.create(topic=topic, seq=seq, event=event, data=payload)
    frame = event_frame(topic, event, seq, payload)
    message = {"type": "rt.event", "topic": topic, "id": seq, "frame": frame}
    transaction.on_commit(lambda: _send(group_for(topic), message, event))
    return seq


def broadcast(topic: str, frame: dict[str, Any]) -> None:
    """Send a transient frame (presence, typing, leaderboard) now, without storing it."""
    message = {"type": "rt.event", "topic": topic, "id": None, "frame": json.dumps(frame)}
    _send(group_for(topic), message, frame.get("event") or frame.get("op"))


def revoke(
    *,
    user_ids: list[int] | None = None,
    topic: str | None = None,
    course_id: int | None = None,
    roles: list[str] | None = None,
    disconnect: bool = False,
) -> None:
    """Remove topics from live sockets, on every server process, after commit.

    A socket drops each joined topic whose grant matches every given filter:
    its user is in `user_ids`, the topic is `topic`, the grant's course is
    `course_id`, the grant's role is in `roles`. With `disconnect` the matched
    users' sockets are closed altogether (a deactivated account).
    """
    message = {
        "type": "rt.control",
        "action": "disconnect" if disconnect else "revoke",
        "user_ids": list(user_ids) if user_ids is not None else None,
        "topic": topic,
        "course_id": course_id,
        "roles": list(roles) if roles is not None else None,
    }
    transaction.on_commit(lambda: _send(control_group(), message, "revoke"))


def _send(group: str, message: dict[str, Any], kind: str) -> None:
    message["ts"] = time.time()
    layer = get_channel_layer()
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The event is stored: sockets fill the gap from the database on the next event,
        # and reconnecting clients replay it.
        logger.exception("channel layer send failed for %s", group)
        return
    metrics.EVENTS_PUBLISHED.labels(kind=kind or "").inc()

"""Publishing events: the only way anything reaches a websocket or a poller.

    publish("user:42", "notification.created", serializer.data)

Persistent topics get the next id of the topic under the topic's counter row
lock, which is held until the writer's transaction commits; the event row is
stored in that same transaction, and the frame is sent to the channel layer
only from `transaction.on_commit`. A rolled-back change sends nothing, and ids
on a topic commit in order with no gaps.

Every message carries the id of the site (its database) that sent it; a hub
drops messages of another site, so deployments sharing a Redis server never
deliver each other's events even if an operator gives them one namespace.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from rest_framework.fields import DateTimeField

from lms.platform import metrics
from lms.platform.handlers import run_after_view
from lms.realtime import registry
from lms.realtime.models import Event

logger = logging.getLogger(__name__)


def event_data(serializer_class: type, instance: Any) -> dict[str, Any]:
    """What `serializer_class(instance).data` is, for an event's payload.

    Represented by one serializer of the class kept for every event: a DRF
    serializer builds its fields anew for each instance it is created for, ten
    times what representing one costs, and a lesson completion sends five.
    Only for serializers that need no context (no request).
    """
    return _shared_serializer(serializer_class).to_representation(instance)


@cache
def _shared_serializer(serializer_class: type) -> Any:
    return serializer_class()


def group_for(topic: str) -> str:
    """Channel-layer group of a topic (group names allow letters, digits, - _ . only)."""
    return f"{settings.REALTIME_NAMESPACE}.{topic.replace(':', '.')}"


def control_group() -> str:
    """The group every server process listens on for revocations."""
    return f"{settings.REALTIME_NAMESPACE}.control"


def site_id() -> str:
    """Which database this process serves: every message says where it comes from."""
    db = connection.settings_dict
    return _site_id(db["ENGINE"], str(db["NAME"]), db.get("HOST") or "", str(db.get("PORT") or ""))


@cache
def _site_id(engine: str, name: str, host: str, port: str) -> str:
    return hashlib.sha256(f"{engine}|{name}|{host}|{port}".encode()).hexdigest()[:16]


class EventEncoder(DjangoJSONEncoder):
    """Event data as JSON; a datetime as the API writes it (DRF's, to the microsecond),
    so that a time an event carries equals the same time read from the API."""

    api_datetime = DateTimeField()

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return self.api_datetime.to_representation(o)
        return super().default(o)


def to_json(value: Any) -> Any:
    """The JSON form of event data, the same live and on replay."""
    return json.loads(json.dumps(value, cls=EventEncoder))


def event_frame(topic: str, event: str, seq: int | None, data: Any) -> str:
    frame: dict[str, Any] = {"op": "event", "topic": topic, "event": event}
    if seq is not None:
        frame["id"] = seq
    frame["data"] = data
    return json.dumps(frame, separators=(",", ":"), cls=EventEncoder)


def _next_seq(topic: str) -> int:
    # One statement that creates or increments the counter and keeps its row locked
    # until commit: concurrent writers to the topic queue here, in id order.
    return _reserve(topic, 1)


def _reserve(topic: str, count: int) -> int:
    """Take `count` ids on `topic` in one statement; the last of them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO realtime_topiccounter (topic, last_id) VALUES (%s, %s) "
            "ON CONFLICT (topic) DO UPDATE SET last_id = realtime_topiccounter.last_id + %s "
            "RETURNING last_id",
            [topic, count, count],
        )
        return cursor.fetchone()[0]


RESERVE_CHUNK = 500  # topics per statement, within every database's parameter limit


def _reserve_many(counts: dict[str, int]) -> dict[str, int]:
    """`_reserve` for many topics, in topic name order, a statement per RESERVE_CHUNK topics."""
    topics = sorted(counts)
    last_ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(topics), RESERVE_CHUNK):
            chunk = topics[start : start + RESERVE_CHUNK]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO realtime_topiccounter (topic, last_id) VALUES {values} "
                "ON CONFLICT (topic) DO UPDATE "
                "SET last_id = realtime_topiccounter.last_id + excluded.last_id "
                "RETURNING topic, last_id",
                [param for topic in chunk for param in (topic, counts[topic])],
            )
            last_ids.update(cursor.fetchall())
    return last_ids


def _store_one(publication: _Publication) -> int:
    """Take the topic's next id and store the event under it; the id.

    On PostgreSQL one statement (the counter's upsert in a data-modifying WITH),
    atomic by itself; elsewhere the two statements in a savepoint.
    """
    topic, event, payload = publication.topic, publication.event, publication.payload
    if connection.vendor != "postgresql":
        with transaction.atomic():
            seq = _reserve(topic, 1)
            Event.objects.create(topic=topic, seq=seq, event=event, data=payload)
        return seq
    data = Event._meta.get_field("data").get_db_prep_save(payload, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH counter AS ("
            "INSERT INTO realtime_topiccounter (topic, last_id) VALUES (%s, 1) "
            "ON CONFLICT (topic) DO UPDATE SET last_id = realtime_topiccounter.last_id + 1 "
            "RETURNING last_id) "
            "INSERT INTO realtime_event (topic, seq, event, data, created_at) "
            "SELECT %s, last_id, %s, %s, %s FROM counter RETURNING seq",
            [topic, topic, event, data, timezone.now()],
        )
        return cursor.fetchone()[0]


class _Publication:
    """One published event: stored in the writer's transaction, sent after its commit."""

    __slots__ = ("topic", "event", "payload", "seq")

    def __init__(self, topic: str, event: str, payload: Any) -> None:
        self.topic, self.event, self.payload, self.seq = topic, event, payload, None

    def __call__(self) -> None:  # transaction.on_commit
        frame = event_frame(self.topic, self.event, self.seq, self.payload)
        message = {"type": "rt.event", "topic": self.topic, "id": self.seq, "frame": frame}
        _send(group_for(self.topic), message, self.event)


_batches = threading.local()


def publish(topic: str, event: str, data: Any) -> int | None:
    """Send `event` with `data` to every subscriber of `topic` once the transaction commits.

    Returns the event id on persistent topics (None on others, and inside a
    `batch()`, where ids are taken when the batch ends). Call it from the
    writer's transaction (a service, or a post_save receiver).
    """
    resolved = registry.resolve(topic)
    if resolved is None:
        raise ValueError(f"unknown topic {topic!r}")
    spec, _params = resolved
    publication = _Publication(topic, event, to_json(data))
    pending = getattr(_batches, "pending", None)
    if spec.persistent and pending is not None:
        pending.append(publication)
    elif spec.persistent:
        publication.seq = _store_one(publication)
    transaction.on_commit(publication)
    return publication.seq


@contextmanager
def batch() -> Iterator[None]:
    """Store the events published inside together, when the block ends.

    One statement for the counters of every topic, and one insert for all of
    them, instead of a statement per event. Use it inside the writer's transaction around
    a write that publishes several events (the completion cascade); ids are
    taken at the end, after every row the write locks (see progress/services.py
    for the lock order), topic by topic in name order. Events of a savepoint
    that rolled back are dropped, as their commit callbacks are.
    """
    if getattr(_batches, "pending", None) is not None or not connection.in_atomic_block:
        yield  # nested, the outermost block stores; or no transaction to store in
        return
    _batches.pending = []
    try:
        yield
        _store(_batches.pending)
    finally:
        _batches.pending = None


def _store(publications: list[_Publication]) -> None:
    # Django drops the commit callbacks of a rolled-back savepoint: so are its events.
    kept = {id(callback) for _sids, callback, _robust in connection.run_on_commit}
    by_topic: dict[str, list[_Publication]] = {}
    for publication in publications:
        if id(publication) in kept:
            by_topic.setdefault(publication.topic, []).append(publication)
    last_ids = _reserve_many({topic: len(batch) for topic, batch in by_topic.items()})
    rows = []
    for topic in sorted(by_topic):
        batch = by_topic[topic]
        first = last_ids[topic] - len(batch) + 1
        for offset, publication in enumerate(batch):
            publication.seq = first + offset
            rows.append(
                Event(
                    topic=topic,
                    seq=publication.seq,
                    event=publication.event,
                    data=publication.payload,
                )
            )
    Event.objects.bulk_create(rows)


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
) -> None:
    """Remove topics from live sockets, on every server process, after commit.

    A socket drops each joined topic whose grant matches every given filter:
    its user is in `user_ids`, the topic is `topic`, the grant's course is
    `course_id`, the grant's role is in `roles`.
    """
    _control(
        "revoke",
        user_ids=user_ids,
        topic=topic,
        course_id=course_id,
        roles=[str(role) for role in roles] if roles is not None else None,
    )


def reauthorize(*, user_ids: list[int] | None = None, course_id: int | None = None) -> None:
    """After commit, matching sockets check their user again and drop what is no longer granted.

    For changes that no single grant expresses: a role or staff flag taken
    away, a course given to another instructor, a password changed. Each
    matching socket reloads its user and credential once and re-runs the
    authorization of its topics (those of `course_id` only, when given).
    """
    _control("reauthorize", user_ids=user_ids, course_id=course_id)


def disconnect(*, user_ids: list[int] | None = None, credential: str | None = None) -> None:
    """After commit, close the matching sockets: a user's, or those opened with a credential.

    `credential` is the fingerprint (realtime.auth.fingerprint) of a session
    or token: a logout or a revoked token ends exactly the sockets it opened.
    """
    _control("disconnect", user_ids=user_ids, credential=credential)


def _control(action: str, *, user_ids: list[int] | None = None, **filters: Any) -> None:
    message = {
        "type": "rt.control",
        "action": action,
        "user_ids": list(user_ids) if user_ids is not None else None,
        **filters,
    }
    transaction.on_commit(lambda: _send(control_group(), message, action))


def retract(topic: str, *, events: list[str], replacement: str, data: dict[str, Any]) -> None:
    """A deleted object leaves `topic`: its stored `events` redacted, `replacement` published.

    `data` carries the object's `id` (and whatever else identifies it); it is
    both the redacted events' new data and the live event's.
    """
    redact(topic, events=events, object_id=data["id"], replacement=replacement, data=data)
    publish(topic, replacement, data)


def redact(
    topic: str, *, events: list[str], object_id: int, replacement: str, data: dict[str, Any]
) -> int:
    """Rewrite the stored events about a deleted object, in the deleting transaction.

    Stored `events` of `topic` whose data has `id == object_id` become
    `replacement` with `data`: a replay (join with `since`, or a poll) never
    returns the deleted content again, and ids stay gapless.
    """
    return Event.objects.filter(topic=topic, event__in=events, data__id=object_id).update(
        event=replacement, data=to_json(data)
    )


def rewrite(topic: str, *, events: list[str], object_id: int, data: dict[str, Any]) -> int:
    """Replace the data of the stored events about a changed object, in the changing transaction.

    Stored `events` of `topic` whose data has `id == object_id` keep their name and
    id and get `data` (the object as it is now): a replay (join with `since`, or a
    poll) returns the current state only, never an earlier one.
    """
    return Event.objects.filter(topic=topic, event__in=events, data__id=object_id).update(
        data=to_json(data)
    )


def rewrite_key(
    *, topics: list[str], events: list[str], object_ids: list[int], key: str, value: str
) -> int:
    """Set one top-level text `key` of the stored events about several objects, in one statement.

    For a change that touches many stored events alike (the quoted text of many
    notifications): `rewrite` replaces whole data, this one key, so a replay
    holds the new value only.
    """
    if not topics or not object_ids:
        return 0
    if connection.vendor == "postgresql":
        data = RawSQL("jsonb_set(data, %s::text[], to_jsonb(%s::text))", (f"{{{key}}}", value))
    else:
        data = RawSQL("json_set(data, %s, %s)", (f"$.{key}", value))
    return Event.objects.filter(topic__in=topics, event__in=events, data__id__in=object_ids).update(
        data=data
    )


def _send(group: str, message: dict[str, Any], kind: str) -> None:
    message["site"] = site_id()
    # In a request: sent from the event loop once the view returns, with the request's
    # other events, in order; elsewhere (a command, a test) now.
    if run_after_view(_group_send, group, message, kind):
        return
    try:
        async_to_sync(_group_send)(group, message, kind)
    except Exception:  # no way to the event loop from here (a sync call inside a running loop)
        logger.exception("channel layer send failed for %s", group)


async def _group_send(group: str, message: dict[str, Any], kind: str) -> None:
    message["ts"] = time.time()
    try:
        await get_channel_layer().group_send(group, message)
    except Exception:
        # The event is stored: sockets fill the gap from the database on the next event,
        # and reconnecting clients replay it.
        logger.exception("channel layer send failed for %s", group)
        return
    metrics.EVENTS_PUBLISHED.labels(kind=kind or "").inc()

"""Reading stored events back: replay on join, gap filling, polling."""

from __future__ import annotations

from django.db import connection

from lms.realtime.db import in_db_thread
from lms.realtime.events import event_frame
from lms.realtime.models import Event, TopicCounter

_COUNTERS = connection.ops.quote_name(TopicCounter._meta.db_table)

# More missed events than this and the client is told to reload instead.
REPLAY_LIMIT = 5000


def last_id(topic: str) -> int:
    """The topic's last committed id (0 before its first event). Written out: every join
    of a persistent topic asks, and the ORM's compilation costs more than the query."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_id FROM {_COUNTERS} WHERE topic = %s", [topic])
        row = cursor.fetchone()
    return row[0] if row else 0


def events_after(topic: str, since: int) -> tuple[list[Event], int, bool]:
    """(events after `since`, the topic's last committed id, reset).

    `reset` is true when the history after `since` is no longer complete
    (pruned, or `since` comes from another history): the client must reload.
    """
    current = last_id(topic)
    if since == current:
        return [], current, False
    if since > current:
        return [], current, True
    events = list(
        Event.objects.filter(topic=topic, seq__gt=since).order_by("seq")[: REPLAY_LIMIT + 1]
    )
    if not events or events[0].seq != since + 1 or len(events) > REPLAY_LIMIT:
        return [], current, True
    return events, max(current, events[-1].seq), False


def history(topic: str, since: int | None) -> tuple[list[tuple[int, str]], int, bool]:
    """Frames to replay on join, the id the socket continues from, and reset."""
    if since is None:
        return [], last_id(topic), False
    events, current, reset = events_after(topic, since)
    return [(e.seq, event_frame(topic, e.event, e.seq, e.data)) for e in events], current, reset


@in_db_thread
def between(topic: str, after: int, before: int) -> list[tuple[int, str]]:
    events = Event.objects.filter(topic=topic, seq__gt=after, seq__lt=before).order_by("seq")
    return [(e.seq, event_frame(topic, e.event, e.seq, e.data)) for e in events]

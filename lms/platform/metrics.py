"""Prometheus metrics of the realtime layer, served at /metrics."""

from prometheus_client import Counter, Gauge, Histogram

OPEN_SOCKETS = Gauge("lms_ws_open_sockets", "Websockets currently open on this process")
JOINS = Counter("lms_ws_joins_total", "Topic joins accepted", ["topic"])
REJECTED_JOINS = Counter("lms_ws_rejected_joins_total", "Topic joins refused", ["code"])
# Why a websocket was refused or closed at once: lms/realtime/auth.py and consumers.py.
HANDSHAKE_FAILURE_REASONS = ("anonymous", "origin", "too_many_sockets", "error")
FAILED_HANDSHAKES = Counter(
    "lms_ws_failed_handshakes_total", "Websocket handshakes refused", ["reason"]
)
for _reason in HANDSHAKE_FAILURE_REASONS:
    FAILED_HANDSHAKES.labels(reason=_reason)  # every reason is exported, from 0
CONSUMER_ERRORS = Counter(
    "lms_ws_consumer_errors_total",
    "Exceptions in a socket's frame or event handling (answered, or closing the socket)",
)
EVENTS_PUBLISHED = Counter(
    "lms_events_published_total", "Events sent to the channel layer", ["kind"]
)
EVENTS_DELIVERED = Counter("lms_events_delivered_total", "Event frames written to sockets")
DELIVERY_LATENCY = Histogram(
    "lms_event_delivery_seconds",
    "From commit to the frame written to a local socket",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RATE_LIMITED = Counter(
    "lms_rate_limited_total", "Requests and frames refused by a rate limit", ["scope"]
)
POLLS = Counter("lms_poll_requests_total", "Polling fallback requests")
FOREIGN_MESSAGES = Counter(
    "lms_foreign_messages_total",
    "Channel-layer messages of another site (a shared Redis server), dropped",
)
HELD_POLLS = Gauge("lms_poll_held", "Polls this process holds, waiting for events")
DB_CONNECTIONS_IN_USE = Gauge(
    "lms_db_connections_in_use", "Pooled database connections lent out now (0 without a pool)"
)


def _connections_in_use() -> float:
    from django.db import connections

    pool = getattr(connections["default"], "pool", None)
    if pool is None:
        return 0
    stats = pool.get_stats()
    return stats.get("pool_size", 0) - stats.get("pool_available", 0)


DB_CONNECTIONS_IN_USE.set_function(_connections_in_use)

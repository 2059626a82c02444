"""How every server process of the site is doing, for the staff health page.

Each process writes a snapshot of its own figures (the Prometheus collectors
that /metrics serves: counter totals, gauges, the latency histogram's bucket
counts) every REALTIME_HEALTH_INTERVAL seconds, from a small daemon thread
started with the process's first HTTP request or its hub (the first socket or
held poll). With REDIS_URL the snapshots go to Redis under the site's
namespace: a ring of the last ones per process, in keys that expire after
three intervals, so a process that died drops off; without it, to this
process's memory.

The reader turns each process's ring into rates: the difference between its
latest snapshot and the newest one at least a minute older (or the process's
start, when all its counters were zero), and latency quantiles from the
bucket counts of that window, interpolated within a bucket as Prometheus'
histogram_quantile does.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.signals import request_started

from lms.platform import metrics
from lms.realtime.presence import PROCESS_ID

logger = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60.0
MIN_SNAPSHOTS_KEPT = 30
STARTED_AT = time.time()
HOSTNAME = socket.gethostname()

Snapshot = dict[str, Any]


def interval() -> float:
    """Seconds between two snapshots of a process; 0 turns reporting off."""
    return float(settings.REALTIME_HEALTH_INTERVAL)


def _expiry_seconds() -> int:
    return max(1, math.ceil(3 * interval()))


def _kept() -> int:
    """Enough snapshots to reach a minute back, and at least MIN_SNAPSHOTS_KEPT."""
    return max(MIN_SNAPSHOTS_KEPT, math.ceil(2 * RATE_WINDOW_SECONDS / max(interval(), 0.1)))


# Reading the collectors


def _samples(collector, suffix: str) -> list:
    return [s for family in collector.collect() for s in family.samples if s.name.endswith(suffix)]


def _total(collector) -> float:
    return sum(s.value for s in _samples(collector, "_total"))


def _gauge(collector) -> float:
    return sum(s.value for family in collector.collect() for s in family.samples)


def snapshot(now: float | None = None) -> Snapshot:
    """This process's figures now, from the collectors /metrics serves."""
    failed = {s.labels["reason"]: s.value for s in _samples(metrics.FAILED_HANDSHAKES, "_total")}
    latency = metrics.DELIVERY_LATENCY
    buckets = [[s.labels["le"], s.value] for s in _samples(latency, "_bucket")]
    record: Snapshot = {
        "process": PROCESS_ID,
        "hostname": HOSTNAME,
        "pid": os.getpid(),
        "started_at": STARTED_AT,
        "ts": time.time() if now is None else now,
        "open_connections": _gauge(metrics.OPEN_SOCKETS),
        "held_polls": _gauge(metrics.HELD_POLLS),
        "joins": _total(metrics.JOINS),
        "rejected_joins": _total(metrics.REJECTED_JOINS),
        "failed_handshakes": failed,
        "events_published": _total(metrics.EVENTS_PUBLISHED),
        "events_delivered": _total(metrics.EVENTS_DELIVERED),
        "polls": _total(metrics.POLLS),
        "consumer_errors": _total(metrics.CONSUMER_ERRORS),
        "latency_buckets": buckets,
    }
    record["serves"] = serves(record)
    return record


def serves(record: Snapshot) -> list[str]:
    """What the process has served since it started, as far as its figures tell."""
    kinds = []
    if record["open_connections"] or record["joins"] or any(record["failed_handshakes"].values()):
        kinds.append("websockets")
    if record["polls"] or record["held_polls"]:
        kinds.append("polls")
    return kinds


# Stores


class MemoryHealthStore:
    """Without Redis: the one process's own ring."""

    def __init__(self) -> None:
        self.rings: dict[str, deque[Snapshot]] = {}
        self.lock = threading.Lock()

    def add(self, record: Snapshot) -> None:
        with self.lock:
            ring = self.rings.get(record["process"])
            if ring is None or ring.maxlen != _kept():
                ring = self.rings[record["process"]] = deque(ring or (), maxlen=_kept())
            ring.append(record)

    def rings_since(self, since: float) -> dict[str, list[Snapshot]]:
        with self.lock:
            rings = self.rings.items()
            return {p: list(ring) for p, ring in rings if ring and ring[-1]["ts"] >= since}


class RedisHealthStore:
    """Per site: a sorted set of processes by last report, and a list of snapshots each."""

    def __init__(self, client) -> None:
        self.redis = client

    @staticmethod
    def _keys(process: str) -> tuple[str, str]:
        base = f"{settings.REALTIME_NAMESPACE}:health"
        return f"{base}:processes", f"{base}:ring:{process}"

    def add(self, record: Snapshot) -> None:
        processes, ring = self._keys(record["process"])
        expiry = _expiry_seconds()
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(ring, json.dumps(record))
        pipe.ltrim(ring, 0, _kept() - 1)
        pipe.expire(ring, expiry)
        pipe.zadd(processes, {record["process"]: record["ts"]})
        pipe.zremrangebyscore(processes, "-inf", record["ts"] - expiry)
        pipe.expire(processes, expiry)
        pipe.execute()

    def rings_since(self, since: float) -> dict[str, list[Snapshot]]:
        processes, _ring = self._keys("")
        live = [p.decode() for p in self.redis.zrangebyscore(processes, since, "+inf")]
        if not live:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for process in live:
            pipe.lrange(self._keys(process)[1], 0, -1)
        rings = {}
        for process, raw in zip(live, pipe.execute(), strict=True):
            if raw:  # newest first in Redis
                rings[process] = [json.loads(item) for item in reversed(raw)]
        return rings


_memory = MemoryHealthStore()
_redis_clients: dict[str, Any] = {}


def store() -> MemoryHealthStore | RedisHealthStore:
    if not settings.REDIS_URL:
        return _memory
    client = _redis_clients.get(settings.REDIS_URL)
    if client is None:
        import redis

        client = _redis_clients[settings.REDIS_URL] = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return RedisHealthStore(client)


# Reporting


def report() -> None:
    """Write this process's snapshot now."""
    store().add(snapshot())


_reporter: threading.Thread | None = None
_reporter_lock = threading.Lock()


def start_reporting() -> None:
    """Start this process's reporter thread, once; cheap enough to call per request."""
    global _reporter
    if _reporter is not None or interval() <= 0:
        return
    with _reporter_lock:
        if _reporter is None:
            _reporter = threading.Thread(target=_report_forever, name="lms-health", daemon=True)
            _reporter.start()


def _report_forever() -> None:
    while True:
        try:
            report()
        except Exception as exc:  # Redis down: the next round tries again
            logger.warning("health snapshot not written: %s", exc)
        time.sleep(max(interval(), 0.1))


def _on_request(**_kwargs) -> None:
    start_reporting()


request_started.connect(_on_request, dispatch_uid="lms.realtime.health")


# Reading


def quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The q-quantile of cumulative (upper bound, count) buckets, as histogram_quantile.

    Linear interpolation within the bucket the rank falls in, from 0 for the first
    bucket; a rank in the +Inf bucket is the highest finite bound. None without
    observations.
    """
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if math.isinf(upper):
                return lower
            if count == below:
                return upper
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    return lower


def _buckets(record: Snapshot) -> dict[float, float]:
    return {float(le): count for le, count in record.get("latency_buckets", [])}


def _bucket_delta(latest: Snapshot, base: Snapshot) -> dict[float, float]:
    before = _buckets(base)
    return {le: count - before.get(le, 0.0) for le, count in _buckets(latest).items()}


def _zero_at_start(latest: Snapshot) -> Snapshot:
    """The process's figures when it started: every counter at zero."""
    return {"ts": latest["started_at"], "failed_handshakes": {}, "latency_buckets": []}


def baseline(ring: list[Snapshot]) -> Snapshot:
    """The newest snapshot at least RATE_WINDOW_SECONDS older than the latest, else the start."""
    latest = ring[-1]
    for record in reversed(ring[:-1]):
        if record["ts"] <= latest["ts"] - RATE_WINDOW_SECONDS:
            return record
    return _zero_at_start(latest)


COUNTERS = ("joins", "rejected_joins", "events_published", "events_delivered", "polls")


def _window(latest: Snapshot, base: Snapshot) -> dict[str, Any]:
    """Counter deltas and the seconds between two snapshots of one process."""
    reasons = set(metrics.HANDSHAKE_FAILURE_REASONS) | set(latest["failed_handshakes"])
    return {
        "seconds": max(0.0, latest["ts"] - base["ts"]),
        **{name: latest[name] - base.get(name, 0.0) for name in (*COUNTERS, "consumer_errors")},
        "failed_handshakes": {
            reason: latest["failed_handshakes"].get(reason, 0.0)
            - base["failed_handshakes"].get(reason, 0.0)
            for reason in reasons
        },
        "latency": _bucket_delta(latest, base),
    }


def _per(count: float, seconds: float, unit: float) -> float:
    return round(count * unit / seconds, 2) if seconds > 0 else 0.0


def _figures(window: dict[str, Any], open_connections: float, held_polls: float) -> dict:
    seconds = window["seconds"]
    buckets = sorted(window["latency"].items())
    p50, p99 = quantile(0.5, buckets), quantile(0.99, buckets)
    return {
        "window_seconds": round(seconds, 1),
        "open_connections": int(open_connections),
        "joins_per_minute": _per(window["joins"], seconds, 60),
        "rejected_joins_per_minute": _per(window["rejected_joins"], seconds, 60),
        "failed_handshakes_per_minute": {
            reason: _per(count, seconds, 60)
            for reason, count in sorted(window["failed_handshakes"].items())
        },
        "events_published_per_second": _per(window["events_published"], seconds, 1),
        "events_delivered_per_second": _per(window["events_delivered"], seconds, 1),
        "delivery_latency_p50_ms": None if p50 is None else round(p50 * 1000, 1),
        "delivery_latency_p99_ms": None if p99 is None else round(p99 * 1000, 1),
        "held_polls": int(held_polls),
        "poll_requests_per_minute": _per(window["polls"], seconds, 60),
        "consumer_errors_per_minute": _per(window["consumer_errors"], seconds, 60),
    }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def process_health(ring: list[Snapshot]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the figures of one process, its window for the totals) from its ring, oldest first."""
    latest = ring[-1]
    window = _window(latest, baseline(ring))
    figures = {
        "id": latest["process"],
        "hostname": latest["hostname"],
        "pid": latest["pid"],
        "serves": latest.get("serves", []),
        "started_at": _iso(latest["started_at"]),
        "updated_at": _iso(latest["ts"]),
        **_figures(window, latest["open_connections"], latest["held_polls"]),
        "failed_handshakes": {r: int(n) for r, n in sorted(latest["failed_handshakes"].items())},
        "consumer_errors": int(latest["consumer_errors"]),
    }
    return figures, window


def totals(processes: list[dict[str, Any]], windows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every process together: sums of their rates, latency from their summed buckets."""
    rates = (
        "joins_per_minute",
        "rejected_joins_per_minute",
        "events_published_per_second",
        "events_delivered_per_second",
        "poll_requests_per_minute",
        "consumer_errors_per_minute",
    )
    latency: dict[float, float] = {}
    for window in windows:
        for le, count in window["latency"].items():
            latency[le] = latency.get(le, 0.0) + count
    p50 = quantile(0.5, sorted(latency.items()))
    p99 = quantile(0.99, sorted(latency.items()))
    failed_rates: dict[str, float] = {}
    failed: dict[str, int] = {}
    for process in processes:
        for reason, rate in process["failed_handshakes_per_minute"].items():
            failed_rates[reason] = round(failed_rates.get(reason, 0.0) + rate, 2)
        for reason, count in process["failed_handshakes"].items():
            failed[reason] = failed.get(reason, 0) + count
    return {
        "processes": len(processes),
        "open_connections": sum(p["open_connections"] for p in processes),
        "held_polls": sum(p["held_polls"] for p in processes),
        **{rate: round(sum(p[rate] for p in processes), 2) for rate in rates},
        "failed_handshakes_per_minute": dict(sorted(failed_rates.items())),
        "failed_handshakes": dict(sorted(failed.items())),
        "consumer_errors": sum(p["consumer_errors"] for p in processes),
        "delivery_latency_p50_ms": None if p50 is None else round(p50 * 1000, 1),
        "delivery_latency_p99_ms": None if p99 is None else round(p99 * 1000, 1),
    }


def health_from(rings: dict[str, list[Snapshot]], now: float) -> dict[str, Any]:
    """The health report of the given rings (each oldest first)."""
    pairs = [process_health(ring) for ring in rings.values() if ring]
    pairs.sort(key=lambda pair: (pair[0]["hostname"], pair[0]["pid"], pair[0]["id"]))
    processes = [figures for figures, _window in pairs]
    return {
        "processes": processes,
        "totals": totals(processes, [window for _figures, window in pairs]),
        "generated_at": _iso(now),
        "interval_seconds": interval(),
    }


def site_health() -> dict[str, Any]:
    """Every process that reported within the last three intervals, and the totals."""
    now = time.time()
    return health_from(store().rings_since(now - _expiry_seconds()), now)

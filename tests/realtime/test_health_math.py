"""The health reader: rates and latency quantiles from constructed snapshots."""

import pytest

from lms.realtime import health

BOUNDS = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "+Inf"]


def snap(ts, *, process="p1", started_at=0.0, buckets=None, failed=None, **counters):
    record = {
        "process": process,
        "hostname": "web-1",
        "pid": 100,
        "started_at": started_at,
        "ts": ts,
        "open_connections": 0,
        "held_polls": 0,
        "joins": 0,
        "rejected_joins": 0,
        "events_published": 0,
        "events_delivered": 0,
        "polls": 0,
        "consumer_errors": 0,
        "failed_handshakes": failed or {},
        "latency_buckets": [[le, c] for le, c in zip(BOUNDS, buckets or [0] * 8, strict=True)],
        "serves": ["websockets"],
    }
    record.update(counters)
    return record


def test_quantile_interpolates_within_the_bucket_like_prometheus():
    # 10 observations: 4 at most 10 ms, 10 at most 20 ms.
    buckets = [(0.01, 4), (0.02, 10), (float("inf"), 10)]
    assert health.quantile(0.5, buckets) == pytest.approx(0.01 + 0.01 * (5 - 4) / 6)
    # The first bucket interpolates from 0.
    assert health.quantile(0.2, buckets) == pytest.approx(0.005)


def test_quantile_in_the_inf_bucket_is_the_highest_finite_bound():
    buckets = [(0.01, 1), (0.1, 2), (float("inf"), 100)]
    assert health.quantile(0.99, buckets) == 0.1


def test_quantile_without_observations_is_none():
    assert health.quantile(0.5, [(0.01, 0), (float("inf"), 0)]) is None
    assert health.quantile(0.5, []) is None


def test_rates_come_from_the_snapshot_a_minute_older():
    ring = [
        snap(1000, joins=10, events_delivered=100, polls=3),
        snap(1030, joins=40, events_delivered=500, polls=5),  # less than a minute before
        snap(1060, joins=70, events_delivered=700, polls=9, open_connections=12, held_polls=2),
    ]
    figures, _window = health.process_health(ring)
    assert figures["window_seconds"] == 60
    assert figures["joins_per_minute"] == 60
    assert figures["events_delivered_per_second"] == 10
    assert figures["poll_requests_per_minute"] == 6
    assert figures["open_connections"] == 12
    assert figures["held_polls"] == 2


def test_a_young_process_counts_from_its_start():
    ring = [snap(1020, started_at=1000, joins=5, consumer_errors=2, failed={"origin": 4})]
    figures, _window = health.process_health(ring)
    assert figures["window_seconds"] == 20
    assert figures["joins_per_minute"] == 15
    assert figures["consumer_errors_per_minute"] == 6
    assert figures["failed_handshakes_per_minute"]["origin"] == 12
    assert figures["failed_handshakes_per_minute"]["anonymous"] == 0
    assert figures["failed_handshakes"] == {"origin": 4}
    assert figures["consumer_errors"] == 2


def test_latency_quantiles_use_the_buckets_of_the_window_only():
    # Before the window: 100 slow deliveries (50-100 ms); within it: 10 fast ones (1-2.5 ms).
    old = snap(1000, buckets=[0, 0, 0, 0, 0, 0, 100, 100])
    new = snap(1060, buckets=[0, 10, 10, 10, 10, 10, 110, 110])
    figures, _window = health.process_health([old, new])
    assert figures["delivery_latency_p50_ms"] == pytest.approx(1.8, abs=0.05)
    assert figures["delivery_latency_p99_ms"] == pytest.approx(2.5, abs=0.05)


def test_no_delivery_in_the_window_has_no_latency():
    old = snap(1000, buckets=[0, 0, 0, 5, 5, 5, 5, 5])
    new = snap(1060, buckets=[0, 0, 0, 5, 5, 5, 5, 5])
    figures, _window = health.process_health([old, new])
    assert figures["delivery_latency_p50_ms"] is None


def test_totals_add_processes_and_merge_their_latency_buckets():
    a = [
        snap(1000, process="a", buckets=[0] * 8),
        snap(
            1060,
            process="a",
            open_connections=3,
            joins=60,
            failed={"anonymous": 2},
            buckets=[0, 0, 0, 10, 10, 10, 10, 10],
        ),
    ]
    b = [
        snap(1000, process="b", buckets=[0] * 8),
        snap(1060, process="b", open_connections=4, joins=120, failed={"origin": 1},
             buckets=[0, 0, 0, 0, 0, 0, 10, 10]),
    ]  # fmt: skip
    report = health.health_from({"a": a, "b": b}, now=1061)
    assert [p["id"] for p in report["processes"]] == ["a", "b"]
    totals = report["totals"]
    assert totals["processes"] == 2
    assert totals["open_connections"] == 7
    assert totals["joins_per_minute"] == 180
    assert totals["failed_handshakes"] == {"anonymous": 2, "origin": 1}
    assert totals["failed_handshakes_per_minute"]["anonymous"] == 2
    assert totals["failed_handshakes_per_minute"]["origin"] == 1
    # 20 deliveries: 10 at 5-10 ms, 10 at 50-100 ms; the median is the top of the first half.
    assert totals["delivery_latency_p50_ms"] == pytest.approx(10.0)
    assert totals["delivery_latency_p99_ms"] == pytest.approx(99.0)

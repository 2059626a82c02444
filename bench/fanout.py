#!/usr/bin/env python
"""Fan-out benchmark: N websockets on one topic, events at fixed rates.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/fanout.py [--sockets 1000] [--rates 2,5,10,20] [--seconds 10]

For each channels-redis layer (pub/sub and core), one Daphne process serves
bench/asgi.py: the product's consumer at /ws/ and, beside it, the Channels
tutorial's consumer shape at /ws/bare/ (one group, `group_send`, each consumer
forwards). The same sockets-and-rates load runs against both:

- product: every socket joins `user:<id>`; each event goes through the real
  write path, `publish()` inside a transaction (event row stored, id taken
  under the topic lock), sent on commit;
- bare: each event is one `group_send` to the group.

Each event carries the time it was published; clients (separate processes)
record when each copy arrives. Reported per step: delivered/expected,
messages delivered per second, latency p50/p99/max from commit to receipt.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import multiprocessing as mp
import os
import sys
import threading
import time
from pathlib import Path

from asgiref.sync import sync_to_async

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

# Client processes (no Django in them)


def client_process(
    url, key, sockets, mode, topic, ready, results, stop, received, concurrency, library
):
    import websockets

    samples: list[tuple[int, float]] = []

    def record(raw, now: float) -> None:
        frame = json.loads(raw)
        if mode == "product":
            if frame.get("op") != "event":
                return
            frame = frame["data"]
        samples.append((frame["n"], now - frame["t"]))
        received.value += 1

    async def join(send, receive) -> None:
        await send(json.dumps({"op": "join", "topic": topic, "ref": "1"}))
        while True:
            frame = json.loads(await receive())
            if frame.get("op") == "reply":
                if not frame["ok"]:
                    raise RuntimeError(frame)
                return

    async def connect(semaphore):
        headers = {"Authorization": f"Token {key}"}
        async with semaphore:
            if library == "lean":
                ws = await common.LeanSocket.connect(url, headers)
                if mode == "product":
                    replies: asyncio.Queue = asyncio.Queue()
                    ws.on_text = lambda payload, now: replies.put_nowait(payload)

                    async def send(text):
                        ws.send_text(text)

                    await join(send, replies.get)
                ws.on_text = record
                return ws
            ws = await websockets.connect(
                url,
                additional_headers=headers,
                max_queue=None,
                compression=None,
                open_timeout=120,
                ping_interval=None,
            )
            if mode == "product":
                await join(ws.send, ws.recv)
            return ws

    async def read(ws):
        async for raw in ws:
            record(raw, time.time())

    async def close(ws):
        if library == "lean":
            ws.close()
        else:
            await asyncio.wait_for(ws.close(), 2)

    async def main():
        semaphore = asyncio.Semaphore(concurrency)
        outcomes = await asyncio.gather(
            *(connect(semaphore) for _ in range(sockets)), return_exceptions=True
        )
        connected = [o for o in outcomes if not isinstance(o, BaseException)]
        failed = [repr(o)[:200] for o in outcomes if isinstance(o, BaseException)]
        # The connections live as long as the run: the client's collector need not walk them
        # again, so its pauses (hundreds of ms at thousands of sockets) stay out of the latency.
        gc.freeze()
        ready.put((len(connected), failed[:3], len(failed)))
        readers = [] if library == "lean" else [asyncio.ensure_future(read(ws)) for ws in connected]
        await asyncio.to_thread(stop.wait)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(close(ws) for ws in connected), return_exceptions=True)
        results.put(samples)

    if library == "lean":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


# Orchestration (Django set up here)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    os.environ.setdefault("REALTIME_NAMESPACE", f"bench{os.getpid()}")
    import django

    django.setup()


def use_layer(kind: str) -> None:
    from channels.layers import channel_layers
    from django.conf import settings

    backend = {
        "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "core": "channels_redis.core.RedisChannelLayer",
    }[kind]
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": backend, "CONFIG": {"hosts": [settings.REDIS_URL]}}
    }
    channel_layers.backends.clear()


def serve(kind: str, port: int, root=common.ROOT):
    """One Daphne process on `port` serving bench/asgi.py of the code in `root` on the
    `kind` channel layer."""
    from django.conf import settings

    return common.serving(
        1,
        os.environ["DATABASE_URL"],
        settings.REALTIME_NAMESPACE,
        root=root,
        application="bench.asgi:application",
        options=[],  # Daphne's defaults
        ports=[port],
        env={
            "CHANNEL_LAYER": kind,
            # One benchmark user holds every socket: lift the per-user caps, not measured here.
            "REALTIME_MAX_SOCKETS_PER_USER": "1000000",
            "REALTIME_USER_JOINS_PER_WINDOW": "1000000",
        },
    )


def make_publisher(mode: str, topic: str):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import transaction

    from lms.realtime.events import publish

    if mode == "product":

        def send(n: int) -> None:
            with transaction.atomic():
                publish(topic, "bench.tick", {"n": n, "t": time.time()})

        return send

    layer = get_channel_layer()
    group_send = async_to_sync(layer.group_send)

    def send(n: int) -> None:
        group_send("bench.bare", {"type": "bench.message", "data": {"n": n, "t": time.time()}})

    return send


def run_target(kind, mode, port, key, topic, args, server_pid):
    ctx = mp.get_context("spawn")
    ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    counters = []
    procs = []
    per_process = [args.sockets // args.clients] * args.clients
    per_process[0] += args.sockets - sum(per_process)
    path = "/ws/" if mode == "product" else "/ws/bare/"
    rss_before = common.rss_kib(server_pid)
    for count in per_process:
        counter = ctx.RawValue("q", 0)
        counters.append(counter)
        proc = ctx.Process(
            target=client_process,
            args=(
                f"ws://127.0.0.1:{port}{path}",
                key,
                count,
                mode,
                topic,
                ready,
                results,
                stop,
                counter,
                args.connect_concurrency,
                args.client_library,
            ),
        )
        proc.start()
        procs.append(proc)
    connected, failures = 0, []
    for _ in procs:
        ok, sample_failures, failed = ready.get(timeout=600)
        connected += ok
        if failed:
            failures.append(f"{failed} failed, e.g. {sample_failures}")
    time.sleep(1)
    rss_after = common.rss_kib(server_pid)

    def publish_steps() -> list[dict]:
        # Runs in a worker thread of an event loop, like a sync view under Daphne: the
        # channel layer calls of publish() hop onto that loop and reuse its connection.
        send = make_publisher(mode, topic)
        steps = []
        for step, rate in enumerate(args.rates):
            total = int(rate * args.seconds)
            base = (step + 1) * 1_000_000
            before = sum(c.value for c in counters)
            start = time.time()
            behind = 0.0
            for i in range(total):
                due = start + i / rate
                delay = due - time.time()
                if delay > 0:
                    time.sleep(delay)
                else:
                    behind = max(behind, -delay)
                send(base + i)
            published_in = time.time() - start
            expected = total * connected
            # Drain: until every copy arrived, or no progress for 5 s.
            common.drain(counters, before + expected, stall=5)
            steps.append(
                {
                    "rate": rate,
                    "base": base,
                    "total": total,
                    "start": start,
                    "published_in": published_in,
                    "behind": behind,
                    "expected": expected,
                }
            )
        return steps

    pids = [server_pid, *(p.pid for p in procs)]
    cpu_before = [common.cpu_seconds(pid) for pid in pids]
    steps = asyncio.run(sync_to_async(publish_steps, thread_sensitive=False)())
    cpu = [common.cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
    notes = [
        f"CPU while events flowed: server {cpu[0]:.2f} s, "
        f"clients {sum(cpu[1:]):.2f} s ({args.client_library})"
    ]
    server_side = common.server_delivery([port]) if mode == "product" else None
    stop.set()
    samples = [sample for report in common.collect(results, procs) for sample in report]
    rows = []
    by_step = collections.defaultdict(list)
    for n, latency in samples:
        by_step[n // 1_000_000].append((n, latency))
    for index, step in enumerate(steps):
        copies = by_step.get(index + 1, [])
        latencies = [latency for _n, latency in copies]
        # When each copy arrived: its scheduled publish time plus its latency.
        last_arrival = max(
            (step["start"] + (n - step["base"]) / step["rate"] + latency for n, latency in copies),
            default=step["start"] + step["published_in"],
        )
        span = max(last_arrival - step["start"], step["published_in"], 1e-9)
        rows.append(
            {
                "layer": kind,
                "consumer": mode,
                "rate": step["rate"],
                "expected": step["expected"],
                "delivered": len(copies),
                "lost": step["expected"] - len(copies),
                "msgs_per_s": len(copies) / span,
                "p50_ms": common.percentile(latencies, 0.50) * 1000,
                "p99_ms": common.percentile(latencies, 0.99) * 1000,
                "max_ms": max(latencies, default=float("nan")) * 1000,
                "publisher_behind_ms": step["behind"] * 1000,
            }
        )
        if args.per_event:
            per_event = collections.defaultdict(list)
            for n, latency in copies:
                per_event[n].append(latency * 1000)
            notes.extend(
                f"  {step['rate']:g} ev/s, event {n - step['base']}: {len(latencies)} copies, "
                f"p50 {common.percentile(latencies, 0.5):.0f} ms, "
                f"p99 {common.percentile(latencies, 0.99):.0f} ms, max {max(latencies):.0f} ms"
                for n, latencies in sorted(per_event.items())
            )
    memory = (rss_after - rss_before) / max(connected, 1)
    return rows, connected, failures, memory, server_side, notes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rates", default="2,5,10,20", help="events per second, one step each")
    parser.add_argument("--seconds", type=float, default=10, help="length of each step")
    parser.add_argument("--layers", default="pubsub,core")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connect-concurrency", type=int, default=100)
    parser.add_argument(
        "--client-library",
        choices=("websockets", "lean"),
        default="websockets",
        help="the clients' websocket code: the websockets library, or a minimal one that\n"
        "leaves more of a shared machine's CPU to the server (LeanSocket, on uvloop)",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--consumers", default="product,bare", help="product, bare or both (bare is slow)"
    )
    parser.add_argument(
        "--per-event", action="store_true", help="latency of each event's copies, one line each"
    )
    common.add_run_options(parser, baseline=True)
    args = parser.parse_args()
    consumers = args.consumers.split(",")
    args.rates = [float(r) for r in args.rates.split(",")]

    url = common.database_url()
    common.ensure_database(url)
    setup_django(url)

    from rest_framework.authtoken.models import Token

    from lms.catalog.models import User

    user, _ = User.objects.get_or_create(username="bench-fanout", defaults={"role": "student"})
    key = Token.objects.get_or_create(user=user)[0].key
    topic = f"user:{user.pk}"

    print(
        f"fan-out: {args.sockets} sockets on one topic, rates {args.rates} events/s, "
        f"{args.seconds:g}s per step, {os.cpu_count()} CPUs, client processes {args.clients}"
    )
    all_rows = []
    with common.targets(args.baseline, args.abba) as code:
        for label, root in code:
            for kind in args.layers.split(","):
                use_layer(kind)
                for mode in consumers:
                    common.wait_until_quiet(args.quiet_load, patience=120)
                    with serve(kind, args.port, root) as [(_port, server)]:
                        rows, connected, failures, memory, server_side, notes = run_target(
                            kind, mode, args.port, key, topic, args, server.pid
                        )
                    print(
                        f"\n[{label}, {kind} layer, {mode} consumer] connected "
                        f"{connected}/{args.sockets}"
                        f"{'; ' + '; '.join(failures) if failures else ''}; "
                        f"server memory {memory:.1f} KiB per connection"
                        + (
                            f"; server-side commit-to-write mean {server_side:.1f} ms"
                            if server_side is not None
                            else ""
                        )
                    )
                    print(
                        f"{'ev/s':>6} {'delivered/expected':>20} {'lost':>6} {'msgs/s':>8} "
                        f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
                    )
                    for row in rows:
                        print(
                            f"{row['rate']:>6g} {row['delivered']:>10}/{row['expected']:<9} "
                            f"{row['lost']:>6} {row['msgs_per_s']:>8.0f} {row['p50_ms']:>8.1f} "
                            f"{row['p99_ms']:>8.1f} {row['max_ms']:>8.1f}"
                        )
                    print("\n".join(notes))
                    all_rows.extend({**row, "target": label} for row in rows)

    print("\nSummary (throughput = most messages delivered per second in a step with none lost)")
    for label in dict.fromkeys(r["target"] for r in all_rows):
        for kind in args.layers.split(","):
            for mode in consumers:
                rows = [
                    r
                    for r in all_rows
                    if (r["target"], r["layer"], r["consumer"]) == (label, kind, mode)
                ]
                clean = [r["msgs_per_s"] for r in rows if r["lost"] == 0]
                p99 = rows[0]["p99_ms"] if rows else float("nan")
                print(
                    f"  {label}, {kind}, {mode}: {max(clean) if clean else 0:.0f} msgs/s; "
                    f"p99 at {args.rates[0]:g} ev/s {p99:.1f} ms"
                )
    lost = sum(r["lost"] for r in all_rows if r["consumer"] == "product")
    print(f"  product events lost over all steps: {lost}")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()

#!/usr/bin/env python
"""Reconnect storm: N students' sockets opening at once (or at a pace) on one Daphne process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_load REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/storm.py [--sockets 1000] [--rate 0] [--runs 2] \\
        [--baseline <git revision>]

A restarted process or a network blip sends every student's browser back at
once. Each client opens a websocket with its API token and joins its
`user:{id}` and `course:{id}` topics, as the dashboard does. All sockets are
released at the same moment (`--rate 0`), or paced at `--rate` per second.

The database named in DATABASE_URL is the benchmark's own (created when
missing, migrated and seeded with `seed_demo --students N`, as for
bench/load.py); each run starts a fresh copy of it.
The server is one Daphne process with production settings and the
channels-redis pub/sub layer. With `--baseline REV` the same storm also runs,
in the same invocation, against a Daphne serving the code of git revision
REV (checked out in a temporary worktree), and both are printed side by side.

Reported per run: handshakes that failed (refused, dropped or timed out),
sockets joined, the time from the release to the last socket joined, p50/p99
time to joined, and the join rate: sockets joined per second over the whole
storm, and in the best second.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import multiprocessing as mp
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

OPEN_TIMEOUT = 30


def client_process(sockets, url, course, start_at, rate, done, hold, results):
    """Open `sockets` (global index, user id, key); report (outcome, seconds) per socket.

    Each socket holds on once joined, until the parent sets `hold`: the server
    carries every joined socket while the rest are still arriving.
    """
    import websockets

    async def one(index: int, user_id: int, key: str, release: asyncio.Event) -> tuple[str, float]:
        due = start_at + (index / rate if rate else 0)
        await asyncio.sleep(max(0.0, due - time.time()))
        try:
            outcome, seconds, ws = await join(user_id, key)
        finally:
            with done.get_lock():
                done.value += 1
        if ws is not None:
            await release.wait()
            await ws.close()
        return outcome, seconds

    async def join(user_id: int, key: str):
        try:
            ws = await websockets.connect(
                url, additional_headers={"Authorization": f"Token {key}"}, open_timeout=OPEN_TIMEOUT
            )
        except websockets.InvalidStatus as exc:
            return f"handshake refused ({exc.response.status_code})", time.time() - start_at, None
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            return f"handshake failed ({type(exc).__name__})", time.time() - start_at, None
        try:
            for ref, topic in enumerate((f"user:{user_id}", f"course:{course}"), 1):
                await ws.send(json.dumps({"op": "join", "topic": topic, "ref": str(ref)}))
            replies = 0
            while replies < 2:
                frame = json.loads(await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT))
                if frame.get("op") == "reply":
                    if not frame["ok"]:
                        await ws.close()
                        return f"join refused ({frame['error']['code']})", 0.0, None
                    replies += 1
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            await ws.close()
            return f"closed before joined ({type(exc).__name__})", 0.0, None
        return "joined", time.time() - start_at, ws

    async def main():
        release = asyncio.Event()

        async def watch() -> None:
            await asyncio.to_thread(hold.wait)
            release.set()

        watcher = asyncio.ensure_future(watch())
        outcomes = await asyncio.gather(*(one(i, u, k, release) for i, u, k in sockets))
        await watcher
        return outcomes

    results.put(asyncio.run(main()))


def storm(url: str, people: dict, args) -> dict:
    """One storm against the server at `url` (ws://.../ws/)."""
    ctx = mp.get_context("spawn")
    results, hold, done = ctx.Queue(), ctx.Event(), ctx.Value("i", 0)
    students = [(i, u, k) for i, (u, k) in enumerate(people["students"][: args.sockets])]
    start_at = time.time() + 3 + args.clients * 0.5  # every client process is up by then
    processes = [
        ctx.Process(
            target=client_process,
            args=(
                students[c :: args.clients],
                url,
                people["course"],
                start_at,
                args.rate,
                done,
                hold,
                results,
            ),
        )
        for c in range(args.clients)
    ]
    for process in processes:
        process.start()
    deadline = start_at + (len(students) / args.rate if args.rate else 0) + OPEN_TIMEOUT * 2
    while done.value < len(students) and time.time() < deadline:
        time.sleep(0.2)
    hold.set()
    outcomes = [outcome for report in common.collect(results, processes) for outcome in report]
    joined = sorted(seconds for outcome, seconds in outcomes if outcome == "joined")
    failures = collections.Counter(outcome for outcome, _ in outcomes if outcome != "joined")
    per_second = collections.Counter(int(seconds) for seconds in joined)
    last = joined[-1] if joined else float("nan")
    return {
        "sockets": len(outcomes),
        "joined": len(joined),
        "failed": sum(failures.values()),
        "failures": dict(failures),
        "last_joined_s": last,
        "p50_s": common.percentile(joined, 0.5),
        "p99_s": common.percentile(joined, 0.99),
        "rate": len(joined) / last if joined else 0.0,
        "best_second": max(per_second.values()) if per_second else 0,
    }


def measure(url: str, pid: int, people: dict, args, label: str) -> dict:
    """One storm on the server of process `pid`, with the CPU and memory it took."""
    profiler = None
    if args.profile:
        profiler = common.sample(pid, f"{args.profile}-{label.replace(' ', '-')}.txt")
    try:
        before = common.rss_kib(pid)
        cpu_before, (busy_before, total_before) = common.cpu_seconds(pid), common.machine_jiffies()
        result = storm(url, people, args)
        busy, total = common.machine_jiffies()
        result["server_cpu_s"] = common.cpu_seconds(pid) - cpu_before
        result["machine_busy"] = (busy - busy_before) / max(1, total - total_before)
        result["rss_per_socket_kib"] = (common.rss_kib(pid) - before) / max(1, result["joined"])
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its file then
            profiler.wait(30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0, help="sockets per second; 0: all at once")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    common.add_run_options(parser, baseline=True)
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=30,
        help="Daphne's --websocket_connect_timeout (30 as deployed; Daphne's default is 5)",
    )
    parser.add_argument(
        "--profile", help="write a py-spy profile of the server per run to this prefix"
    )
    args = parser.parse_args()

    template, run_url = common.run_database(args.sockets)
    import django

    rows = []
    with common.targets(args.baseline, args.abba) as measured:
        django.setup()
        for run in range(1, args.runs + 1):
            for label, root in measured:
                people, load = common.fresh_run(template, run_url, args.sockets, args.quiet_load)
                namespace = f"storm-{os.getpid()}-{run}-{len(rows)}"
                options = common.daphne_options(args.connect_timeout)
                with common.serving(1, run_url, namespace, root=root, options=options) as servers:
                    port, process = servers[0]
                    result = measure(f"ws://127.0.0.1:{port}/ws/", process.pid, people, args, label)
                result.update(target=label, run=run, load=load)
                rows.append(result)
                print_row(result)
    print()
    print(f"{args.sockets} sockets, rate {args.rate or 'all at once'}, one Daphne process")
    print("| target | run | failed | joined | last joined | p50 | p99 | joins/s | best second |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['target']} | {r['run']} | {r['failed']} | {r['joined']} "
            f"| {r['last_joined_s']:.1f} s | {r['p50_s']:.1f} s | {r['p99_s']:.1f} s "
            f"| {r['rate']:.0f} | {r['best_second']} |"
        )


def print_row(result: dict) -> None:
    print(
        f"{result['target']} run {result['run']}: {result['failed']} failed "
        f"{result['failures'] or ''}, {result['joined']} joined, last after "
        f"{result['last_joined_s']:.2f} s, p50 {result['p50_s']:.2f} s, "
        f"{result['rate']:.0f} joins/s (best second {result['best_second']}), "
        f"{result['rss_per_socket_kib']:.1f} KiB per socket; server CPU "
        f"{result['server_cpu_s']:.1f} s, machine {result['machine_busy']:.0%} busy",
        flush=True,
    )


if __name__ == "__main__":
    main()

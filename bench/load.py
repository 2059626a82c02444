#!/usr/bin/env python
"""Load benchmark: 1000 connected students and a realistic write mix, on 1 and 2 Daphne processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_load REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/load.py [--students 1000] [--seconds 300] [--processes 1,2] \\
        [--completions 5] [--posts 2] [--dms 2] [--activity 5] [--thread-watchers 100]

The database named in DATABASE_URL is the benchmark's own: it is created when
missing, migrated and seeded once with `seed_demo --students N` (bulk
inserts). Each run then starts from a fresh copy of it (`<name>_run`, created
from it as a template), so both runs see the same data.

For each process count, Daphne processes serve `lms.asgi:application`
(production settings, channels-redis pub/sub layer). Every student gets one
websocket (token auth), spread round-robin over the processes, held by client
processes (multiprocessing spawn; `--client-library lean`, the default, is a
minimal websocket client on uvloop that leaves the servers most of a shared
machine's CPU, `websockets` the general library the earlier runs used), and joins
`user:{id}`, `course:{id}`, `leaderboard` and `leaderboard:course:{id}`; the
first `--thread-watchers` students also join the course's discussion thread,
as if its page were open. Sockets ping every 25 s like the browser client.

Then, for `--seconds`, every second brings (at random moments) the given
number of writes from random students through the real HTTP API, spread
round-robin over the processes:

- lesson completions, `POST /api/lessons/{id}/complete/` (each student's next
  lesson, so modules and courses complete, certificates and achievements follow);
- thread posts, `POST /api/threads/{id}/messages/`;
- direct messages to another random student, `POST /api/messages/`;
- activity reports, `POST /api/lessons/{id}/activity/`, which move points
  and so the live leaderboards.

Writes are sent on schedule whatever the answers (open loop), at most
`--max-in-flight` (32) at once: beyond the servers' capacity the backlog waits
here rather than taking every connection of the database, and response times
count from when each write was due. Each of those 32 keeps its HTTP connection
to a server from one write to the next, as the deployment's proxy keeps its
upstream connections (deploy/nginx.conf, `keepalive 32`); a write that fails
is counted failed, never retried. `--connection-per-write` opens one per write
instead, as the earlier runs did.

Reported per run:

- delivery latency p50/p99/max, commit to receipt: receipt time minus the
  timestamp in the event's data (`created_at`, `completed_at`, `issued_at`,
  `unlocked_at`); for events whose data has none (`progress.updated`,
  `stats.updated`, `course.completed`), minus the stored event's own
  timestamp, written in the same transaction just before commit;
- events lost: for every socket and persistent topic, the ids received are
  compared with every id the topic got between the join and the end (the
  topic counters in the database): missing, duplicated or out of order;
- leaderboard frames (transient, coalesced: no ids) received and the
  shortest interval between two frames of one board on one socket;
- server memory per connection: RSS of the Daphne processes before the
  students connect and after they have all joined;
- CPU used by the Daphne processes during the writes, write response times
  and failures.

Run it only on an otherwise quiet machine: before each run it waits until the
1-minute load average is below `--quiet-load` (1.5), and it reports how much
CPU the machine spent during the writes, split between the Daphne processes,
the load clients and everything else. Results: docs/benchmarks.md, "Load".

With `--profile PREFIX`, py-spy samples each process answering the writes while
they come (the interpreter's holder: where the process's CPU goes), one file
per run and process.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import multiprocessing as mp
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.client import HTTPConnection, HTTPException
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

# The timestamp of the write, by event, in the event's data.
DATA_TIMESTAMPS = {
    "lesson.completed": "completed_at",
    "module.completed": "completed_at",
    "certificate.issued": "issued_at",
    "achievement.unlocked": "unlocked_at",
    "notification.created": "created_at",
    "dm.created": "created_at",
    "thread.message": "created_at",
}
PING_SECONDS = 25
CONNECT_ATTEMPTS = 8


# Client processes (no Django in them).


def client_process(students, urls, ready, results, stop, received, concurrency, seed, library):
    """Hold one websocket per student until `stop`; report what arrived.

    `library`: "lean" (`common.LeanSocket` on uvloop, a few microseconds a frame) or
    "websockets" (the general client library, tens of microseconds a frame).
    """
    import websockets

    rng = random.Random(seed)
    joined: list[tuple[int, str, int]] = []  # (student, topic, last id at join)
    ids: dict[tuple[int, str], list[int]] = collections.defaultdict(list)
    by_data: dict[str, list[float]] = collections.defaultdict(list)
    by_stored: list[tuple[str, str, int, float]] = []  # (event, topic, id, receipt)
    # Per socket and board: [frames, first receipt, last receipt, shortest gap].
    boards: dict[tuple[int, str], list[float]] = {}
    problems: collections.Counter = collections.Counter()
    retries = collections.Counter()

    def note(student: int, frame: dict, now: float) -> None:
        op = frame.get("op")
        if op in {"pong", "reply", "presence", "typing"}:
            return
        if op != "event":
            problems[f"{op}: {json.dumps(frame.get('error'))[:120]}"] += 1
            return
        topic, event = frame["topic"], frame["event"]
        if "id" not in frame:
            board = boards.get((student, topic))
            if board is None:
                boards[(student, topic)] = [1, now, now, float("inf")]
            else:
                board[0] += 1
                board[3] = min(board[3], now - board[2])
                board[2] = now
            return
        ids[(student, topic)].append(frame["id"])
        received.value += 1
        stamp = frame["data"].get(DATA_TIMESTAMPS.get(event, ""), None)
        if stamp:
            by_data[event].append(now - datetime.fromisoformat(stamp).timestamp())
        else:
            by_stored.append((event, topic, frame["id"], now))

    async def join_all(send, receive, student, topics) -> list[tuple[int, str, int]]:
        pending, joins = {}, []
        for n, topic in enumerate(topics, 1):
            pending[str(n)] = topic
            await send(json.dumps({"op": "join", "topic": topic, "ref": str(n)}))
        while pending:
            raw, now = await asyncio.wait_for(receive(), 120)
            frame = json.loads(raw)
            if frame.get("op") == "reply" and frame.get("ref") in pending:
                topic = pending.pop(frame["ref"])
                if not frame["ok"]:
                    raise RuntimeError(f"join {topic} refused: {frame}")
                if "last_id" in frame.get("data", {}):
                    joins.append((student, topic, frame["data"]["last_id"]))
            else:
                note(student, frame, now)
        return joins

    async def connect_lean(student, url, headers, topics):
        ws = await asyncio.wait_for(common.LeanSocket.connect(url, headers), 120)
        frames: asyncio.Queue = asyncio.Queue()
        ws.on_text = lambda payload, now: frames.put_nowait((payload, now))

        async def send(text: str) -> None:
            ws.send_text(text)

        try:
            joins = await join_all(send, frames.get, student, topics)
        except BaseException:
            ws.close()
            raise
        # Whatever came after the last reply, then every frame as it arrives.
        while not frames.empty():
            raw, now = frames.get_nowait()
            note(student, json.loads(raw), now)
        ws.on_text = lambda payload, now: note(student, json.loads(payload), now)
        return ws, joins

    async def connect_websockets(student, url, headers, topics):
        ws = await websockets.connect(
            url, additional_headers=headers, max_queue=None, open_timeout=120, ping_interval=None
        )

        async def receive():
            raw = await ws.recv()
            return raw, time.time()

        try:
            return ws, await join_all(ws.send, receive, student, topics)
        except BaseException:
            await ws.close()
            raise

    async def open_socket(semaphore, student, key, server, topics):
        # Like the browser client: retry with exponential backoff and jitter.
        delay = 0.5
        headers = {"Authorization": f"Token {key}"}
        connect = connect_lean if library == "lean" else connect_websockets
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                async with semaphore:
                    ws, joins = await connect(student, urls[server], headers, topics)
                    joined.extend(joins)
                    return ws
            except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed):
                if attempt == CONNECT_ATTEMPTS:
                    raise
                retries[attempt] += 1
                await asyncio.sleep(delay * rng.uniform(0.5, 1.5))
                delay = min(delay * 2, 8)

    async def read(ws, student):
        try:
            async for raw in ws:
                note(student, json.loads(raw), time.time())
        except websockets.ConnectionClosed:
            pass
        if not stopping.is_set():
            problems["socket closed by the server"] += 1

    async def ping(ws):
        await asyncio.sleep(rng.uniform(0, PING_SECONDS))
        n = 0
        while True:
            n += 1
            text = json.dumps({"op": "ping", "ref": f"p{n}"})
            if library == "lean":
                ws.send_text(text)
            else:
                await ws.send(text)
            await asyncio.sleep(PING_SECONDS)

    async def close(ws):
        if library == "lean":
            ws.close()
        else:
            await asyncio.wait_for(ws.close(), 5)

    stopping = asyncio.Event()

    async def main():
        semaphore = asyncio.Semaphore(concurrency)
        outcomes = await asyncio.gather(
            *(open_socket(semaphore, *student) for student in students), return_exceptions=True
        )
        sockets = [
            (o, s[0])
            for o, s in zip(outcomes, students, strict=True)
            if not isinstance(o, BaseException)
        ]
        failed = [repr(o)[:200] for o in outcomes if isinstance(o, BaseException)]
        topics = collections.Counter(topic for _s, topic, _l in joined)
        # The connections live as long as the run: the collector need not walk them again.
        gc.freeze()
        ready.put(
            {
                "connected": len(sockets),
                "failed": len(failed),
                "failures": failed[:3],
                "retries": sum(retries.values()),
                "topics": dict(topics),
                "join_sum": sum(last for *_, last in joined),
            }
        )
        tasks = [asyncio.ensure_future(ping(ws)) for ws, _student in sockets]
        if library != "lean":
            tasks += [asyncio.ensure_future(read(ws, student)) for ws, student in sockets]
        await asyncio.to_thread(stop.wait)
        stopping.set()
        if library == "lean":
            problems["socket closed by the server"] += sum(ws.closed for ws, _s in sockets)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(close(ws) for ws, _s in sockets), return_exceptions=True)
        results.put(
            {
                "joined": joined,
                "ids": dict(ids),
                "by_data": dict(by_data),
                "by_stored": by_stored,
                "boards": boards,
                "problems": {k: v for k, v in problems.items() if v},
            }
        )

    if library == "lean":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


# Orchestration (Django set up here, on the run database).


class Writer:
    """The write mix, through the HTTP API, spread round-robin over the servers."""

    def __init__(self, ports: list[int], people: dict, args, rng: random.Random):
        self.ports = ports
        self.people = people
        self.args = args
        self.rng = rng
        self.keys = dict(people["students"])
        self.student_ids = [s for s, _k in people["students"]]
        # Each student completes their lessons in course order.
        self.next_lesson = dict.fromkeys(self.student_ids, 0)
        self.turn = 0
        self.lock = threading.Lock()
        self.outcomes: list[tuple[str, int, float]] = []  # (kind, status, seconds)
        self.behind = 0.0
        # Each of the writer's threads keeps one connection per server, as a reverse proxy
        # keeps its upstream connections (deploy/nginx.conf: keepalive 32), unless
        # --connection-per-write asks for a new one each time.
        self.connections = threading.local()

    def post(self, kind: str, student: int, path: str, body: dict, due: float) -> None:
        with self.lock:
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
        kept = vars(self.connections)
        headers = {
            "Authorization": f"Token {self.keys[student]}",
            "Content-Type": "application/json",
        }
        if self.args.connection_per_write:
            conn = HTTPConnection("127.0.0.1", port, timeout=60)
            headers["Connection"] = "close"
        else:
            conn = kept.get(port)
            if conn is None:
                conn = kept[port] = HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("POST", path, json.dumps(body), headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                conn.close()
                kept.pop(port, None)
        except (OSError, HTTPException):
            # Never retried, on a kept connection either: a write that failed is counted so.
            status = 0
            conn.close()
            kept.pop(port, None)
        finally:
            if self.args.connection_per_write:
                conn.close()
        with self.lock:
            # From when the write was due, so time spent waiting for a free thread counts.
            self.outcomes.append((kind, status, time.monotonic() - due))

    def plan_second(self) -> list[tuple[str, int, str, dict]]:
        """The writes of one second: (kind, student, path, body)."""
        lessons, plan = self.people["lessons"], []
        for _ in range(self.args.completions):
            candidates = [
                s
                for s in self.rng.sample(self.student_ids, 20)
                if self.next_lesson[s] < len(lessons)
            ]
            if not candidates:
                continue
            student = candidates[0]
            lesson = lessons[self.next_lesson[student]]
            self.next_lesson[student] += 1
            score = self.rng.randint(60, 100)
            plan.append(
                ("completion", student, f"/api/lessons/{lesson}/complete/", {"score": score})
            )
        for _ in range(self.args.posts):
            student = self.rng.choice(self.student_ids)
            plan.append(
                (
                    "post",
                    student,
                    f"/api/threads/{self.people['thread']}/messages/",
                    {"content": f"Question {self.rng.randint(1, 10**6)} from student {student}"},
                )
            )
        for _ in range(self.args.dms):
            sender, recipient = self.rng.sample(self.student_ids, 2)
            plan.append(
                (
                    "dm",
                    sender,
                    "/api/messages/",
                    {
                        "recipient": recipient,
                        "content": f"Hi {recipient}, shall we study together?",
                    },
                )
            )
        for _ in range(self.args.activity):
            student = self.rng.choice(self.student_ids)
            lesson = self.rng.choice(lessons)
            plan.append(
                (
                    "activity",
                    student,
                    f"/api/lessons/{lesson}/activity/",
                    {"seconds": self.rng.randint(30, 300)},
                )
            )
        return plan

    def run(self, seconds: float) -> None:
        # Open loop, like independent users: a slow answer never delays the next write. At most
        # --max-in-flight requests open at once, each holding a database connection on the
        # server: a bound that keeps an overloaded run from taking every connection of a
        # shared PostgreSQL; the writes behind them wait here.
        with ThreadPoolExecutor(self.args.max_in_flight) as pool:
            start = time.monotonic()
            for second in range(int(seconds)):
                plan = self.plan_second()
                moments = sorted(self.rng.random() for _ in plan)
                for (kind, student, path, body), moment in zip(plan, moments, strict=True):
                    delay = start + second + moment - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    else:
                        self.behind = max(self.behind, -delay)
                    pool.submit(self.post, kind, student, path, body, start + second + moment)


def topic_last_ids(topics) -> dict[str, int]:
    from lms.realtime.models import TopicCounter

    return dict(TopicCounter.objects.filter(topic__in=list(topics)).values_list("topic", "last_id"))


def stored_times(since: float) -> dict[tuple[str, int], float]:
    from datetime import UTC

    from lms.realtime.models import Event

    rows = Event.objects.filter(created_at__gte=datetime.fromtimestamp(since, UTC)).values_list(
        "topic", "seq", "created_at"
    )
    return {(topic, seq): created.timestamp() for topic, seq, created in rows}


async def warm_up(urls: list[str], student) -> None:
    import websockets

    _student, key, _server, topics = student
    for url in urls:
        async with websockets.connect(
            url, additional_headers={"Authorization": f"Token {key}"}
        ) as ws:
            for n, topic in enumerate(topics, 1):
                await ws.send(json.dumps({"op": "join", "topic": topic, "ref": str(n)}))
            replies = 0
            while replies < len(topics):
                if json.loads(await asyncio.wait_for(ws.recv(), 30)).get("op") == "reply":
                    replies += 1


def run(
    processes: int, people: dict, args, run_url: str, root: Path = common.ROOT, label: str = ""
) -> dict:
    ctx = mp.get_context("spawn")
    namespace = f"load{os.getpid()}p{processes}"
    servers = common.start_servers(processes, run_url, namespace, root=root)
    # With --http-processes, the writes go to processes of their own; the sockets stay.
    http_servers = (
        common.start_servers(args.http_processes, run_url, namespace, root=root)
        if args.http_processes
        else []
    )
    ports = [port for port, _p in servers]
    write_ports = [port for port, _p in http_servers] or ports
    pids = [process.pid for _port, process in servers]
    http_pids = [process.pid for _port, process in http_servers]
    urls = [f"ws://127.0.0.1:{port}/ws/" for port in ports]
    course = people["course"]
    topics_of = []
    for index, (student, key) in enumerate(people["students"]):
        topics = [
            f"user:{student}",
            f"course:{course}",
            "leaderboard",
            f"leaderboard:course:{course}",
        ]
        if index < args.thread_watchers:
            topics.append(f"thread:{people['thread']}")
        topics_of.append((student, key, index % processes, topics))
    try:
        # One student joins everything on each process first, so imports and caches that
        # the first socket loads are not counted as memory per connection.
        asyncio.run(warm_up(urls, topics_of[0]))
        time.sleep(2)
        rss_before = [common.rss_kib(pid) for pid in pids]
        ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        counters, clients = [], []
        for c in range(args.clients):
            counter = ctx.RawValue("q", 0)
            counters.append(counter)
            share = topics_of[c :: args.clients]
            proc = ctx.Process(
                target=client_process,
                args=(
                    share,
                    urls,
                    ready,
                    results,
                    stop,
                    counter,
                    args.connect_concurrency,
                    c,
                    args.client_library,
                ),
            )
            proc.start()
            clients.append(proc)
        connected, retried, failures, joined_topics, join_sum = 0, 0, [], collections.Counter(), 0
        connect_started = time.monotonic()
        for _ in clients:
            report = ready.get(timeout=1800)
            connected += report["connected"]
            retried += report["retries"]
            joined_topics.update(report["topics"])
            join_sum += report["join_sum"]
            if report["failed"]:
                failures.append(f"{report['failed']} failed, e.g. {report['failures']}")
        connect_seconds = time.monotonic() - connect_started
        time.sleep(3)
        rss_joined = [common.rss_kib(pid) for pid in pids]
        print(
            f"  {connected} students connected and joined in {connect_seconds:.1f}s "
            f"({retried} connection attempts retried)"
            + (f"; {'; '.join(failures)}" if failures else ""),
            flush=True,
        )

        writer = Writer(write_ports, people, args, random.Random(args.seed))
        sampler = common.ConnectionSampler(run_url)
        sampler.start()
        write_started_wall = time.time()
        own = [os.getpid()] + [proc.pid for proc in clients]
        cpu_before = [common.cpu_seconds(pid) for pid in pids + http_pids]
        own_before = sum(common.cpu_seconds(pid) for pid in own)
        machine_before = common.machine_jiffies()
        profilers = (
            [
                common.sample(
                    pid, f"{args.profile}-{label.replace(' ', '-')}-{processes}-{index}.txt"
                )
                for index, pid in enumerate(http_pids or pids)
            ]
            if args.profile
            else []
        )
        started = time.monotonic()
        writer.run(args.seconds)
        write_span = time.monotonic() - started
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
        db_connections = sampler.stop()
        cpu_used = [
            common.cpu_seconds(pid) - before
            for pid, before in zip(pids + http_pids, cpu_before, strict=True)
        ]
        own_used = sum(common.cpu_seconds(pid) for pid in own) - own_before
        machine_busy = (common.machine_jiffies()[0] - machine_before[0]) / os.sysconf("SC_CLK_TCK")

        # Drain: every event of every joined topic has arrived, or nothing moved for 15 s.
        final = topic_last_ids(joined_topics)
        expected = sum(n * final.get(topic, 0) for topic, n in joined_topics.items()) - join_sum
        common.drain(counters, expected, stall=15)
        rss_end = [common.rss_kib(pid) for pid in pids]
        delivery_mean = common.server_delivery(ports)
        stop.set()
        reports = common.collect(results, clients, timeout=300)
        stamps = stored_times(write_started_wall - 5)
    finally:
        common.stop_servers(servers + http_servers)

    # Losses: per socket and topic, every id from the join to the topic's last one, once, in order.
    joined = [row for report in reports for row in report["joined"]]
    ids = {key: value for report in reports for key, value in report["ids"].items()}
    lost = duplicated = out_of_order = 0
    for student, topic, at_join in joined:
        got = ids.get((student, topic), [])
        want = range(at_join + 1, final.get(topic, 0) + 1)
        lost += len(set(want) - set(got))
        duplicated += len(got) - len(set(got))
        out_of_order += got != sorted(got)
    latencies: dict[str, list[float]] = collections.defaultdict(list)
    for report in reports:
        for event, values in report["by_data"].items():
            latencies[event].extend(values)
        for event, topic, seq, receipt in report["by_stored"]:
            if (topic, seq) in stamps:
                latencies[event].append(receipt - stamps[(topic, seq)])
    every = [v for values in latencies.values() for v in values]
    boards = collections.Counter()
    busiest, gaps = 0, []
    for report in reports:
        for (_student, topic), (frames, _first, _last, gap) in report["boards"].items():
            boards[topic] += frames
            busiest = max(busiest, frames)
            gaps.append(gap)
    problems = collections.Counter()
    for report in reports:
        problems.update(report["problems"])
    writes = collections.defaultdict(list)
    for kind, status, seconds in writer.outcomes:
        writes[kind].append((status, seconds))
    return {
        "processes": processes,
        "http_processes": args.http_processes,
        "connected": connected,
        "failures": failures,
        "connect_seconds": connect_seconds,
        "connect_retries": retried,
        "memory_per_connection_kib": (sum(rss_joined) - sum(rss_before)) / max(connected, 1),
        "rss_mib": {
            "before": sum(rss_before) / 1024,
            "joined": sum(rss_joined) / 1024,
            "end": sum(rss_end) / 1024,
        },
        "cpu_percent": [100 * used / write_span for used in cpu_used],
        # In % of one core, during the writes: the whole machine, the load clients with this
        # script, and everything else (PostgreSQL, Redis, and anything else running).
        "machine_cpu_percent": 100 * machine_busy / write_span,
        "clients_cpu_percent": 100 * own_used / write_span,
        "other_cpu_percent": 100 * (machine_busy - own_used - sum(cpu_used)) / write_span,
        "db_connections": db_connections,
        "writer_behind_ms": writer.behind * 1000,
        "writes": {
            kind: {
                "sent": len(rows),
                "ok": sum(1 for status, _s in rows if 200 <= status < 300),
                "rate_limited": sum(1 for status, _s in rows if status == 429),
                "failed": sum(
                    1 for status, _s in rows if status != 429 and not 200 <= status < 300
                ),
                "failed_statuses": dict(
                    collections.Counter(
                        status for status, _s in rows if status != 429 and not 200 <= status < 300
                    )
                ),
                "p50_ms": common.percentile([s for _st, s in rows], 0.5) * 1000,
                "p99_ms": common.percentile([s for _st, s in rows], 0.99) * 1000,
            }
            for kind, rows in sorted(writes.items())
        },
        "events_expected": expected,
        "events_received": sum(len(v) for v in ids.values()),
        "lost": lost,
        "duplicated": duplicated,
        "out_of_order_topics": out_of_order,
        "latency": {
            "all": (
                len(every),
                common.percentile(every, 0.5) * 1000,
                common.percentile(every, 0.99) * 1000,
                max(every, default=float("nan")) * 1000,
            ),
            **{
                event: (
                    len(v),
                    common.percentile(v, 0.5) * 1000,
                    common.percentile(v, 0.99) * 1000,
                    max(v) * 1000,
                )
                for event, v in sorted(latencies.items())
            },
        },
        "server_delivery_mean_ms": delivery_mean,
        "leaderboard_frames": dict(boards),
        "leaderboard_min_gap_s": min(gaps, default=float("nan")),
        "leaderboard_most_frames_per_socket": busiest,
        "write_seconds": write_span,
        "scheduled_seconds": args.seconds,
        "problems": dict(problems),
    }


def print_run(result: dict) -> None:
    p = result
    print(
        f"\n[{p['processes']} Daphne process{'es' if p['processes'] > 1 else ''}"
        + (f" + {p['http_processes']} for the writes" if p.get("http_processes") else "")
        + "] "
        f"{p['connected']} sockets; memory {p['memory_per_connection_kib']:.1f} KiB per connection "
        f"(RSS {p['rss_mib']['before']:.0f} → {p['rss_mib']['joined']:.0f} MiB joined, "
        f"{p['rss_mib']['end']:.0f} MiB at the end); server CPU during writes "
        + ", ".join(f"{c:.0f}%" for c in p["cpu_percent"])
    )
    print(
        f"  {'write':<11} {'sent':>6} {'ok':>6} {'429':>5} {'failed':>6} {'ok/s':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7}"
    )
    for kind, w in p["writes"].items():
        print(
            f"  {kind:<11} {w['sent']:>6} {w['ok']:>6} {w['rate_limited']:>5} {w['failed']:>6} "
            f"{w['ok'] / p['write_seconds']:>6.1f} {w['p50_ms']:>7.1f} {w['p99_ms']:>7.1f}"
        )
    failures = {k: w["failed_statuses"] for k, w in p["writes"].items() if w["failed_statuses"]}
    if failures:
        print(f"  failed writes by HTTP status (0: no answer): {failures}")
    print(
        f"  writes scheduled over {p['scheduled_seconds']:g} s were all answered after "
        f"{p['write_seconds']:.0f} s; response times are counted from when each write was due"
    )
    print(
        f"  CPU during writes, in % of one core: machine {p['machine_cpu_percent']:.0f}, "
        f"Daphne {sum(p['cpu_percent']):.0f}, load clients {p['clients_cpu_percent']:.0f}, "
        f"rest (PostgreSQL, Redis, anything else) {p['other_cpu_percent']:.0f}"
    )
    print(
        f"  writer fell behind its schedule by at most {p['writer_behind_ms']:.0f} ms; "
        f"database connections during writes: mean {p['db_connections']['mean']:.1f}, "
        f"max {p['db_connections']['max']}"
    )
    print(
        f"  events: expected {p['events_expected']}, received {p['events_received']}, "
        f"lost {p['lost']}, duplicated {p['duplicated']}, "
        f"topics out of order {p['out_of_order_topics']}"
    )
    print(f"  {'latency (ms)':<22} {'count':>7} {'p50':>8} {'p99':>8} {'max':>8}")
    for event, (count, p50, p99, high) in p["latency"].items():
        print(f"  {event:<22} {count:>7} {p50:>8.1f} {p99:>8.1f} {high:>8.1f}")
    if p["server_delivery_mean_ms"] is not None:
        print(f"  server-side commit-to-write mean: {p['server_delivery_mean_ms']:.1f} ms")
    print(
        f"  leaderboard frames: {p['leaderboard_frames']}; one board on one socket: at most "
        f"{p['leaderboard_most_frames_per_socket']} frames in {p['write_seconds']:.0f} s of "
        f"writes, shortest gap {p['leaderboard_min_gap_s']:.2f} s (receipt times)"
    )
    if p["problems"]:
        print(f"  problems: {p['problems']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=1000, help="connected students")
    parser.add_argument("--seconds", type=float, default=300, help="length of the write phase")
    parser.add_argument("--processes", default="1,2", help="Daphne process counts, one run each")
    parser.add_argument("--completions", type=int, default=5, help="lesson completions per second")
    parser.add_argument("--posts", type=int, default=2, help="thread posts per second")
    parser.add_argument("--dms", type=int, default=2, help="direct messages per second")
    parser.add_argument("--activity", type=int, default=5, help="activity reports per second")
    parser.add_argument("--thread-watchers", type=int, default=100, help="students on the thread")
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=32,
        help="most write requests open at once; later ones wait (and that wait is counted)",
    )
    parser.add_argument(
        "--http-processes",
        type=int,
        default=0,
        help="Daphne processes of their own for the writes (0: the sockets' processes answer)",
    )
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument(
        "--client-library",
        choices=("lean", "websockets"),
        default="lean",
        help="the students' websocket client (lean: a few microseconds a frame, bench/common.py)",
    )
    parser.add_argument(
        "--connection-per-write",
        action="store_true",
        help="open a new HTTP connection for each write (by default each writer thread keeps one)",
    )
    parser.add_argument("--connect-concurrency", type=int, default=20, help="per client process")
    parser.add_argument("--seed", type=int, default=7)
    common.add_run_options(parser, baseline=True)
    parser.add_argument(
        "--patience", type=float, default=3600, help="longest wait for a quiet machine, seconds"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--profile",
        help="write a py-spy profile of each process answering the writes, during the writes, "
        "to files with this prefix",
    )
    args = parser.parse_args()

    print(
        f"load: {args.students} students, {args.seconds:g} s of writes per run: "
        f"{args.completions} completions, {args.posts} thread posts, {args.dms} DMs, "
        f"{args.activity} activity reports per second; {args.thread_watchers} on the thread; "
        f"{args.client_library} clients; "
        f"{'a connection per write' if args.connection_per_write else 'kept connections'}; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    started = time.monotonic()
    template_url, run_url = common.run_database(args.students)
    print(f"  benchmark database seeded in {time.monotonic() - started:.1f}s", flush=True)

    import django

    django.setup()
    results = []
    with common.targets(args.baseline, args.abba) as measured:
        for label, root in measured:
            for processes in [int(p) for p in args.processes.split(",")]:
                people, load = common.fresh_run(
                    template_url, run_url, args.students, args.quiet_load, args.patience
                )
                print(
                    f"\n{label}: run with {processes} Daphne process(es), load average {load:.2f}",
                    flush=True,
                )
                result = run(processes, people, args, run_url, root, label)
                result["target"] = label
                print_run(result)
                results.append(result)
    if len(results) > 1:
        print("\ncomparison")
        answered: dict[tuple[str, int], list[float]] = {}
        for r in results:
            count, p50, p99, _max = r["latency"]["all"]
            rate = sum(w["ok"] for w in r["writes"].values()) / r["write_seconds"]
            answered.setdefault((r["target"], r["processes"]), []).append(rate)
            print(
                f"  {r['target']}, {r['processes']} process(es): p50 {p50:.1f} ms, "
                f"p99 {p99:.1f} ms over {count} events; lost {r['lost']}; "
                f"{rate:.1f} writes/s answered; "
                f"{r['memory_per_connection_kib']:.1f} KiB per connection"
            )
        for (target, processes), rates in answered.items():
            if len(rates) > 1:
                print(
                    f"  {target}, {processes} process(es), mean of {len(rates)} runs: "
                    f"{sum(rates) / len(rates):.1f} writes/s answered"
                )
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "runs": results}, indent=2))


if __name__ == "__main__":
    main()

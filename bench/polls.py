#!/usr/bin/env python
"""Held polls: N students holding the polling fallback at once, then one event waking them all.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_storm REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/polls.py [--students 300] [--baseline <git revision>]

Students of the seeded database (seeded as for bench/load.py) each hold one poll
(`POST /api/realtime/poll/`, `wait` 25 s, token auth) on their course's topic,
on one Daphne process with production settings. Once every poll is held, one
event is published on the course topic: every poll should answer with it.
Meanwhile another student asks `GET /api/me/` every 100 ms, and the
PostgreSQL connections of the run's database are sampled every 50 ms.

Reported: polls answered 200 with the event, errors by status, the time from
the publish to the last answer, the other student's request times (median and
worst) while the polls are held and woken, and the most PostgreSQL
connections seen at once. With `--baseline REV` the same runs, in the same
invocation, against the code of git revision REV (checked out in a temporary
worktree).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

WAIT = 25


def request(url: str, key: str, body: dict | None = None, timeout: float = 60) -> int:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    try:
        with urlopen(Request(url, data, headers), timeout=timeout) as response:
            payload = json.loads(response.read())
            if body is not None and not payload.get("events"):
                return -1  # answered without the event
            return response.status
    except HTTPError as error:
        return error.code
    except (URLError, OSError):
        return 0


def run(base: str, people: dict, args, run_url: str) -> dict:
    from django.db import transaction

    from lms.realtime.events import publish

    course = people["course"]
    students = people["students"][: args.students]
    other_key = people["students"][args.students][1]
    topic = f"course:{course}"
    with psycopg.connect(run_url) as conn:
        last = conn.execute(
            "SELECT last_id FROM realtime_topiccounter WHERE topic = %s", [topic]
        ).fetchone()
    since = last[0] if last else 0
    stop = threading.Event()
    other: list[tuple[float, float, int]] = []  # (when, seconds, status)

    def other_student() -> None:
        while not stop.is_set():
            began = time.time()
            status = request(f"{base}/api/me/", other_key, timeout=30)
            other.append((began, time.time() - began, status))
            time.sleep(0.1)

    def hold(key: str) -> tuple[int, float]:
        body = {"topics": {topic: since}, "wait": WAIT}
        status = request(f"{base}/api/realtime/poll/", key, body)
        return status, time.time()

    sampler = common.ConnectionSampler(run_url, interval=0.05)
    sampler.start()
    other_thread = threading.Thread(target=other_student, daemon=True)
    other_thread.start()
    with ThreadPoolExecutor(len(students)) as pool:
        futures = [pool.submit(hold, key) for _user, key in students]
        time.sleep(args.settle)  # every poll reaches the server and waits
        published = time.time()
        with transaction.atomic():
            publish(topic, "announcement", {"message": "wake up"})
        answers = [future.result() for future in futures]
    stop.set()
    connections = sampler.stop()
    other_thread.join(5)
    statuses = collections.Counter(status for status, _at in answers)
    woken = [at - published for status, at in answers if status == 200]
    during = [seconds for when, seconds, _s in other if when >= published - args.settle]
    return {
        "answered": statuses.get(200, 0),
        "errors": {str(k): v for k, v in statuses.items() if k != 200},
        "last_answer_s": max(woken) if woken else float("nan"),
        "other_p50_ms": common.percentile(during, 0.5) * 1000,
        "other_max_ms": max(during) * 1000 if during else float("nan"),
        "other_errors": sum(1 for _w, _s, status in other if status != 200),
        "peak_connections": connections["max"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--settle", type=float, default=5, help="seconds to let the polls settle")
    common.add_run_options(parser, baseline=True)
    args = parser.parse_args()

    template, run_url = common.run_database(args.students + 1)
    import django

    with common.admin_connect(template) as conn:
        max_connections = conn.execute("SHOW max_connections").fetchone()[0]
    rows = []
    with common.targets(args.baseline, args.abba) as measured:
        django.setup()
        from django.conf import settings

        for label, root in measured:
            people, load = common.fresh_run(template, run_url, args.students + 1, args.quiet_load)
            namespace = f"polls-{os.getpid()}-{len(rows)}"
            settings.REALTIME_NAMESPACE = namespace  # this process publishes the event
            with common.serving(1, run_url, namespace, root=root) as servers:
                result = run(f"http://127.0.0.1:{servers[0][0]}", people, args, run_url)
            result.update(target=label, load=load)
            rows.append(result)
            print(label, result, flush=True)
    print()
    print(
        f"{args.students} students holding polls on one Daphne process, one event waking them; "
        f"PostgreSQL max_connections {max_connections}"
    )
    print("| target | answered | errors | last answer | other user p50 / max | peak connections |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['target']} | {r['answered']} | {r['errors'] or 0} | {r['last_answer_s']:.2f} s "
            f"| {r['other_p50_ms']:.0f} / {r['other_max_ms']:.0f} ms "
            f"({r['other_errors']} errors) | {r['peak_connections']} |"
        )


if __name__ == "__main__":
    main()

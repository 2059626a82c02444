#!/usr/bin/env python
"""What one write costs the process that answers it, through Django's ASGI handler and ours.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deploy_load \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/handlers.py \\
        [--kinds read,activity,completion,post,dm] [--requests 300] [--baseline REV] \\
        [--applications django,lms] [--profile PREFIX] [--files]

No server and no socket: each request goes straight into an ASGI application
in this process, one after the other, as a server would hand it over (scope,
body, response), with production settings on a fresh copy of the load
benchmark's database (bench/load.py seeds it). Two applications answer the
same requests:

- `django`: Django's own ASGIHandler (`get_asgi_application()`), whose
  middleware each run their halves in a thread hop of their own;
- `lms`: `lms.asgi:application`, as deployed (pages and the API through
  lms.platform.handlers.ThreadedASGIHandler).

Reported per kind of request and application: the process's CPU time per
request (all its threads; of it, the kernel's) and the wall time per request,
after 20 requests of warm-up. Each (kind, application) runs in a process of its own, on a fresh
copy of the database, so both answer the very same writes. With `--baseline
REV`, the code of that revision answers them too, just before this tree, kind
by kind.

With `--files`, each measured series also lists the files of the measured tree
whose code its requests entered (outside `bench/`, in any thread: the view's,
the event loop's), as docs/architecture.md counts a path; a profile hook then
runs on every call, so the CPU figures of such a run are not the write's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

from bench import common  # noqa: E402

KINDS = ("read", "activity", "completion", "post", "dm")
APPLICATIONS = ("django", "lms")
WARM_UP = 20
RESULT = "result: "  # the child's figures, among whatever else it prints (emails, logs)


def requests(people: dict, kind: str, rng: random.Random):
    """An endless series of (method, path, body, token) of one kind, as bench/load.py writes."""
    students = people["students"]
    lessons = people["lessons"]
    next_lesson: dict[int, int] = {}
    while True:
        student, key = rng.choice(students)
        if kind == "read":
            yield "GET", "/api/notifications/unread-count/", None, key
        elif kind == "activity":
            lesson = rng.choice(lessons)
            yield "POST", f"/api/lessons/{lesson}/activity/", {"seconds": 60}, key
        elif kind == "completion":
            index = next_lesson.get(student, 0)
            if index < len(lessons):
                next_lesson[student] = index + 1
                path = f"/api/lessons/{lessons[index]}/complete/"
                yield "POST", path, {"score": rng.randint(60, 100)}, key
        elif kind == "post":
            path = f"/api/threads/{people['thread']}/messages/"
            yield "POST", path, {"content": f"Question {rng.randint(1, 10**6)}"}, key
        elif kind == "dm":
            recipient, _key = rng.choice(students)
            if recipient != student:
                body = {"recipient": recipient, "content": "Shall we study together?"}
                yield "POST", "/api/messages/", body, key


async def call(application, method: str, path: str, body: dict | None, key: str) -> int:
    content = json.dumps(body).encode() if body is not None else b""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Token {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    pending = [{"type": "http.request", "body": content, "more_body": False}]
    answered = asyncio.Event()
    status = 0

    async def receive():
        if pending:
            return pending.pop()
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await application(scope, receive, send)
    answered.set()
    return status


def file_recorder(root: str):
    """A profile hook recording the files under `root` whose code is entered while the
    `recording` event is set, in this thread and every thread started after it is set."""
    files: set[str] = set()
    recording = threading.Event()
    prefix = os.path.join(os.path.realpath(root), "")
    skip = (os.path.join(prefix, "bench", ""), os.path.join(prefix, ".venv", ""))

    def hook(frame, event, arg):
        if event == "call" and recording.is_set():
            name = frame.f_code.co_filename
            if name.startswith(prefix) and not name.startswith(skip):
                files.add(name[len(prefix) :])

    sys.setprofile(hook)
    threading.setprofile(hook)
    return files, recording


def child(args) -> None:
    """One (kind, application) in this process: print its figures as JSON."""
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=common.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        REALTIME_NAMESPACE=f"bench-handlers-{os.getpid()}",
        # Every request is answered, not throttled: the cost of a write is measured.
        WRITE_RATE_LIMIT="1000000/min",
        MESSAGE_RATE_LIMIT="1000000/min",
        MESSAGE_RATE_LIMIT_PER_MINUTE="1000000",
    )
    sys.path.insert(0, args.child_root)  # the code measured: this tree or a baseline's
    # Set before any request, so that the threads the server starts carry the hook.
    files, recording = file_recorder(args.child_root) if args.child_files else (set(), None)
    import django

    django.setup()
    if args.child_application == "django":
        from django.core.asgi import get_asgi_application

        application = get_asgi_application()
    else:
        from lms.asgi import application
    people = json.loads(args.people)
    series = requests(people, args.child_kind, random.Random(args.seed))

    async def run() -> dict:
        statuses: dict[int, int] = {}
        for _ in range(WARM_UP):
            await call(application, *next(series))
        profiler = common.sample(os.getpid(), args.child_profile) if args.child_profile else None
        times, wall = os.times(), time.perf_counter()
        if recording is not None:
            recording.set()
        for _ in range(args.requests):
            status = await call(application, *next(series))
            statuses[status] = statuses.get(status, 0) + 1
        if recording is not None:
            await asyncio.sleep(0.2)  # the sends a view left to the event loop
            recording.clear()
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
        used = [after - before for before, after in zip(times, os.times(), strict=True)]
        return {
            "cpu_ms": 1000 * (used[0] + used[1]) / args.requests,
            "system_ms": 1000 * used[1] / args.requests,
            "wall_ms": 1000 * (time.perf_counter() - wall) / args.requests,
            "statuses": statuses,
            "files": sorted(files),
        }

    print(RESULT + json.dumps(asyncio.run(run())), flush=True)


def measure(template_url: str, run_url: str, root: Path, args, kind: str, name: str) -> dict:
    """One (kind, application) of the code at `root`, in a child process, on a fresh copy."""
    people, _load = common.fresh_run(template_url, run_url, args.students, args.quiet_load)
    profile = [f"--child-profile={args.profile}-{kind}-{name}.txt"] if args.profile else []
    profile += ["--child-files"] if args.files else []
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            f"--child-kind={kind}",
            f"--child-application={name}",
            f"--child-root={root}",
            f"--people={json.dumps(people)}",
            f"--requests={args.requests}",
            f"--seed={args.seed}",
            *profile,
        ],
        env={**os.environ, "DATABASE_URL": run_url, "PYTHONPATH": str(root)},
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = next(line for line in output.splitlines() if line.startswith(RESULT))
    # raw_decode: the email worker's thread may print on the same line after it.
    figures, _end = json.JSONDecoder().raw_decode(result[len(RESULT) :])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--applications", default=",".join(APPLICATIONS))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", help="write a py-spy profile of each measured series to this prefix"
    )
    parser.add_argument(
        "--files",
        action="store_true",
        help="list the files of the measured tree that each kind's requests entered",
    )
    parser.add_argument("--child-kind", help=argparse.SUPPRESS)
    parser.add_argument("--child-files", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", help=argparse.SUPPRESS)
    parser.add_argument("--child-root", help=argparse.SUPPRESS)
    parser.add_argument("--child-application", help=argparse.SUPPRESS)
    parser.add_argument("--people", help=argparse.SUPPRESS)
    common.add_run_options(parser, baseline=True)
    args = parser.parse_args()
    if args.child_kind:
        child(args)
        return
    kinds = args.kinds.split(",")
    if set(kinds) - set(KINDS):
        parser.error(f"--kinds takes {','.join(KINDS)}")
    if set(args.applications.split(",")) - set(APPLICATIONS):
        parser.error(f"--applications takes {','.join(APPLICATIONS)}")
    template_url, run_url = common.run_database(args.students)

    import django

    django.setup()
    rows = []
    with common.targets(args.baseline, args.abba) as measured:
        for kind in kinds:
            for label, root in measured:
                for name in args.applications.split(","):
                    row = {"target": label, "kind": kind, "application": name}
                    row.update(measure(template_url, run_url, root, args, kind, name))
                    print({k: v for k, v in row.items() if k != "files"}, flush=True)
                    rows.append(row)
    print(f"\n{args.requests} requests of each kind, one at a time, in process")
    print("| kind | target | application | CPU per request | of it, system | wall | statuses |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['kind']} | {r['target']} | {r['application']} | {r['cpu_ms']:.1f} ms "
            f"| {r['system_ms']:.1f} ms | {r['wall_ms']:.1f} ms | {r['statuses']} |"
        )
    if args.files:
        for r in rows:
            print(f"\nfiles entered by {r['kind']} ({r['target']}, {r['application']}): ", end="")
            print(f"{len(r['files'])}\n  " + "\n  ".join(r["files"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""The same writes answered by Daphne, uvicorn and gunicorn: what the HTTP server costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deploy_load \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/http_servers.py \\
        [--writes completions+posts+dms+activity] [--rate 160] [--seconds 20] \\
        [--servers daphne,uvicorn,gunicorn]

Needs the `bench` extra (`pip install -e '.[bench]'`) for uvicorn and gunicorn.

One server process at a time, with production settings, on a fresh copy of the
load benchmark's database (bench/load.py seeds it) and no websocket connected:
Daphne (`lms.asgi:application`, as deployed), uvicorn with uvloop and httptools
on the same ASGI application, and gunicorn's synchronous worker on Django's WSGI
application. The writer of bench/load.py offers `--rate` writes per second of
the `--writes` kinds for `--seconds`, at most 32 open at once.

Reported per server: writes answered per second, the server's CPU time per
write (its process and children), and the median response time counted from
when each write was due.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

from bench import common, load  # noqa: E402

BIN = Path(sys.executable).parent
KINDS = ("completions", "posts", "dms", "activity")


def command(kind: str, port: int) -> list[str]:
    if kind == "daphne":
        return [
            str(BIN / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            *common.daphne_options(),
            "lms.asgi:application",
        ]
    if kind == "uvicorn":
        return [
            str(BIN / "uvicorn"),
            "lms.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    if kind == "gunicorn":
        return [
            str(BIN / "gunicorn"),
            "django.core.wsgi:get_wsgi_application()",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--log-level",
            "warning",
        ]
    raise SystemExit(f"unknown server {kind!r}")


def start(kind: str, port: int, run_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": run_url,
        "REALTIME_NAMESPACE": f"http-servers-{os.getpid()}-{kind}",
        "DEBUG": "0",
        "SECRET_KEY": common.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        command(kind, port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise SystemExit(f"{kind} did not start") from None
            time.sleep(0.2)


def cpu_of_tree(pid: int) -> float:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout.split()
    return common.cpu_seconds(pid) + sum(common.cpu_seconds(int(child)) for child in children)


def measure(kind: str, people: dict, args, run_url: str) -> dict:
    port = common.free_port()
    process = start(kind, port, run_url)
    try:
        time.sleep(2)
        kinds = args.writes.split("+")
        offered = argparse.Namespace(**dict.fromkeys(KINDS, 0), max_in_flight=32)
        for name in kinds:
            setattr(offered, name, args.rate // len(kinds))
        writer = load.Writer([port], people, offered, random.Random(args.seed))
        cpu_before, started = cpu_of_tree(process.pid), time.monotonic()
        writer.run(args.seconds)
        elapsed = time.monotonic() - started
        cpu = cpu_of_tree(process.pid) - cpu_before
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    statuses = collections.Counter(status for _kind, status, _s in writer.outcomes)
    answered = sum(n for status, n in statuses.items() if 200 <= status < 300)
    return {
        "server": kind,
        "writes_per_second": answered / elapsed,
        "cpu_ms_per_write": 1000 * cpu / max(answered, 1),
        "p50_ms": 1000 * common.percentile([s for _k, _st, s in writer.outcomes], 0.5),
        "failed": sum(n for status, n in statuses.items() if not 200 <= status < 300),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", default="completions+posts+dms+activity")
    parser.add_argument("--rate", type=int, default=160, help="writes offered per second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--servers", default="daphne,uvicorn,gunicorn")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    common.add_run_options(parser)
    args = parser.parse_args()
    unknown = set(args.writes.split("+")) - set(KINDS)
    if unknown:
        parser.error(f"--writes takes {'+'.join(KINDS)}, not {sorted(unknown)}")
    template_url, run_url = common.run_database(args.students)

    import django

    django.setup()
    rows = []
    for kind in args.servers.split(","):
        people, load_average = common.fresh_run(
            template_url, run_url, args.students, args.quiet_load
        )
        row = measure(kind, people, args, run_url)
        row["load"] = load_average
        print(row, flush=True)
        rows.append(row)
    print(f"\n{args.rate} writes/s offered ({args.writes}) for {args.seconds} s, one process each")
    print("| server | writes/s answered | CPU per write | p50 from due | failed |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['server']} | {r['writes_per_second']:.1f} | {r['cpu_ms_per_write']:.1f} ms "
            f"| {r['p50_ms']:.0f} ms | {r['failed']} |"
        )


if __name__ == "__main__":
    main()

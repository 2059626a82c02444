"""What the benchmark scripts share: their database, the Daphne servers, baselines, measurements.

The database helpers that use the ORM (`fresh_copy`, `fresh_run`, `population`)
run once the script has set Django up on the run database; the rest need no
Django.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
DAPHNE = str(Path(sys.executable).with_name("daphne"))
SECRET_KEY = "benchmark-secret-key-not-for-production-0123456789abcdef"


# The benchmark's database.


def database_url() -> str:
    """DATABASE_URL, a PostgreSQL database of the benchmark's own (REDIS_URL must be set too)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (a PostgreSQL database of the benchmark's own) and REDIS_URL.")
    return url


def run_database(students: int) -> tuple[str, str]:
    """The benchmark database, seeded with `students` students (`ensure_database`), and the URL
    of its run copy (`fresh_copy`), which this process then uses: (template URL, run URL)."""
    template_url = database_url()
    ensure_database(template_url, students)
    run_url = f"{template_url}_run"
    os.environ["DATABASE_URL"] = run_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    os.environ["DEBUG"] = "1"  # this process only sets up data; the servers run with DEBUG off
    return template_url, run_url


def admin_connect(url: str):
    """An autocommit connection to the `postgres` database of the server of `url`."""
    import psycopg

    return psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


def create_database(url: str) -> bool:
    """Create the database of `url` when missing; whether it was."""
    name = url.rsplit("/", 1)[1]
    with admin_connect(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def ensure_database(url: str, students: int | None = None) -> None:
    """The benchmark database, created when missing and migrated, then seeded with
    `seed_demo --students N` when `students` is given (idempotent: it skips what exists)."""
    create_database(url)
    commands = [["migrate", "--noinput", "-v", "0"]]
    if students is not None:
        commands.append(["seed_demo", "--students", str(students)])
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    for command in commands:
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def fresh_copy(template_url: str, run_url: str) -> None:
    """The run database, created anew from the benchmark database as its template."""
    from django.db import connections

    connections.close_all()
    template, run = template_url.rsplit("/", 1)[1], run_url.rsplit("/", 1)[1]
    with admin_connect(template_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{run}" TEMPLATE "{template}"')


def population(students: int) -> dict:
    """Students with API tokens, the first course's lessons in order, its thread."""
    from django.db import connections
    from rest_framework.authtoken.models import Token

    from discussions.models import DiscussionThread
    from lms.catalog.models import Lesson, User
    from lms.demo.demo_content import WELCOME_THREAD

    rows = list(
        User.objects.filter(username__startswith="student", role=User.Role.STUDENT)
        .order_by("id")
        .values_list("id", flat=True)[:students]
    )
    if len(rows) < students:
        sys.exit(f"only {len(rows)} seeded students; seed_demo did not run?")
    Token.objects.bulk_create(
        [Token(key=Token.generate_key(), user_id=user_id) for user_id in rows],
        ignore_conflicts=True,
    )
    keys = dict(Token.objects.filter(user_id__in=rows).values_list("user_id", "key"))
    thread = DiscussionThread.objects.get(title=WELCOME_THREAD["title"])
    lessons = list(
        Lesson.objects.filter(module__course_id=thread.course_id)
        .order_by("module__order", "order")
        .values_list("id", flat=True)
    )
    # Only the servers' connections count in the connection samples.
    connections.close_all()
    return {
        "students": [(user_id, keys[user_id]) for user_id in rows],
        "course": thread.course_id,
        "thread": thread.pk,
        "lessons": lessons,
    }


def fresh_run(
    template_url: str, run_url: str, students: int, quiet_load: float, patience: float = 300
) -> tuple[dict, float]:
    """Before a run: a fresh copy of the database, its `population`, then a quiet machine.

    Returns the population and the 1-minute load average the run starts at.
    """
    fresh_copy(template_url, run_url)
    people = population(students)
    return people, wait_until_quiet(quiet_load, patience)


class ConnectionSampler(threading.Thread):
    """The connection count of a database (pg_stat_activity), every `interval` seconds."""

    def __init__(self, url: str, interval: float = 1):
        super().__init__(daemon=True)
        self.url = url
        self.interval = interval
        self.name_of_db = url.rsplit("/", 1)[1]
        self.samples: list[int] = []
        self.done = threading.Event()

    def run(self) -> None:
        with admin_connect(self.url) as conn:
            while not self.done.wait(self.interval):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.name_of_db]
                ).fetchone()
                self.samples.append(row[0])

    def stop(self) -> dict:
        self.done.set()
        self.join(5)
        return {
            "max": max(self.samples, default=0),
            "mean": sum(self.samples) / max(len(self.samples), 1),
        }


# Options.


def add_run_options(parser, *, baseline: bool = False) -> None:
    """--quiet-load, and with `baseline` --baseline and --abba."""
    if baseline:
        parser.add_argument("--baseline", help="git revision to measure in the same run")
        parser.add_argument(
            "--abba",
            action="store_true",
            help="with --baseline, measure the baseline, this tree, this tree, the baseline: "
            "a machine speeding up or slowing down during the runs weighs on both alike",
        )
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=1.5,
        help="before each run, wait until the 1-minute load average is below this",
    )


# Daphne servers.


def daphne_options(connect_timeout: float = 30) -> list[str]:
    """Quiet, and the websocket connect timeout as deploy/daphne@.service runs it."""
    return ["-v", "0", "--websocket_connect_timeout", f"{connect_timeout:g}"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_servers(
    count: int,
    run_url: str,
    namespace: str,
    *,
    root: Path = ROOT,
    options: list[str] | None = None,
    application: str = "lms.asgi:application",
    env: dict[str, str] | None = None,
    ports: list[int] | None = None,
) -> list[tuple[int, subprocess.Popen]]:
    """`count` Daphne processes serving the code in `root` (this tree, or a baseline's).

    Production settings on the database of `run_url` and the realtime namespace
    `namespace`; `options` are Daphne's (`daphne_options()` by default), `env`
    adds to the servers' environment, `ports` fixes theirs (free ones by default).
    """
    env = {
        **os.environ,
        "DATABASE_URL": run_url,
        "REALTIME_NAMESPACE": namespace,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(root),
        **(env or {}),
    }
    options = daphne_options() if options is None else options
    servers = []
    for index in range(count):
        port = ports[index] if ports else free_port()
        process = subprocess.Popen(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(port), *options, application],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers.append((port, process))
    for port, process in servers:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stop_servers(servers)
                    raise RuntimeError("daphne did not start") from None
                time.sleep(0.2)
    return servers


def stop_servers(servers) -> None:
    for _port, process in servers:
        process.terminate()
    for _port, process in servers:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)


@contextlib.contextmanager
def serving(count: int, run_url: str, namespace: str, **kwargs) -> Iterator[list]:
    """`start_servers` for the length of the block: [(port, process)]."""
    servers = start_servers(count, run_url, namespace, **kwargs)
    try:
        yield servers
    finally:
        stop_servers(servers)


def server_delivery(ports: list[int]) -> float | None:
    """Mean commit-to-socket-write latency measured by the servers themselves (/metrics), ms."""
    total = count = 0.0
    for port in ports:
        with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("lms_event_delivery_seconds_sum "):
                    total += float(line.split()[1])
                elif line.startswith("lms_event_delivery_seconds_count "):
                    count += float(line.split()[1])
    return total / count * 1000 if count else None


@contextlib.contextmanager
def targets(baseline: str | None, abba: bool = False) -> Iterator[list[tuple[str, Path]]]:
    """The code to measure, [(label, root)]: this tree, and first, with `baseline`, the code of
    that git revision, checked out in a temporary worktree for the length of the block.

    With `abba`, the pair and then the pair again in the other order. A machine's speed
    drifts: of two runs, the first may answer a tenth more whichever code it runs.
    """
    if not baseline:
        yield [("this tree", ROOT)]
        return
    worktree = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(worktree), baseline],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pair = [(f"baseline {baseline}", worktree), ("this tree", ROOT)]
        yield pair + pair[::-1] if abba else pair
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)


# Client processes.


def drain(counters, expected: int, stall: float) -> None:
    """Wait until the clients' `counters` add up to `expected`, or have not moved for `stall` s."""
    last, last_change = -1, time.monotonic()
    while True:
        now = sum(counter.value for counter in counters)
        if now >= expected:
            return
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change > stall:
            return
        time.sleep(0.05)


def collect(results, processes, timeout: float = 120) -> list:
    """One report from each client process (put on the queue `results`), then the processes
    joined."""
    reports = [results.get(timeout=timeout) for _ in processes]
    for process in processes:
        process.join(60)
    return reports


# Measurements.


def sample(pid: int, out: str) -> subprocess.Popen:
    """py-spy samples of process `pid` holding the interpreter (where its CPU goes) into `out`.

    Stop it with SIGINT: py-spy writes its file then.
    """
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "-p",
            str(pid),
            "-f",
            "raw",
            "-o",
            out,
            "-r",
            "200",
            "--gil",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine, all cores, in clock ticks."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def wait_until_quiet(threshold: float, patience: float) -> float:
    """Wait until the 1-minute load average is below `threshold`; returns it."""
    deadline = time.monotonic() + patience
    while (load := os.getloadavg()[0]) >= threshold and time.monotonic() < deadline:
        print(f"  load average {load:.2f}: waiting for it to fall below {threshold}", flush=True)
        time.sleep(30)
    return load


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# A lean websocket client.

WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class LeanSocket(asyncio.Protocol):
    """A websocket client that does only what the measurement needs: the opening handshake,
    masked frames out, and each text frame in handed to `on_text` with its arrival time.

    Per frame received it costs a few microseconds, against tens for a general client
    library, so that on a machine the clients share with the server most of the CPU goes to
    the server. It expects what a server sends (RFC 6455: unmasked frames), answers pings,
    and reassembles fragmented messages.
    """

    def __init__(self, request: bytes, accept: bytes):
        self.request, self.accept = request, accept
        self.opened = asyncio.get_running_loop().create_future()
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments: list[bytes] = []
        self.on_text = lambda payload, now: None
        self.closed = False

    @classmethod
    async def connect(cls, url: str, headers: dict[str, str]) -> LeanSocket:
        parts = urlsplit(url)
        key = base64.b64encode(os.urandom(16))
        accept = base64.b64encode(hashlib.sha1(key + WEBSOCKET_GUID).digest())
        lines = [
            f"GET {parts.path or '/'} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key.decode()}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        loop = asyncio.get_running_loop()
        _transport, socket = await loop.create_connection(
            lambda: cls(request, accept), parts.hostname, parts.port
        )
        await socket.opened
        return socket

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def close(self) -> None:
        if not self.transport.is_closing():
            self._send(0x8, (1000).to_bytes(2, "big"))
            self.transport.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = bytes((0x80 | opcode, 0x80 | length))
        elif length < 1 << 16:
            header = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
        else:
            header = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
        masked = bytes(byte ^ mask[i & 3] for i, byte in enumerate(payload))
        self.transport.write(header + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self.buffer
        buffer += data
        if not self.upgraded and not self._handshake():
            return
        position, size = 0, len(buffer)
        while size - position >= 2:
            first, length = buffer[position], buffer[position + 1] & 0x7F
            start = position + 2
            if length == 126:
                length, start = int.from_bytes(buffer[start : start + 2], "big"), start + 2
            elif length == 127:
                length, start = int.from_bytes(buffer[start : start + 8], "big"), start + 8
            if size < start + length:
                break
            self._frame(first, bytes(buffer[start : start + length]), now)
            position = start + length
        del buffer[:position]

    def _handshake(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        status, *lines = bytes(self.buffer[:end]).split(b"\r\n")
        del self.buffer[: end + 4]
        headers = dict(line.split(b":", 1) for line in lines)
        headers = {name.strip().lower(): value.strip() for name, value in headers.items()}
        if (
            not status.startswith(b"HTTP/1.1 101")
            or headers.get(b"sec-websocket-accept") != self.accept
        ):
            self.opened.set_exception(ConnectionError(status.decode()))
            self.transport.close()
            return False
        self.upgraded = True
        self.opened.set_result(None)
        return True

    def _frame(self, first: int, payload: bytes, now: float) -> None:
        opcode = first & 0x0F
        if opcode in (0x0, 0x1):  # text, or a continuation of one
            self.fragments.append(payload)
            if first & 0x80:
                self.on_text(b"".join(self.fragments), now)
                self.fragments.clear()
        elif opcode == 0x9:
            self._send(0xA, payload)
        elif opcode == 0x8:
            self.transport.close()

"""Real Daphne processes for end-to-end tests, sharing the test database and Redis.

    def test_something(daphne_servers):
        a, b = daphne_servers(2)
        a.url  # http://127.0.0.1:<port>
        a.ws_url  # ws://127.0.0.1:<port>/ws/

The processes use the test database of the calling test (which must be a
`transaction=True` test on PostgreSQL, so they see committed rows) and the
test's realtime namespace on Redis, so events published by the test process
reach their sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = str(Path(sys.executable).with_name("daphne"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("end-to-end servers share the test database: PostgreSQL only")
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def kill(self) -> None:
        """SIGKILL: the process vanishes without closing anything."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def server_env(redis_url: str, *, database: str | None = None, **extra: str) -> dict[str, str]:
    """Environment of a Daphne process: the test's database unless `database` is given."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database or database_url(),
        REDIS_URL=redis_url,
        REALTIME_NAMESPACE=settings.REALTIME_NAMESPACE,
        DEBUG="0",
        # The test's own key, so sessions the test creates are valid on the servers.
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def start_server(
    env: dict[str, str], log_dir: Path, app: str = "lms.asgi:application", port: int | None = None
) -> Server:
    port = port or free_port()
    log = log_dir / f"daphne-{port}.log"
    process = subprocess.Popen(
        [DAPHNE, "-b", "127.0.0.1", "-p", str(port), app],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(port=port, process=process, log=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited early:\n{server.output()}")
        with (
            contextlib.suppress(URLError, OSError),
            urlopen(f"{server.url}/healthz", timeout=2) as response,
        ):
            if response.status == 200:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"daphne did not answer /healthz within 30s:\n{server.output()}")


@pytest.fixture
def daphne_servers(postgres, transactional_db, redis_url, tmp_path, settings):
    """A factory starting N Daphne processes; all are stopped after the test.

    The servers and the test share one namespace of their own, for the channel layer
    and for the cache, as the processes of one deployment do: what a server notes in
    the cache (a client polling, a rate limit) the test's writes see too.
    """
    namespace = f"rt-e2e-{uuid.uuid4().hex[:12]}"
    settings.REALTIME_NAMESPACE = namespace
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = namespace
    settings.CACHES = caches
    started: list[Server] = []

    def start(count: int = 1, app: str = "lms.asgi:application", **extra_env: str) -> list[Server]:
        # Uploads and mail of the servers stay in the test's own folder (mail as files).
        env = server_env(
            redis_url,
            MEDIA_ROOT=str(tmp_path / "media"),
            EMAIL_URL=f"file:///{tmp_path / 'mail'}",
            **extra_env,
        )
        servers = [start_server(env, tmp_path, app) for _ in range(count)]
        started.extend(servers)
        return servers

    yield start
    for server in started:
        server.stop()


class LiveSocket:
    """A websocket client of a real server, speaking the /ws/ protocol."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ref = 0
        self.backlog: list[dict] = []

    @classmethod
    async def open(cls, server: Server, key: str) -> LiveSocket:
        import websockets

        ws = await websockets.connect(
            server.ws_url, additional_headers={"Authorization": f"Token {key}"}
        )
        return cls(ws)

    async def request(self, **frame) -> dict:
        self.ref += 1
        ref = str(self.ref)
        await self.ws.send(json.dumps({**frame, "ref": ref}))
        return await self.until(lambda f: f.get("op") == "reply" and f.get("ref") == ref)

    async def until(self, predicate, timeout: float = 20) -> dict:
        """The first frame matching `predicate`; the others stay queued."""
        for index, frame in enumerate(self.backlog):
            if predicate(frame):
                return self.backlog.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame; last frames {self.backlog[-5:]}")
            try:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), remaining))
            except TimeoutError:
                raise TimeoutError(f"no matching frame; last frames {self.backlog[-5:]}") from None
            if predicate(frame):
                return frame
            self.backlog.append(frame)

    async def event_ids(self, count: int, timeout: float = 30) -> list[int]:
        return [
            (await self.until(lambda f: f.get("op") == "event", timeout))["id"]
            for _ in range(count)
        ]

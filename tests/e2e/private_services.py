"""Private Redis and PostgreSQL instances that a fault test may kill and restart.

The machine's shared PostgreSQL and Redis serve every test running at the same
time, so a test that needs an outage starts its own instance on a free port in a
temporary folder, and removes it afterwards.

    redis = PrivateRedis.start_new(tmp_dir)
    redis.kill(); redis.start()          # same port, empty (no persistence)

    database = PrivatePostgres.create(tmp_dir)
    database.url                         # postgres://postgres@127.0.0.1:<port>/postgres
    database.stop(); database.start()    # same port, same data
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.servers import ROOT, free_port, server_env

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
START_TIMEOUT = 30


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout}s")
        time.sleep(interval)


def private_dir(prefix: str) -> Path:
    """A new temporary folder; short, so Unix socket paths in it stay under 108 bytes."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@dataclass
class PrivateRedis:
    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @classmethod
    def start_new(cls, directory: Path) -> PrivateRedis:
        redis = cls(directory=directory)
        redis.start()
        return redis

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        """Start (again) on the same port, with no persistence: a restart starts empty."""
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: self.process.poll() is not None or self.ping(),
            START_TIMEOUT,
            f"private Redis did not answer on port {self.port}",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: every connection drops at once, and nothing is saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def output(self) -> str:
        log = self.directory / "redis.log"
        return log.read_text(errors="replace")[-4000:] if log.exists() else ""


def _as_postgres_user() -> dict:
    """PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": pwd.getpwnam("postgres").pw_gid}


@dataclass
class PrivatePostgres:
    directory: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def create(cls, directory: Path) -> PrivatePostgres:
        """A new cluster (trust authentication, no fsync: it is thrown away), started."""
        cluster = cls(directory=directory)
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(directory, postgres.pw_uid, postgres.pw_gid)
        cluster._run(
            POSTGRES_BIN / "initdb",
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
        )
        cluster.start()
        return cluster

    def _run(self, *command, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(part) for part in command],
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=60,
            **_as_postgres_user(),
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}\n{self.output()}"
            )
        return result

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            POSTGRES_BIN / "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            self.log,
            "-w",
            "-t",
            str(START_TIMEOUT),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session (clients get an admin-shutdown error), `immediate` crashes."""
        self._run(POSTGRES_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self._run(POSTGRES_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def manage(env: dict[str, str], *args: str) -> str:
    """Run `manage.py <args>` in a subprocess with `env`; its output, or an error with it."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def daphne_env(*, database_url: str, redis_url: str = "", **extra: str) -> dict[str, str]:
    """Environment of a Daphne process on any database (see tests/e2e/servers.server_env)."""
    return server_env(redis_url, database=database_url, **extra)


def binaries_present() -> dict[str, bool]:
    return {
        "redis-server": os.path.exists(REDIS_SERVER),
        "PostgreSQL 15 server binaries": (POSTGRES_BIN / "pg_ctl").exists()
        and (POSTGRES_BIN / "initdb").exists(),
    }

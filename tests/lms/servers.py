"""Real Daphne processes for end-to-end tests, each on its own port and SQLite file."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(DATABASE_URL=f"sqlite:///{database_path}", DJANGO_SETTINGS_MODULE="lms.settings")
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process_output(process)
            raise RuntimeError(f"server exited with {process.returncode}: {output}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def process_output(process: subprocess.Popen) -> str:
    if process.stdout is None:
        return ""
    with contextlib.suppress(Exception):
        return process.stdout.read()[-4000:]
    return ""


@contextlib.contextmanager
def daphne(env: dict[str, str]) -> Iterator[str]:
    """Start `daphne lms.asgi:application` on a free port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "lms.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base_url}/healthz", process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def seeded_site(directory: Path, *shell_snippets: str) -> Iterator[str]:
    """A Daphne over a fresh SQLite file with migrations, seed_demo and any extra data.

    Yields the base URL; each snippet runs in `manage.py shell -c`.
    """
    env = server_env(directory / "site.sqlite3")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    for snippet in shell_snippets:
        manage(env, "shell", "-c", snippet)
    with daphne(env) as base_url:
        yield base_url

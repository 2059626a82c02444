"""Capacity kept cheaply: a reconnect storm and held polls on a real Daphne process.

The figures themselves come from bench/storm.py and bench/load.py
(docs/benchmarks.md); these tests keep what can be kept in a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import websockets
from rest_framework.authtoken.models import Token

from discussions.services import direct_message_send
from tests.e2e.test_nginx import metric
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def poll(server, key: str, topics: dict, wait: float) -> tuple[int, dict, dict]:
    request = Request(
        f"{server.url}/api/realtime/poll/",
        json.dumps({"topics": topics, "wait": wait}).encode(),
        {"Content-Type": "application/json", "Authorization": f"Token {key}"},
    )
    try:
        with urlopen(request, timeout=wait + 20) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_held_polls_hold_no_database_connection_and_all_wake(daphne_servers, settings):
    (server,) = daphne_servers(1)
    cap = settings.REALTIME_MAX_POLLS_PER_USER
    users = [UserFactory() for _ in range(3)]
    keys = {user.pk: Token.objects.create(user=user).key for user in users}
    held = [(user, n) for user in users for n in range(cap)]
    with ThreadPoolExecutor(len(held)) as pool:
        futures = [
            pool.submit(poll, server, keys[user.pk], {f"user:{user.pk}": 0}, 20)
            for user, _n in held
        ]
        wait_for(lambda: metric(server, "lms_poll_held") == len(held), 20, "every poll held")
        # Waiting costs no database connection, however many wait.
        assert metric(server, "lms_db_connections_in_use") == 0
        # One poll more than the cap for one user is refused, with a time to come back.
        status, body, headers = poll(server, keys[users[0].pk], {f"user:{users[0].pk}": 0}, 20)
        assert status == 429 and body["code"] == "rate_limited"
        assert int(headers["Retry-After"]) > 0
        sender = StaffFactory()
        for user in users:
            direct_message_send(sender=sender, recipient=user, content=f"for {user.pk}")
        answers = [future.result(timeout=30) for future in futures]
    for (user, _n), (status, body, _headers) in zip(held, answers, strict=True):
        assert status == 200
        assert [e["data"]["content"] for e in body["events"]] == [f"for {user.pk}"]
    assert metric(server, "lms_poll_held") == 0


def test_a_storm_of_sockets_all_join(daphne_servers):
    """200 students' sockets opening at the same moment: none is dropped, all join."""
    (server,) = daphne_servers(1)
    students = [UserFactory() for _ in range(200)]
    keys = [(s.pk, Token.objects.create(user=s).key) for s in students]
    go = threading.Event()

    async def one(user_id: int, key: str) -> str:
        await asyncio.to_thread(go.wait)
        try:
            async with websockets.connect(
                server.ws_url, additional_headers={"Authorization": f"Token {key}"}
            ) as ws:
                await ws.send(json.dumps({"op": "join", "topic": f"user:{user_id}", "ref": "1"}))
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    if frame.get("op") == "reply":
                        return "joined" if frame["ok"] else frame["error"]["code"]
        except (OSError, websockets.WebSocketException) as exc:
            return type(exc).__name__

    async def storm() -> list[str]:
        tasks = [asyncio.ensure_future(one(user_id, key)) for user_id, key in keys]
        await asyncio.sleep(0.5)
        go.set()
        return await asyncio.gather(*tasks)

    outcomes = asyncio.run(storm())
    assert outcomes.count("joined") == len(keys), {o for o in outcomes if o != "joined"}

"""Faults: Redis restarted, PostgreSQL restarted, a Daphne process killed, with clients connected.

Redis and PostgreSQL are private instances started by the tests on free ports
(tests/e2e/private_services.py): the machine's shared services are never
stopped. docs/operations.md describes what users see during each fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
import time
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import websockets
from channels.layers import channel_layers
from django.db import connections, transaction
from rest_framework.authtoken.models import Token

from lms.platform.middleware import DATABASE_UNAVAILABLE
from lms.realtime.events import publish
from tests.conftest import need
from tests.e2e.private_services import (
    PrivatePostgres,
    PrivateRedis,
    binaries_present,
    daphne_env,
    manage,
    private_dir,
)
from tests.e2e.servers import LiveSocket, server_env, start_server
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e]

CATCH_UP_TIMEOUT = 25  # the hub's safety net checks every 5 s and acts on the second check


# Private services


@pytest.fixture
def private_redis():
    need(binaries_present()["redis-server"], "redis-server (apt-get install redis-server)")
    directory = private_dir("lms-redis-")
    redis = PrivateRedis.start_new(directory)
    yield redis
    redis.kill()
    shutil.rmtree(directory, ignore_errors=True)


MIGRATE_AND_CREATE_USER = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from lms.catalog.models import User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("faulty", password="faulty-pass-1", first_name="Fay")
print(user.pk, Token.objects.create(user=user).key)
"""


@pytest.fixture(scope="module")
def postgres_site():
    """A private PostgreSQL cluster, migrated, with one user: (cluster, user id, token)."""
    need(
        binaries_present()["PostgreSQL 15 server binaries"],
        "PostgreSQL 15 server binaries (apt-get install postgresql-15)",
    )
    cluster = PrivatePostgres.create(private_dir("lms-pg-"))
    try:
        env = daphne_env(database_url=cluster.url)
        user_id, key = manage(env, "shell", "-c", MIGRATE_AND_CREATE_USER).split()[-2:]
        yield cluster, int(user_id), key
    finally:
        cluster.destroy()


# Clients


class Follower:
    """A websocket client following one topic the way the browser client does.

    When its connection is lost it reconnects, to the same server while that
    server accepts connections and to the next one in `urls` when it does not,
    and rejoins with `since` = the last id it received. Every event id it
    receives is kept, so a test can check that each arrived exactly once, in order.
    """

    def __init__(self, urls: list[str], key: str, topic: str) -> None:
        self.urls = urls
        self.key = key
        self.topic = topic
        self.server = 0  # index in urls
        self.ids: list[int] = []
        self.joins = 0
        self.refused_joins: list[dict] = []
        self.resets: list[dict] = []
        self.ws = None
        self.task: asyncio.Task | None = None

    @property
    def last_id(self) -> int:
        return self.ids[-1] if self.ids else 0

    @property
    def url(self) -> str:
        return self.urls[self.server]

    def start(self) -> Follower:
        self.task = asyncio.ensure_future(self._run())
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    def drop_connection(self) -> None:
        """The network under the client fails: no close frame, the socket just dies."""
        self.ws.transport.abort()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                ws = await websockets.connect(
                    self.url,
                    additional_headers={"Authorization": f"Token {self.key}"},
                    open_timeout=5,
                )
            except (OSError, TimeoutError, websockets.InvalidStatus):
                # This server is gone (or not accepting): try the next one.
                self.server = (self.server + 1) % len(self.urls)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            self.ws = ws
            try:
                await self._follow(ws)
            except websockets.ConnectionClosed:
                pass
            finally:
                await ws.close()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    async def _follow(self, ws) -> None:
        join = {"op": "join", "topic": self.topic, "ref": "join", "since": self.last_id}
        await ws.send(json.dumps(join))
        async for text in ws:
            frame = json.loads(text)
            if frame.get("op") == "reply" and frame.get("ref") == "join":
                if not frame["ok"]:
                    self.refused_joins.append(frame)
                    return  # reconnect and try again, as the browser client does
                if frame["data"].get("reset"):
                    self.resets.append(frame)
                self.joins += 1
            elif frame.get("op") == "event" and frame.get("topic") == self.topic:
                self.ids.append(frame["id"])

    async def wait_for(self, last_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.last_id < last_id:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.topic} via {self.url}: last id {self.last_id}, expected {last_id}; "
                    f"{self.joins} joins, refused {self.refused_joins[-3:]}"
                )
            await asyncio.sleep(0.02)

    async def wait_joined(self, joins: int = 1, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.joins < joins:
            if time.monotonic() > deadline:
                raise TimeoutError(f"not joined to {self.topic} via {self.url}")
            await asyncio.sleep(0.02)


def publish_events(topic: str, count: int) -> list[int]:
    """Commit `count` events on `topic`, one transaction each, as request threads would."""
    try:
        ids = []
        for n in range(count):
            with transaction.atomic():
                ids.append(publish(topic, "notification.created", {"n": n}))
        return ids
    finally:
        connections.close_all()


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def assert_every_id_once_in_order(followers: list[Follower], total: int) -> None:
    for follower in followers:
        assert not follower.resets, follower.resets
        assert follower.ids == list(range(1, total + 1)), f"via {follower.url}: {follower.ids}"


# 1. Redis restarted under two Daphne processes


@pytest.fixture
def redis_servers(postgres, transactional_db, private_redis, settings, tmp_path):
    """Two Daphne processes on the test database and the private Redis; the test
    process publishes through that Redis too."""
    settings.REDIS_URL = private_redis.url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [private_redis.url]},
        }
    }
    channel_layers.backends.clear()
    env = server_env(private_redis.url)
    servers = [start_server(env, tmp_path) for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


def test_redis_restart_loses_no_event_for_connected_and_reconnecting_clients(
    redis_servers, private_redis
):
    a, b = redis_servers
    user = UserFactory()
    key = token_for(user)
    topic = f"user:{user.pk}"

    async def scenario():
        stays_on_a = Follower([a.ws_url, b.ws_url], key, topic).start()
        stays_on_b = Follower([b.ws_url, a.ws_url], key, topic).start()
        dropped = Follower([a.ws_url, b.ws_url], key, topic).start()
        followers = [stays_on_a, stays_on_b, dropped]
        try:
            for follower in followers:
                await follower.wait_joined()
            await asyncio.to_thread(publish_events, topic, 10)
            for follower in followers:
                await follower.wait_for(10, timeout=10)

            private_redis.kill()
            # Written during the outage: stored, but the channel layer cannot send them.
            assert await asyncio.to_thread(publish_events, topic, 10) == list(range(11, 21))
            # A client whose connection breaks now keeps retrying, and rejoins with `since`.
            dropped.drop_connection()

            private_redis.start()
            # Nothing new is written: what was lost on the way is still delivered.
            for follower in followers:
                await follower.wait_for(20, timeout=CATCH_UP_TIMEOUT)
            await asyncio.to_thread(publish_events, topic, 10)
            for follower in followers:
                await follower.wait_for(30, timeout=10)
            # Nothing more arrives: no duplicates trailing behind.
            await asyncio.sleep(0.5)
            return followers
        finally:
            for follower in followers:
                await follower.stop()

    try:
        followers = asyncio.run(scenario())
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\nserver A:\n{a.output()}\nserver B:\n{b.output()}") from None
    assert_every_id_once_in_order(followers, 30)
    assert [f.joins for f in followers] == [1, 1, 2]


def test_site_keeps_answering_while_redis_is_down(redis_servers, private_redis):
    """New sockets connect and join, held polls answer, rate-limited writes go through."""
    a, _b = redis_servers
    user = UserFactory(username="outage-student")
    key = token_for(user)
    topic = f"user:{user.pk}"
    publish_events(topic, 2)
    private_redis.kill()
    try:
        status, _headers, body = http(
            "POST",
            f"{a.url}/api/auth/token/",
            body={"username": "outage-student", "password": "secret-pass-1"},
        )
        assert status == 200 and json.loads(body)["token"]
        started = time.monotonic()
        status, _headers, body = http(
            "POST", f"{a.url}/api/realtime/poll/", key, {"topics": {topic: 2}, "wait": 1}
        )
        assert status == 200 and json.loads(body)["events"] == []
        assert time.monotonic() - started >= 1

        async def connect_and_join():
            socket = await LiveSocket.open(a, key)
            try:
                reply = await socket.request(op="join", topic=topic, since=0)
                assert reply["ok"] and reply["data"]["last_id"] == 2
                assert await socket.event_ids(2) == [1, 2]
            finally:
                await socket.ws.close()

        asyncio.run(connect_and_join())
    finally:
        private_redis.start()
    assert "Internal Server Error" not in a.output()


# 2. PostgreSQL restarted under a Daphne process


def http(method: str, url: str, key: str | None = None, body: dict | None = None):
    """(status, headers, text) of a request; error statuses are answers too."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Token {key}"
    data = json.dumps(body).encode() if body is not None else None
    request = Request(url, data=data, headers=headers, method=method)
    try:
        with urlopen(request, timeout=15) as response:
            return response.status, response.headers, response.read().decode()
    except HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def postgres_server(postgres_site, tmp_path):
    """A Daphne process on the private cluster, keeping connections open between requests."""
    cluster, user_id, key = postgres_site
    server = start_server(daphne_env(database_url=cluster.url, DB_CONN_MAX_AGE="60"), tmp_path)
    yield server, cluster, user_id, key
    server.stop()
    with contextlib.suppress(RuntimeError):
        cluster.start()  # leave the cluster up for the next test, whatever happened


def site_requests(server, user_id: int, key: str) -> dict[str, tuple]:
    return {
        "api": http("GET", f"{server.url}/api/me/", key),
        "api write": http("POST", f"{server.url}/api/courses/999/enroll/", key, body={}),
        "poll": http(
            "POST",
            f"{server.url}/api/realtime/poll/",
            key,
            body={"topics": {f"user:{user_id}": 0}, "wait": 0},
        ),
        "page": http("GET", f"{server.url}/courses/"),
        "healthz": http("GET", f"{server.url}/healthz"),
    }


def test_postgres_restart_answers_503_then_recovers_without_restarting_daphne(postgres_server):
    server, cluster, user_id, key = postgres_server
    expected = {
        "api": 200,
        "api write": 404,  # no such course: the database answered
        "poll": 200,
        "page": 200,
        "healthz": 200,
    }
    for _round in range(3):  # several requests, so several connections are kept open
        up = site_requests(server, user_id, key)
        assert {name: answer[0] for name, answer in up.items()} == expected

    cluster.stop()
    down = site_requests(server, user_id, key)
    for name in ("api", "api write", "poll"):
        status, headers, text = down[name]
        assert status == 503, (name, text)
        assert headers["Content-Type"] == "application/json"
        assert json.loads(text) == {"detail": DATABASE_UNAVAILABLE}
        assert int(headers["Retry-After"]) > 0
    status, headers, text = down["page"]
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert int(headers["Retry-After"]) > 0
    assert DATABASE_UNAVAILABLE in text
    assert "Traceback" not in text
    status, _headers, text = down["healthz"]
    assert status == 503
    health = json.loads(text)
    assert health["ok"] is False
    assert health["database"]["ok"] is False
    assert "error" not in health["database"]  # the cause goes to the log only

    cluster.start()
    # The first requests after the restart already succeed: connections kept open from
    # before the outage (DB_CONN_MAX_AGE) fail their health check and are replaced.
    for _round in range(3):
        again = site_requests(server, user_id, key)
        assert {name: answer[0] for name, answer in again.items()} == expected
        assert json.loads(again["api"][2])["id"] == user_id
    assert "Internal Server Error" not in server.output()


def test_websocket_join_during_postgres_outage_is_refused_and_the_socket_survives(
    postgres_server,
):
    server, cluster, user_id, key = postgres_server
    topic = f"user:{user_id}"

    async def request(ws, frame: dict) -> dict:
        await ws.send(json.dumps(frame))
        while True:
            answer = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if answer.get("ref") == frame["ref"]:
                return answer

    async def scenario():
        async with websockets.connect(
            server.ws_url, additional_headers={"Authorization": f"Token {key}"}
        ) as ws:
            assert (await request(ws, {"op": "join", "topic": topic, "ref": "1"}))["ok"]
            await asyncio.to_thread(cluster.stop)
            try:
                refused = await request(ws, {"op": "join", "topic": topic, "ref": "2"})
            except websockets.ConnectionClosed as closed:
                raise AssertionError(
                    f"the socket was closed ({closed}) instead of answering the join:\n"
                    f"{server.output()}"
                ) from None
            assert refused["ok"] is False
            assert refused["error"]["code"]
            assert refused["error"]["message"]
            assert await request(ws, {"op": "ping", "ref": "3"}) == {"op": "pong", "ref": "3"}
            await asyncio.to_thread(cluster.start)
            joined = await request(ws, {"op": "join", "topic": topic, "ref": "4"})
            assert joined["ok"], joined

    asyncio.run(scenario())


# 3. One of two Daphne processes killed


def test_killed_daphne_process_clients_reconnect_to_the_other_and_replay(daphne_servers):
    a, b = daphne_servers(2)
    user = UserFactory()
    key = token_for(user)
    topic = f"user:{user.pk}"
    total = 150
    published: list[int] = []

    def writer():
        try:
            for n in range(total):
                with transaction.atomic():
                    published.append(publish(topic, "notification.created", {"n": n}))
                time.sleep(0.01)  # a steady stream, not a burst: the kill lands mid-stream
        finally:
            connections.close_all()

    async def scenario():
        on_a = [Follower([a.ws_url, b.ws_url], key, topic).start() for _ in range(2)]
        on_b = [Follower([b.ws_url, a.ws_url], key, topic).start() for _ in range(2)]
        followers = on_a + on_b
        try:
            for follower in followers:
                await follower.wait_joined()
            thread = threading.Thread(target=writer)
            thread.start()
            for follower in on_a:
                await follower.wait_for(total // 4, timeout=15)
            a.kill()
            assert len(published) < total, "the writer finished before the kill"
            for follower in followers:
                await follower.wait_for(total, timeout=20)
            await asyncio.to_thread(thread.join, 30)
            await asyncio.sleep(0.5)
            return on_a, on_b
        finally:
            for follower in followers:
                await follower.stop()

    on_a, on_b = asyncio.run(scenario())
    assert published == list(range(1, total + 1))
    assert_every_id_once_in_order(on_a + on_b, total)
    for follower in on_a:
        assert (follower.url, follower.joins) == (b.ws_url, 2)
    for follower in on_b:
        assert (follower.url, follower.joins) == (b.ws_url, 1)

"""Several real Daphne processes sharing PostgreSQL and Redis."""

import asyncio
import json
import random
import threading
import time
from urllib.request import Request, urlopen

import pytest
import websockets
from django.db import close_old_connections, transaction
from rest_framework.authtoken.models import Token

from lms.realtime.events import publish
from tests.e2e.servers import LiveSocket
from tests.factories import StaffFactory, UserFactory
from tests.realtime import probe  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PROBE_APP = "tests.e2e.probe_asgi:application"


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def http_post(url: str, body: dict) -> dict:
    request = Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_event_caused_through_one_process_reaches_a_socket_on_another(daphne_servers):
    a, b = daphne_servers(2, app=PROBE_APP)
    user = UserFactory()
    key = token_for(user)

    async def scenario():
        client = await LiveSocket.open(b, key)
        try:
            assert (await client.request(op="join", topic=f"probe:{user.pk}"))["ok"]
            await asyncio.to_thread(http_post, f"{a.url}/probe/publish/{user.pk}/", {"via": "A"})
            event = await client.until(lambda f: f.get("op") == "event")
            assert (event["id"], event["data"]) == (1, {"via": "A"})
        finally:
            await client.ws.close()

    asyncio.run(scenario())


def test_refused_handshakes_get_http_403(daphne_servers):
    (server,) = daphne_servers(1)
    key = token_for(UserFactory())

    async def refused_status(**options) -> int:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(server.ws_url, **options)
        return refused.value.response.status_code

    async def scenario():
        assert await refused_status() == 403
        assert await refused_status(additional_headers={"Authorization": "Token wrong"}) == 403
        assert (
            await refused_status(
                additional_headers={"Authorization": f"Token {key}"},
                origin="https://elsewhere.example",
            )
            == 403
        )
        own_origin = await websockets.connect(
            server.ws_url,
            additional_headers={"Authorization": f"Token {key}"},
            origin=server.url,
        )
        await own_origin.close()

    asyncio.run(scenario())


def test_presence_is_shared_and_cleared_when_a_client_dies(daphne_servers):
    a, b = daphne_servers(2, app=PROBE_APP)
    owner, staff = UserFactory(first_name="Ann", last_name="A"), StaffFactory()
    owner_key, staff_key = token_for(owner), token_for(staff)
    topic = f"probe:{owner.pk}"

    async def scenario():
        on_a = await LiveSocket.open(a, owner_key)
        on_b = await LiveSocket.open(b, staff_key)
        try:
            await on_a.request(op="join", topic=topic)
            await on_b.request(op="join", topic=topic)
            await on_a.request(op="track", topic=topic, meta={"status": "active"})
            joined = await on_b.until(lambda f: str(owner.pk) in f.get("joins", {}))
            assert joined["joins"][str(owner.pk)]["name"] == "Ann A"
            await on_b.request(op="track", topic=topic, meta={})
            await on_a.until(lambda f: str(staff.pk) in f.get("joins", {}))
            # B's client vanishes without a close frame.
            on_b.ws.transport.abort()
            left = await on_a.until(lambda f: str(staff.pk) in f.get("leaves", {}), timeout=60)
            assert left["op"] == "presence"
        finally:
            await on_a.ws.close()

    asyncio.run(scenario())


def test_presence_of_a_killed_process_expires_within_its_ttl(daphne_servers):
    a, b = daphne_servers(2, app=PROBE_APP, REALTIME_PRESENCE_TTL="4")
    owner, staff = UserFactory(), StaffFactory()
    owner_key, staff_key = token_for(owner), token_for(staff)
    topic = f"probe:{owner.pk}"

    async def scenario():
        on_a = await LiveSocket.open(a, owner_key)
        on_b = await LiveSocket.open(b, staff_key)
        try:
            await on_a.request(op="join", topic=topic)
            await on_b.request(op="join", topic=topic)
            await on_b.request(op="track", topic=topic, meta={})
            await on_a.until(lambda f: str(staff.pk) in f.get("joins", {}))
            b.kill()
            started = time.monotonic()
            try:
                await on_a.until(lambda f: str(staff.pk) in f.get("leaves", {}), timeout=30)
            except TimeoutError:
                raise AssertionError(f"no leave; server A said:\n{a.output()}") from None
            # TTL 4 s plus one maintenance round of 5 s.
            assert time.monotonic() - started < 15
        finally:
            await on_a.ws.close()

    asyncio.run(scenario())


def _writer(topic: str, count: int, published: list[int]) -> None:
    try:
        for n in range(count):
            with transaction.atomic():
                published.append(publish(topic, "probe.happened", {"n": n}))
                # Hold the topic lock a little, so commit callbacks interleave.
                time.sleep(random.uniform(0, 0.004))
    finally:
        close_old_connections()


def test_concurrent_writers_reach_live_and_reconnecting_clients_in_order_once(daphne_servers):
    a, b = daphne_servers(2, app=PROBE_APP)
    user = UserFactory()
    key = token_for(user)
    topic = f"probe:{user.pk}"
    writers, per_writer = 8, 30
    total = writers * per_writer
    published: list[int] = []
    threads = [
        threading.Thread(target=_writer, args=(topic, per_writer, published))
        for _ in range(writers)
    ]

    async def scenario():
        live = await LiveSocket.open(a, key)
        await live.request(op="join", topic=topic)
        reconnecting = await LiveSocket.open(b, key)
        await reconnecting.request(op="join", topic=topic)
        for thread in threads:
            thread.start()
        # The second client reads a quarter, drops its connection mid-stream, comes back.
        seen = await reconnecting.event_ids(total // 4)
        await reconnecting.ws.close()
        reconnecting = await LiveSocket.open(b, key)
        await reconnecting.request(op="join", topic=topic, since=seen[-1])
        seen += await reconnecting.event_ids(total - len(seen))
        live_ids = await live.event_ids(total)
        for thread in threads:
            await asyncio.to_thread(thread.join)
        for client in (live, reconnecting):
            with pytest.raises(TimeoutError):
                await client.until(lambda f: f.get("op") == "event", timeout=0.5)
            await client.ws.close()
        return live_ids, seen

    live_ids, seen = asyncio.run(scenario())
    assert sorted(published) == list(range(1, total + 1))
    assert live_ids == list(range(1, total + 1))
    assert seen == list(range(1, total + 1))


def test_oversized_and_malformed_frames_over_real_daphne_keep_the_socket_open(daphne_servers):
    (server,) = daphne_servers(1)
    key = token_for(UserFactory())

    async def scenario():
        client = await LiveSocket.open(server, key)
        try:
            for frame in ("x" * (70 * 1024), "{not json", json.dumps({"op": "fly"})):
                await client.ws.send(frame)
                error = await client.until(lambda f: f.get("op") == "error")
                assert error["error"]["code"] == "bad_request"
            await client.ws.send(json.dumps({"op": "ping", "ref": "p"}))
            assert await client.until(lambda f: f.get("op") == "pong") == {"op": "pong", "ref": "p"}
        finally:
            await client.ws.close()

    asyncio.run(scenario())

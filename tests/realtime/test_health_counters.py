"""Refused handshakes and consumer errors are counted, and /metrics exports them."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from prometheus_client import REGISTRY

from lms.asgi import application
from lms.realtime.registry import Grant, Topic, register, resolve
from tests.factories import UserFactory
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


def failing_join_data(user, *, owner_id):
    raise RuntimeError("a bug in a topic's join data")


if resolve("healthfail:1") is None:
    register(
        Topic(
            name="healthfail",
            pattern=r"healthfail:(?P<owner_id>\d+)",
            authorize=lambda user, *, owner_id: Grant(role="owner", course_id=owner_id),
            join_data=failing_join_data,
        )
    )


def failed_handshakes(reason: str) -> float:
    return REGISTRY.get_sample_value("lms_ws_failed_handshakes_total", {"reason": reason}) or 0.0


def consumer_errors() -> float:
    return REGISTRY.get_sample_value("lms_ws_consumer_errors_total") or 0.0


async def refused(headers) -> bool:
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _code = await communicator.connect(timeout=5)
    if connected:
        await communicator.disconnect()
    return not connected


async def test_anonymous_handshake_is_counted_as_anonymous():
    before = failed_handshakes("anonymous")
    assert await refused([])
    assert await refused([(b"authorization", b"Token not-a-real-key")])
    assert failed_handshakes("anonymous") == before + 2


async def test_foreign_origin_is_counted_as_origin():
    before = failed_handshakes("origin"), failed_handshakes("anonymous")
    assert await refused([(b"origin", b"https://evil.example")])
    assert (failed_handshakes("origin"), failed_handshakes("anonymous")) == (
        before[0] + 1,
        before[1],
    )


async def test_socket_over_the_users_cap_is_counted_as_too_many_sockets(settings):
    settings.REALTIME_MAX_SOCKETS_PER_USER = 1
    user = await database_sync_to_async(UserFactory)()
    before = failed_handshakes("too_many_sockets")
    async with ws_connect(user), ws_connect(user) as second:
        frame = await second.receive()
        assert frame["error"]["code"] == "rate_limited"
    assert failed_handshakes("too_many_sockets") == before + 1


async def test_error_in_a_join_is_counted_and_the_socket_stays_open():
    user = await database_sync_to_async(UserFactory)()
    before = consumer_errors()
    async with ws_connect(user) as ws:
        reply = await ws.join(f"healthfail:{user.pk}")
        assert (reply["ok"], reply["error"]["code"]) == (False, "unavailable")
        assert consumer_errors() == before + 1
        await ws.send({"op": "ping", "ref": "alive"})
        assert await ws.receive() == {"op": "pong", "ref": "alive"}


async def test_refused_frames_are_not_consumer_errors():
    user = await database_sync_to_async(UserFactory)()
    before = consumer_errors()
    async with ws_connect(user) as ws:
        await ws.send("not json")
        assert (await ws.receive())["error"]["code"] == "bad_request"
        assert (await ws.join("nosuchtopic:1"))["error"]["code"] == "unknown_topic"
    assert consumer_errors() == before


def test_metrics_exports_failed_handshakes_and_consumer_errors(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32"]
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    for reason in ("anonymous", "origin", "too_many_sockets", "error"):
        assert f'lms_ws_failed_handshakes_total{{reason="{reason}"}}' in text
    assert "lms_ws_consumer_errors_total " in text

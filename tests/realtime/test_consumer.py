"""The /ws/ protocol, op by op and error by error, through the real ASGI application."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from lms.realtime.events import publish
from tests.factories import StaffFactory, UserFactory
from tests.realtime import probe  # noqa: F401  (registers the probe topics)
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_user(**kwargs):
    return UserFactory(**kwargs)


@database_sync_to_async
def emit(topic, event="probe.happened", **data):
    return publish(topic, event, data)


@database_sync_to_async
def store_without_sending(topic, **data):
    """Store an event as publish() does, but never send it: a send the channel layer lost."""
    from lms.realtime.events import _next_seq
    from lms.realtime.models import Event

    with transaction.atomic():
        seq = _next_seq(topic)
        Event.objects.create(topic=topic, seq=seq, event="probe.happened", data=data)


async def test_ping_gets_pong_with_ref():
    user = await make_user()
    async with ws_connect(user) as ws:
        await ws.send({"op": "ping", "ref": "5"})
        assert await ws.receive() == {"op": "pong", "ref": "5"}


@pytest.mark.parametrize(
    "frame, message_part",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"op": "dance"}), "Unknown op"),
        (json.dumps({"op": "join"}), "topic is required"),
        (json.dumps({"op": "join", "topic": "probe:1", "since": -4}), "since"),
        (json.dumps({"op": "track", "topic": "probe:1"}), "Join probe:1 first"),
        ("x" * (64 * 1024 + 1), "Frame over"),
    ],
)
async def test_malformed_frame_gets_error_and_socket_stays_usable(frame, message_part):
    user = await make_user()
    async with ws_connect(user) as ws:
        await ws.send(frame)
        error = await ws.receive()
        assert error["op"] == "error"
        assert error["error"]["code"] == "bad_request"
        assert message_part in error["error"]["message"]
        await ws.send({"op": "ping", "ref": "after"})
        assert await ws.receive() == {"op": "pong", "ref": "after"}


async def test_binary_frame_is_refused_without_closing():
    user = await make_user()
    async with ws_connect(user) as ws:
        await ws.communicator.send_to(bytes_data=b"\x00\x01")
        assert (await ws.receive())["error"]["code"] == "bad_request"
        assert (await ws.join(f"probe:{user.pk}"))["ok"] is True


async def test_missing_field_with_ref_gets_failed_reply():
    user = await make_user()
    async with ws_connect(user) as ws:
        reply = await ws.request({"op": "leave"})
        assert reply["ok"] is False
        assert reply["error"]["code"] == "bad_request"


async def test_join_reply_carries_join_data_and_last_id():
    user = await make_user()
    async with ws_connect(user) as ws:
        reply = await ws.join(f"probe:{user.pk}")
        assert reply["ok"] is True
        assert reply["topic"] == f"probe:{user.pk}"
        assert reply["data"] == {"owner": user.pk, "last_id": 0}


async def test_unknown_topic_is_refused():
    user = await make_user()
    async with ws_connect(user) as ws:
        reply = await ws.join("nonsense:1")
        assert reply["ok"] is False
        assert reply["error"]["code"] == "unknown_topic"


async def test_forbidden_join_gets_forbidden_and_no_events():
    owner, intruder = await make_user(), await make_user()
    async with ws_connect(intruder) as ws:
        reply = await ws.join(f"probe:{owner.pk}")
        assert reply["ok"] is False
        assert reply["error"]["code"] == "forbidden"
        await emit(f"probe:{owner.pk}", secret=1)
        await ws.assert_silent()


async def test_event_reaches_joined_socket_with_increasing_ids():
    user = await make_user()
    topic = f"probe:{user.pk}"
    async with ws_connect(user) as ws:
        await ws.join(topic)
        await emit(topic, n=1)
        await emit(topic, n=2)
        first, second = await ws.events(2)
        assert first == {
            "op": "event",
            "topic": topic,
            "event": "probe.happened",
            "id": 1,
            "data": {"n": 1},
        }
        assert second["id"] == 2 and second["data"] == {"n": 2}


async def test_leave_stops_delivery():
    user = await make_user()
    topic = f"probe:{user.pk}"
    async with ws_connect(user) as ws:
        await ws.join(topic)
        assert (await ws.leave(topic))["ok"] is True
        await emit(topic)
        await ws.assert_silent()


async def test_rolled_back_transaction_sends_nothing_and_leaves_no_gap():
    user = await make_user()
    topic = f"probe:{user.pk}"

    @database_sync_to_async
    def publish_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            publish(topic, "probe.happened", {"doomed": True})
            raise RuntimeError("rolled back")

    async with ws_connect(user) as ws:
        await ws.join(topic)
        await publish_then_fail()
        await ws.assert_silent()
        await emit(topic, kept=True)
        event = await ws.next_event()
        assert event["id"] == 1 and event["data"] == {"kept": True}


async def test_join_with_since_replays_missed_events_then_live():
    user = await make_user()
    topic = f"probe:{user.pk}"
    for n in range(1, 6):
        await emit(topic, n=n)
    async with ws_connect(user) as ws:
        reply = await ws.join(topic, since=2)
        assert reply["data"]["last_id"] == 5
        replayed = await ws.events(3)
        assert [e["id"] for e in replayed] == [3, 4, 5]
        assert [e["data"]["n"] for e in replayed] == [3, 4, 5]
        await emit(topic, n=6)
        assert (await ws.next_event())["id"] == 6
        await ws.assert_silent()


async def test_since_newer_than_history_or_pruned_gets_reset():
    user = await make_user()
    topic = f"probe:{user.pk}"
    for n in range(3):
        await emit(topic, n=n)

    @database_sync_to_async
    def prune_first_two():
        from lms.realtime.models import Event

        Event.objects.filter(topic=topic, seq__lte=2).delete()

    await prune_first_two()
    async with ws_connect(user) as ws:
        assert (await ws.join(topic, since=0))["data"]["reset"] is True
        assert (await ws.join(topic, since=99))["data"]["reset"] is True
        reply = await ws.join(topic, since=2)
        assert "reset" not in reply["data"]
        assert (await ws.next_event())["id"] == 3


async def test_gap_is_filled_from_the_database_before_a_later_event():
    """An event whose send was lost or is late is delivered before the next one."""
    user = await make_user()
    topic = f"probe:{user.pk}"

    async with ws_connect(user) as ws:
        await ws.join(topic)
        await store_without_sending(topic, late=1)
        await emit(topic, late=0)
        first, second = await ws.events(2)
        assert (first["id"], first["data"]) == (1, {"late": 1})
        assert second["id"] == 2
        await ws.assert_silent()


async def test_transient_topic_events_have_no_id():
    from lms.realtime.events import broadcast

    user = await make_user()
    topic = f"probe-live:{user.pk}"
    async with ws_connect(user) as ws:
        reply = await ws.join(topic)
        assert "last_id" not in reply["data"]
        await database_sync_to_async(broadcast)(
            topic, {"op": "event", "topic": topic, "event": "board.changed", "data": {"x": 1}}
        )
        event = await ws.next_event()
        assert "id" not in event and event["data"] == {"x": 1}


async def test_more_than_100_topics_is_refused(settings):
    settings.REALTIME_JOIN_RATE = (1000, 10)
    staff = await database_sync_to_async(StaffFactory)()
    async with ws_connect(staff) as ws:
        for owner_id in range(1, 101):
            assert (await ws.join(f"probe:{owner_id}"))["ok"] is True
        reply = await ws.join("probe:101")
        assert reply["error"]["code"] == "too_many_topics"
        assert (await ws.join("probe:100"))["ok"] is True  # rejoining a held topic is fine


async def test_join_rate_limit(settings):
    settings.REALTIME_JOIN_RATE = (3, 60)
    user = await make_user()
    async with ws_connect(user) as ws:
        for _ in range(3):
            assert (await ws.join(f"probe:{user.pk}"))["ok"] is True
        reply = await ws.join(f"probe:{user.pk}")
        assert reply["error"]["code"] == "rate_limited"


async def test_revocation_removes_topic_at_once():
    from lms.realtime.events import revoke

    owner = await make_user()
    staff = await database_sync_to_async(StaffFactory)()
    topic = f"probe:{owner.pk}"
    async with ws_connect(owner) as owner_ws, ws_connect(staff) as staff_ws:
        await owner_ws.join(topic)
        await staff_ws.join(topic)
        await database_sync_to_async(revoke)(topic=topic, roles=["owner"])
        notice = await owner_ws.receive_until(lambda f: f["op"] == "error")
        assert notice["topic"] == topic and notice["error"]["code"] == "forbidden"
        await emit(topic, after=True)
        assert (await staff_ws.next_event())["data"] == {"after": True}
        await owner_ws.assert_silent()


async def test_deactivated_user_is_disconnected():
    user = await make_user()

    @database_sync_to_async
    def deactivate():
        user.is_active = False
        user.save()

    async with ws_connect(user) as ws:
        await ws.join(f"probe:{user.pk}")
        await deactivate()
        output = await ws.communicator.receive_output(timeout=5)
        while output["type"] == "websocket.send":  # the presence state sent after the join
            output = await ws.communicator.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": 4403}


async def test_presence_state_joins_and_leaves_between_two_users():
    owner = await make_user(first_name="Olive", last_name="Owner")
    staff = await database_sync_to_async(StaffFactory)(first_name="Sam", last_name="Staff")
    topic = f"probe:{owner.pk}"
    async with ws_connect(owner) as a:
        await a.join(topic)
        await a.receive_until(lambda f: f["op"] == "presence" and "state" in f)
        await a.request({"op": "track", "topic": topic, "meta": {"status": "active"}})
        state = await a.receive_until(lambda f: f["op"] == "presence" and "state" in f)
        assert state["state"][str(owner.pk)]["name"] == "Olive Owner"
        async with ws_connect(staff) as b:
            await b.join(topic)
            late = await b.receive_until(lambda f: f["op"] == "presence" and "state" in f)
            assert list(late["state"]) == [str(owner.pk)]
            assert late["state"][str(owner.pk)]["metas"] == [{"status": "active"}]
            await b.request({"op": "track", "topic": topic, "meta": {}})
            joins = await a.receive_until(
                lambda f: f["op"] == "presence" and str(staff.pk) in f.get("joins", {})
            )
            assert joins["joins"][str(staff.pk)]["name"] == "Sam Staff"
            await b.send({"op": "typing", "topic": topic})
            typing = await a.receive_until(lambda f: f["op"] == "typing")
            assert typing == {
                "op": "typing",
                "topic": topic,
                "user": {"id": staff.pk, "name": "Sam Staff"},
            }
        leaves = await a.receive_until(
            lambda f: f["op"] == "presence" and str(staff.pk) in f.get("leaves", {})
        )
        assert leaves["joins"] == {}


async def test_untrack_announces_leave():
    owner = await make_user()
    staff = await database_sync_to_async(StaffFactory)()
    topic = f"probe:{owner.pk}"
    async with ws_connect(owner) as a, ws_connect(staff) as b:
        await a.join(topic)
        await b.join(topic)
        await b.request({"op": "track", "topic": topic})
        await a.receive_until(lambda f: str(staff.pk) in f.get("joins", {}))
        assert (await b.request({"op": "untrack", "topic": topic}))["ok"] is True
        await a.receive_until(lambda f: str(staff.pk) in f.get("leaves", {}))


async def test_many_sockets_of_one_user_each_receive_every_event_once():
    user = await make_user()
    topic = f"probe:{user.pk}"
    async with ws_connect(user) as a, ws_connect(user) as b:
        await a.join(topic)
        await b.join(topic)
        await asyncio.gather(*(emit(topic, n=n) for n in range(5)))
        for ws in (a, b):
            assert [e["id"] for e in await ws.events(5)] == [1, 2, 3, 4, 5]
            await ws.assert_silent()


async def test_event_whose_send_was_lost_arrives_from_storage(settings):
    """A send the channel layer dropped (Redis restarting, say) still reaches the socket."""
    settings.REALTIME_PRESENCE_TTL = 1.5  # the hub checks every half second
    user = await make_user()
    topic = f"probe:{user.pk}"

    async with ws_connect(user) as ws:
        await ws.join(topic)
        await store_without_sending(topic, lost=1)
        event = await ws.next_event(timeout=5)
        assert (event["id"], event["data"]) == (1, {"lost": 1})
        await emit(topic, after=1)
        assert (await ws.next_event())["id"] == 2
        await ws.assert_silent()


async def test_hub_forgets_topics_nobody_holds(settings):
    settings.REALTIME_JOIN_RATE = (1000, 10)
    from lms.realtime.hub import get_hub

    staff = await database_sync_to_async(StaffFactory)()
    async with ws_connect(staff) as ws:
        for owner_id in range(1, 31):
            await ws.join(f"probe:{owner_id}")
        hub = get_hub()
        assert len(hub.subscribers) == 30
        for owner_id in range(1, 31):
            await ws.leave(f"probe:{owner_id}")
        assert hub.subscribers == {}
        assert dict(hub._topic_locks) == {}
        assert hub._in_group == set()

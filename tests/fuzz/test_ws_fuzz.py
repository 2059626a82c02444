"""Property-based tests of the websocket at /ws/ (docs/realtime.md).

Generated frames go to the real consumer through the ASGI application: random
JSON, unknown ops, real ops with fields of odd types (ref, since, topic,
presence meta), NaN and the infinities, NUL bytes, integers beyond 64 bits and
JSON nested thousands deep in any field, oversized frames, binary frames. After each
one the server may answer with error, reply, pong, presence, typing or event
frames, all of them JSON a browser can parse, or say nothing; it never closes
the socket, and a ping still gets its pong.

Each kind of frame has its own test and budget, so that every kind is tried
on every run; the last test mixes them all on one socket and then uses it.
"""

from __future__ import annotations

import asyncio
import json
from asyncio import FIRST_COMPLETED
from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discussions.models import DiscussionThread
from lms.catalog.models import User
from notifications.services import notification_create
from tests.discussions.factories import ThreadFactory
from tests.factories import EnrollmentFactory, UserFactory, course_with_lessons
from tests.fuzz import budget
from tests.fuzz.strategies import (
    deeply_nested_json,
    hostile_values,
    huge_strings,
    json_values,
    non_finite,
    nul_text,
    odd_values,
    text,
)
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

OPS = ["join", "leave", "track", "untrack", "typing", "ping"]
# Not `unavailable`: the consumer answers that when an op raises, which with the database
# and Redis up, as here, means the frame hit a bug.
ERROR_CODES = {"bad_request", "unknown_topic", "forbidden", "rate_limited", "too_many_topics"}
ANSWERS = {"error", "reply", "pong", "presence", "typing", "event"}
SYNC_REF = "fuzz-sync"  # refs of the pings that close each step; never generated below
ANSWER_TIMEOUT = 10


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=budget.examples(examples),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@dataclass
class World:
    student: User
    joinable: list[str]  # topics the student may join
    presence: list[str]  # those of them with presence
    refused: list[str]  # forbidden to the student, or unknown


@pytest.fixture
def world(transactional_db) -> World:
    student = UserFactory()
    course = course_with_lessons(modules=1, lessons_per_module=1)
    EnrollmentFactory(user=student, course=course)
    thread = ThreadFactory(course=course, created_by=student)
    closed: DiscussionThread = ThreadFactory(course=course, is_active=False)
    stranger = UserFactory()
    foreign_course = course_with_lessons(modules=1, lessons_per_module=1)
    return World(
        student=student,
        joinable=[
            f"user:{student.pk}",
            f"course:{course.pk}",
            f"thread:{thread.pk}",
            "leaderboard",
            f"leaderboard:course:{course.pk}",
        ],
        presence=[f"thread:{thread.pk}"],
        refused=[
            f"user:{stranger.pk}",
            f"course:{foreign_course.pk}",
            f"thread:{closed.pk}",
            f"leaderboard:course:{foreign_course.pk}",
            "user:0",
            "thread:" + "9" * 190,
            "course:٣",  # a non-ASCII decimal digit
            "user:-1",
            "leaderboard:",
            "presence",
        ],
    )


@pytest.fixture
def generous_join_rate(settings):
    """For tests about robustness, not about the join rate limit."""
    settings.REALTIME_JOIN_RATE = (10_000, 10)


def as_text(frames: st.SearchStrategy) -> st.SearchStrategy[str]:
    return st.builds(
        lambda frame, ascii_only: json.dumps(frame, ensure_ascii=ascii_only),
        frames,
        st.booleans(),
    )


# Frames, by kind ----------------------------------------------------------------------


def random_json() -> st.SearchStrategy[str]:
    return as_text(json_values)


def unknown_ops(world: World) -> st.SearchStrategy[str]:
    return as_text(
        st.fixed_dictionaries(
            {"op": text.filter(lambda op: op not in OPS) | json_values},
            optional={"topic": st.sampled_from(world.joinable), "ref": st.text(max_size=8)},
        )
    )


def ops_with_odd_fields(world: World) -> st.SearchStrategy[str]:
    """Real ops whose topic, ref, since or meta may be of any type or size."""
    return as_text(
        st.fixed_dictionaries(
            {"op": st.sampled_from(OPS)},
            optional={
                "topic": st.sampled_from(world.joinable)
                | st.sampled_from(world.refused)
                | odd_values,
                "ref": st.text(max_size=8) | odd_values,
                "since": st.integers(min_value=-2, max_value=50) | odd_values,
                "meta": st.dictionaries(text, json_values, max_size=6) | huge_strings,
                "data": json_values,
            },
        )
    )


def presence_ops(world: World) -> st.SearchStrategy[str]:
    """track, untrack and typing on a topic with presence, with odd meta."""
    meta = st.dictionaries(text, json_values, max_size=6) | json_values | huge_strings
    return as_text(
        st.fixed_dictionaries(
            {
                "op": st.sampled_from(["track", "untrack", "typing"]),
                "topic": st.sampled_from(world.presence),
            },
            optional={"ref": st.text(max_size=8), "meta": meta},
        )
    )


def oversized() -> st.SearchStrategy[str]:
    return st.builds(
        lambda op, padding: json.dumps(
            {"op": op, "ref": "big", "pad": padding}, ensure_ascii=False
        ),
        st.sampled_from(OPS),
        huge_strings,
    )


def deeply_nested(world: World) -> st.SearchStrategy[str]:
    # Across the depth at which Python's JSON parser gives up (about 1000).
    return st.builds(
        lambda depth, topic: (
            json.dumps({"op": "track", "topic": topic})[:-1]
            + ', "meta": '
            + '{"a": ' * depth
            + "1"
            + "}" * depth
            + "}"
        ),
        st.integers(min_value=1, max_value=3000),
        st.sampled_from(world.joinable),
    )


def hostile_fields(world: World) -> st.SearchStrategy[str]:
    """Real ops with NaN or an infinity, a NUL byte, an integer beyond 64 bits or JSON
    nested up to 5000 deep in one field; or a NUL byte in the topic or the ref."""
    value = hostile_values.map(json.dumps) | deeply_nested_json

    def assemble(op: str, topic: str, field: str, value: str) -> str:
        base = {"op": op, "topic": topic}
        if field != "ref":
            base["ref"] = "h"
        return json.dumps(base)[:-1] + f', "{field}": {value}}}'

    in_a_field = st.builds(
        assemble,
        st.sampled_from(OPS),
        st.sampled_from(world.joinable) | st.sampled_from(world.presence),
        st.sampled_from(["since", "meta", "ref", "data", "topic"]),
        value,
    )
    nul_names = as_text(
        st.fixed_dictionaries(
            {"op": st.sampled_from(OPS)},
            optional={
                "topic": nul_text | st.sampled_from(world.joinable).map(lambda t: t + "\x00"),
                "ref": nul_text | non_finite,
                "meta": st.dictionaries(nul_text, nul_text | non_finite, max_size=3),
            },
        )
    )
    return in_a_field | nul_names


def not_json() -> st.SearchStrategy[str | bytes]:
    garbage = text | st.sampled_from(["", " ", "{", "null", "[]", '{"op":', "\x00", "NaN"])
    binary = st.binary(max_size=64) | st.sampled_from([b"\xff\xfe\xfd", b"\xc3\x28", b"{}"])
    return garbage | binary


def any_frame(world: World) -> st.SearchStrategy[str | bytes]:
    return st.one_of(
        random_json(),
        unknown_ops(world),
        ops_with_odd_fields(world),
        presence_ops(world),
        oversized(),
        deeply_nested(world),
        hostile_fields(world),
        not_json(),
    )


def barrages(
    world: World, frames: st.SearchStrategy, min_size: int = 1, max_size: int = 8
) -> st.SearchStrategy[list]:
    """Frames, after joining some of the topics the student may join (so that leave,
    track, untrack and typing find state to work on)."""
    joins = st.lists(st.sampled_from(world.joinable), unique=True).map(
        lambda topics: [json.dumps({"op": "join", "topic": topic}) for topic in topics]
    )
    return st.builds(
        lambda setup, batch: setup + batch,
        joins,
        st.lists(frames, min_size=min_size, max_size=max_size),
    )


# Checks -------------------------------------------------------------------------------


def _not_json(constant: str):
    raise AssertionError(f"the server sent {constant}, which JSON (and JSON.parse) has not")


def strict_json(text: str):
    """Parse what a browser's JSON.parse would accept: no NaN or Infinity."""
    return json.loads(text, parse_constant=_not_json)


async def send(ws, frame: str | bytes) -> None:
    # Straight to the application: the communicator's send_to refuses empty frames.
    key = "bytes" if isinstance(frame, bytes) else "text"
    await ws.communicator.send_input({"type": "websocket.receive", key: frame})


async def next_output(communicator) -> dict:
    """The application's next message; its exception at once if it crashes meanwhile
    (receive_output would only notice at its timeout)."""
    message = asyncio.ensure_future(communicator.output_queue.get())
    done, _pending = await asyncio.wait(
        {message, communicator.future}, timeout=ANSWER_TIMEOUT, return_when=FIRST_COMPLETED
    )
    if message in done:
        return message.result()
    message.cancel()
    if communicator.future in done:
        communicator.future.result()
        raise AssertionError("the consumer stopped without closing the socket")
    raise TimeoutError(f"no answer within {ANSWER_TIMEOUT}s")


async def answers_until_pong(ws, ref: str) -> list[dict]:
    """Every frame the server sends before the pong of the ping `ref` (sent now)."""
    await ws.communicator.send_to(text_data=json.dumps({"op": "ping", "ref": ref}))
    received = []
    while True:
        message = await next_output(ws.communicator)
        assert message["type"] == "websocket.send", f"the server closed the socket: {message}"
        frame = strict_json(message["text"])
        if frame == {"op": "pong", "ref": ref}:
            return received
        received.append(frame)


def sent_ref(frame: str | bytes):
    try:
        content = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    return content.get("ref") if isinstance(content, dict) else None


def assert_well_formed(answer: dict, frame: str | bytes) -> None:
    assert answer.get("op") in ANSWERS, f"unexpected answer {answer!r} to {frame!r}"
    if answer["op"] == "error":
        assert answer["error"]["code"] in ERROR_CODES, answer
        assert isinstance(answer["error"]["message"], str), answer
    if answer["op"] in ("reply", "pong"):
        assert answer["ref"] == sent_ref(frame), f"{answer!r} answers {frame!r}"
    if answer["op"] == "reply" and not answer["ok"]:
        assert answer["error"]["code"] in ERROR_CODES, answer


async def barrage(ws, batch: list[str | bytes]) -> None:
    for step, frame in enumerate(batch):
        await send(ws, frame)
        for answer in await answers_until_pong(ws, f"{SYNC_REF}-{step}"):
            assert_well_formed(answer, frame)


async def survives(world: World, batch: list[str | bytes]) -> None:
    async with ws_connect(world.student) as ws:
        await barrage(ws, batch)


# Tests --------------------------------------------------------------------------------


@given(data=st.data())
@fuzz_settings(examples=25)
async def test_random_json_values(world, data):
    await survives(world, data.draw(barrages(world, random_json()), label="frames"))


@given(data=st.data())
@fuzz_settings(examples=25)
async def test_unknown_op_names(world, data):
    await survives(world, data.draw(barrages(world, unknown_ops(world)), label="frames"))


@given(data=st.data())
@fuzz_settings(examples=40)
async def test_real_ops_with_fields_of_odd_types(world, data):
    await survives(world, data.draw(barrages(world, ops_with_odd_fields(world)), label="frames"))


@given(data=st.data())
@fuzz_settings(examples=30)
async def test_presence_ops_with_odd_meta(world, data):
    batch = [json.dumps({"op": "join", "topic": topic}) for topic in world.presence]
    batch += data.draw(st.lists(presence_ops(world), min_size=1, max_size=8), label="frames")
    await survives(world, batch)


@given(data=st.data())
@fuzz_settings(examples=15)
async def test_oversized_frames(world, data):
    await survives(world, data.draw(barrages(world, oversized(), max_size=3), label="frames"))


@given(data=st.data())
@fuzz_settings(examples=15)
async def test_deeply_nested_frames(world, data):
    await survives(world, data.draw(barrages(world, deeply_nested(world)), label="frames"))


@given(data=st.data())
@fuzz_settings(examples=30)
async def test_non_finite_numbers_nul_bytes_and_deep_nesting_in_fields(world, data):
    await survives(world, data.draw(barrages(world, hostile_fields(world)), label="frames"))


@given(data=st.data())
@fuzz_settings(examples=25)
async def test_frames_that_are_not_json_text(world, data):
    await survives(world, data.draw(barrages(world, not_json()), label="frames"))


@database_sync_to_async
def notify(user: User) -> int:
    return notification_create(user=user, title="After the storm", message="Still here.").pk


@given(data=st.data())
@fuzz_settings(examples=4)
async def test_socket_still_joins_a_topic_and_receives_its_events_after_a_barrage(
    world, data, generous_join_rate
):
    batch = data.draw(barrages(world, any_frame(world), 40, 60), label="frames")
    topic = f"user:{world.student.pk}"
    async with ws_connect(world.student) as ws:
        await barrage(ws, batch)
        await ws.leave(topic)
        reply = await ws.join(topic)
        assert reply["ok"] is True, reply
        notification_id = await notify(world.student)
        event = await ws.next_event(topic, "notification.created")
        assert event["data"]["id"] == notification_id
        await ws.send({"op": "ping", "ref": "still-there"})
        pong = await ws.receive_until(lambda frame: frame.get("op") == "pong")
        assert pong == {"op": "pong", "ref": "still-there"}


# Defects the fuzzing found in the consumer, fixed; kept as regression tests.


async def test_json_nested_deeper_than_the_parser_allows_gets_an_error(world):
    async with ws_connect(world.student) as ws:
        await send(ws, "[" * 5000 + "]" * 5000)
        answers = await answers_until_pong(ws, SYNC_REF)
        assert answers[0]["error"]["code"] == "bad_request"


@pytest.mark.parametrize("op", [[], {}, ["join"]])
async def test_op_of_a_type_that_cannot_be_hashed_gets_an_error(world, op):
    async with ws_connect(world.student) as ws:
        await send(ws, json.dumps({"op": op, "ref": "1"}))
        answers = await answers_until_pong(ws, SYNC_REF)
        assert answers[0]["error"]["code"] == "bad_request"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_presence_meta_with_nan_is_refused(world, constant):
    topic = world.presence[0]
    async with ws_connect(world.student) as ws:
        assert (await ws.join(topic))["ok"] is True
        await send(ws, f'{{"op":"track","topic":"{topic}","ref":"t","meta":{{"x":{constant}}}}}')
        answers = await answers_until_pong(ws, SYNC_REF)
        # The presence state sent after the join may come first.
        reply = next(frame for frame in answers if frame.get("ref") == "t")
        assert reply["ok"] is False
        assert reply["error"]["code"] == "bad_request"

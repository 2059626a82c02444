"""Property-based tests of the polling fallback, POST /api/realtime/poll/ (docs/realtime.md).

It is not in the OpenAPI schema, so its contract is checked here: generated
bodies (random JSON, topic maps with odd topics and odd last-seen ids, odd
waits, bytes that are not JSON, NaN and the infinities, NUL bytes, JSON nested
thousands deep) get JSON back, a 200 of the documented shape or a 4xx with a
`detail`, never a server error; a body carrying NaN or an infinity anywhere is
a 400. Bodies that are valid ask not to be held (`wait` 0), so no example waits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fuzz import budget
from tests.fuzz.strategies import (
    deeply_nested_json,
    hostile_values,
    json_values,
    non_finite,
    nul_text,
    odd_values,
    text,
)

URL = "/api/realtime/poll/"


# Any wait but a valid non-zero one, which would hold the request: NaN, the infinities
# and integers beyond any float are refused, not waited on.
waits = (
    st.just(0)
    | st.just(0.0)
    | non_finite
    | st.integers(min_value=2**1024, max_value=10**400)
    | json_values.filter(
        lambda value: isinstance(value, bool) or not isinstance(value, int | float) or value < 0
    )
)
last_seen = st.none() | st.integers(min_value=0, max_value=50)


def topic_maps(poll: Poll) -> st.SearchStrategy[bytes]:
    """Maps of topics the student may read, may not read, or that do not exist, to last
    seen ids of any type."""
    topic = st.sampled_from(poll.readable) | st.sampled_from(poll.refused) | text
    readable = st.dictionaries(st.sampled_from(poll.readable), last_seen, min_size=1)
    anything = st.dictionaries(topic, last_seen | odd_values, max_size=6)
    return st.builds(
        lambda topics, wait: json.dumps({"topics": topics, "wait": wait}).encode(),
        readable | anything,
        waits,
    )


def any_body() -> st.SearchStrategy[bytes]:
    shapes = st.fixed_dictionaries(
        {}, optional={"topics": json_values, "wait": waits, "extra": json_values}
    ).filter(lambda body: not isinstance(body.get("topics"), dict) or "wait" in body)
    as_json = st.builds(lambda body: json.dumps(body).encode(), shapes | json_values)
    not_json = st.binary(max_size=64) | st.sampled_from([b"", b"{", b"NaN", b"[]"])
    return as_json | not_json


def hostile_bodies(poll: Poll) -> st.SearchStrategy[tuple[bytes, bool]]:
    """A body that would be valid but for one hostile part: NaN or an infinity, a NUL
    byte, an integer beyond 64 bits or JSON nested up to 5000 deep, as a last seen id,
    as the wait, in an extra member, or a NUL in a topic name. With whether the body
    carries a non-finite literal (which must be refused wherever it is)."""
    hostile = hostile_values.map(json.dumps) | deeply_nested_json

    def assemble(topics: dict, place: str, value: str, name: str) -> tuple[bytes, bool]:
        members = [f"{json.dumps(topic)}: {json.dumps(since)}" for topic, since in topics.items()]
        wait = "0"
        extra = ""
        if place == "since":
            members[0] = f"{members[0].rsplit(':', 1)[0]}: {value}"
        elif place == "wait":
            wait = value
        elif place == "extra":
            extra = f', "extra": {value}'
        else:
            members.append(f"{json.dumps(name)}: null")
        body = f'{{"topics": {{{", ".join(members)}}}, "wait": {wait}{extra}}}'
        carries_constant = place != "topic" and value.lstrip("-") in ("NaN", "Infinity")
        return body.encode(), carries_constant

    return st.builds(
        assemble,
        st.dictionaries(st.sampled_from(poll.readable), last_seen, min_size=1),
        st.sampled_from(["since", "wait", "extra", "topic"]),
        hostile,
        nul_text,
    )


@dataclass
class Poll:
    token: str
    readable: list[str]
    refused: list[str]


@pytest.fixture
def poll(seeded_committed) -> Poll:
    seeded = seeded_committed
    return Poll(
        token=seeded.token,
        readable=[
            f"user:{seeded.student.pk}",
            f"course:{seeded.course.pk}",
            f"thread:{seeded.ids['thread']}",
            "leaderboard",
        ],
        refused=[f"user:{seeded.classmate.pk}", "user:" + "9" * 150, "nothing:1"],
    )


def assert_answers_json(client, poll: Poll, body: bytes) -> int:
    response = client.post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {poll.token}"
    )
    event(f"status {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code in (200, 400, 403), (response.status_code, body)
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    if response.status_code == 200:
        assert set(answer) == {"events", "last_ids", "reset"}, answer
        assert all(event["op"] == "event" for event in answer["events"])
    else:
        assert isinstance(answer["detail"], str), answer
    return response.status_code


FUZZ_SETTINGS = settings(
    max_examples=budget.examples(40),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@given(data=st.data())
@FUZZ_SETTINGS
def test_topic_maps_of_any_kind(poll, client, data):
    assert_answers_json(client, poll, data.draw(topic_maps(poll), label="body"))


@given(body=any_body())
@FUZZ_SETTINGS
def test_bodies_of_any_shape(poll, client, body):
    assert_answers_json(client, poll, body)


@given(data=st.data())
@FUZZ_SETTINGS
def test_non_finite_numbers_nul_bytes_and_deep_nesting(poll, client, data):
    body, carries_constant = data.draw(hostile_bodies(poll), label="body")
    status = assert_answers_json(client, poll, body)
    if carries_constant:
        assert status == 400, body[:200]

"""Property-based tests of the polling fallback, POST /api/realtime/poll/ (SPEC section 6).

It is not in the OpenAPI schema, so its contract is checked here: generated
bodies (random JSON, topic maps with odd topics and odd last-seen ids, odd
waits, bytes that are not JSON) get JSON back, a 200 of the documented shape
or a 4xx with a `detail`, never a server error. Bodies that are valid ask not
to be held (`wait` 0), so no example waits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fuzz import budget
from tests.fuzz.strategies import json_values, odd_values, text

URL = "/api/realtime/poll/"


# Any wait but a valid non-zero one, which would hold the request.
waits = (
    st.just(0)
    | st.just(0.0)
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


def assert_answers_json(client, poll: Poll, body: bytes) -> None:
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

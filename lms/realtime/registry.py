"""The topic registry: apps declare their topics here from their own events.py.

The websocket consumer and the polling view know no app: they resolve a topic
name through this registry and call its `authorize` function, which is the one
place where the rule "who may receive this topic" lives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A canonical id in a topic name: ASCII digits, no leading zero (`user:42`, never `user:042`).
ID = r"[1-9][0-9]*"


class Role(StrEnum):
    """Why a user holds a topic; revocations name these."""

    OWNER = "owner"
    STUDENT = "student"
    INSTRUCTOR = "instructor"
    STAFF = "staff"
    MEMBER = "member"


@dataclass(frozen=True)
class Grant:
    """Why a user may hold a topic; revocations match on it (see realtime.revoke)."""

    role: str  # a Role
    course_id: int | None = None


@dataclass(frozen=True)
class Topic:
    """A family of topics, such as `thread:{id}`.

    `pattern` is a regular expression whose named groups are passed, as ints
    when they are digits, to `authorize(user, **params)` and
    `join_data(user, **params)`. Both run in a worker thread and may query the
    database. `authorize` returns a Grant, or None to refuse.
    """

    name: str
    pattern: str
    authorize: Callable[..., Grant | None]
    join_data: Callable[..., dict[str, Any]] | None = None
    persistent: bool = True  # ordered ids, stored for replay
    presence: bool = False  # track/untrack/typing allowed
    # More than the pattern can say of a canonical name (`conversation:3-9`, lower id first):
    # called with the parameters; a name it refuses is unknown.
    canonical: Callable[..., bool] | None = None
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # ASCII only, and fullmatch: no Unicode digits, no trailing newline.
        object.__setattr__(self, "regex", re.compile(self.pattern, re.ASCII))


_topics: list[Topic] = []


def register(topic: Topic) -> Topic:
    _topics.append(topic)
    return topic


def resolve(name: str) -> tuple[Topic, dict[str, Any]] | None:
    """The Topic a name belongs to and its parameters, or None for an unknown name."""
    if not isinstance(name, str) or len(name) > 200:
        return None
    for topic in _topics:
        match = topic.regex.fullmatch(name)
        if match:
            params = {k: int(v) if v.isdigit() else v for k, v in match.groupdict().items()}
            if topic.canonical is not None and not topic.canonical(**params):
                return None
            return topic, params
    return None


def authorize(user, name: str) -> tuple[Topic, dict[str, Any], Grant | None] | None:
    """Resolve and authorize in one call: None for an unknown topic."""
    resolved = resolve(name)
    if resolved is None:
        return None
    topic, params = resolved
    if user is None or not user.is_authenticated or not user.is_active:
        return topic, params, None
    return topic, params, topic.authorize(user, **params)

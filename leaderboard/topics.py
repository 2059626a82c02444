"""The leaderboard topics: `leaderboard` (global) and `leaderboard:course:{id}`.

Both are transient (persistent=False): a board has no history worth replaying,
so the join reply carries the current board and `leaderboard.updated` frames
carry the top entries (leaderboard/broadcasts.py). `board_topic` names them.
"""

from __future__ import annotations

from leaderboard.selectors import leaderboard_board
from lms.catalog.permissions import course_access
from lms.realtime.registry import ID, Grant, Role, Topic, register

GLOBAL_TOPIC = "leaderboard"


def board_topic(course_id: int | None) -> str:
    """The global board's topic, or a course's board's."""
    return GLOBAL_TOPIC if course_id is None else f"leaderboard:course:{course_id}"


def board_course_id(topic: str) -> int | None:
    return None if topic == GLOBAL_TOPIC else int(topic.rsplit(":", 1)[1])


def leaderboard_authorize(user) -> Grant | None:
    """Any signed-in, active user may watch the global board."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Grant(role=Role.MEMBER)


def leaderboard_course_authorize(user, *, course_id: int) -> Grant | None:
    """A course's board: whoever may follow the course (enrolled, its instructor, staff).

    The same rule as `course:{id}`, so an unenrollment revoking the course's
    topics (course_id grant) drops this board too. Used by the page, the API and
    the websocket.
    """
    return course_access(user=user, course_id=course_id)


def leaderboard_join_data(user) -> dict:
    return {"course": None, **leaderboard_board(user=user)}


def leaderboard_course_join_data(user, *, course_id: int) -> dict:
    return {"course": course_id, **leaderboard_board(user=user, course=course_id)}


register(
    Topic(
        name="leaderboard",
        pattern=GLOBAL_TOPIC,
        authorize=leaderboard_authorize,
        join_data=leaderboard_join_data,
        persistent=False,
    )
)
register(
    Topic(
        name="leaderboard:course",
        pattern=rf"leaderboard:course:(?P<course_id>{ID})",
        authorize=leaderboard_course_authorize,
        join_data=leaderboard_course_join_data,
        persistent=False,
    )
)

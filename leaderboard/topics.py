"""The leaderboard topics: `leaderboard` (global) and `leaderboard:course:{id}`.

Both are transient (persistent=False): a board has no history worth replaying,
so the join reply carries the current board and `leaderboard.updated` frames
carry the top entries (leaderboard/broadcasts.py).
"""

from __future__ import annotations

from leaderboard.services import leaderboard_viewer_board
from lms.realtime.registry import ID, Grant, Role, Topic, register
from progress.topics import course_authorize


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
    return course_authorize(user, course_id=course_id)


def leaderboard_join_data(user) -> dict:
    return {"course": None, **leaderboard_viewer_board(user=user)}


def leaderboard_course_join_data(user, *, course_id: int) -> dict:
    return {"course": course_id, **leaderboard_viewer_board(user=user, course_id=course_id)}


register(
    Topic(
        name="leaderboard",
        pattern=r"leaderboard",
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

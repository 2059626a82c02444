"""The `course:{id}` topic: live changes to a course's content, for the people who follow it."""

from __future__ import annotations

from lms.realtime.registry import ID, Grant, Topic, register
from progress.selectors import course_access, enrollment_progress


def course_authorize(user, *, course_id: int) -> Grant | None:
    """Enrolled students, the course's instructor and staff; the one rule for a course."""
    return course_access(user=user, course_id=course_id)


def course_join_data(user, *, course_id: int) -> dict:
    return {"progress": enrollment_progress(user=user, course_id=course_id)}


register(
    Topic(
        name="course",
        pattern=rf"course:(?P<course_id>{ID})",
        authorize=course_authorize,
        join_data=course_join_data,
        persistent=True,
    )
)

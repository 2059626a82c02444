"""The `course:{id}` topic: live changes to a course (content, threads, announcements, the
student's progress in it) for the people who take part in it."""

from __future__ import annotations

from lms.catalog.permissions import course_access
from lms.catalog.selectors import enrollment_progress
from lms.realtime.registry import ID, Grant, Topic, register


def course_topic(course_id: int) -> str:
    return f"course:{course_id}"


def course_authorize(user, *, course_id: int) -> Grant | None:
    return course_access(user=user, course_id=course_id)


def course_join_data(user, *, course_id: int) -> dict:
    """The joining user's progress in the course, or None when they are not enrolled."""
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

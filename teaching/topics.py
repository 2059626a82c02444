"""Topics of the teaching app: `roster:{id}`, a course's roster live for its teachers."""

from __future__ import annotations

from lms.catalog.permissions import course_teaching_access
from lms.realtime.registry import ID, Grant, Topic, register


def roster_topic(course_id: int) -> str:
    return f"roster:{course_id}"


def roster_authorize(user, *, course_id: int) -> Grant | None:
    """The course's instructor and staff. The grant names the course, so that giving the
    course to another instructor (a reauthorization of that course) takes it away."""
    return course_teaching_access(user=user, course_id=course_id)


register(
    Topic(
        name="roster",
        pattern=rf"roster:(?P<course_id>{ID})",
        authorize=roster_authorize,
        persistent=True,
    )
)

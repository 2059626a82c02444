"""The realtime side of the teaching app: `roster:{id}`, a course's roster live for its
teachers, and the receivers by which a student's change in a course reaches it.

`roster.updated` carries the student's roster row (teaching.selectors.roster_row, one
query) without their name, username or email. After a completion, whose cascade hands over
the enrollment and its module counts (`settled`), or the day's first activity report in the
course, which hands over the enrollment, it carries the part of the row those give, with
`"partial": true`, and costs no query: the rest is read by whoever shows it
(`GET /api/courses/{id}/roster/{user_id}/`). `roster.removed` carries
the id of a student who left the course. All are published in the writer's transaction
(sent on commit); the cascade's `learning_changed` is sent inside its event batch, so they
cost no statement of their own there. An activity report that only adds time on a day the
student was already active (`time_only`) publishes nothing: the roster shows no time.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lms.catalog.models import Enrollment
from lms.catalog.permissions import course_teaching_access
from lms.realtime.events import publish
from lms.realtime.registry import ID, Grant, Topic, register
from progress.services import learning_changed
from teaching.selectors import roster_row, roster_row_settled


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


# Who the student is stays on the page and in the API: stored events (kept for replay) carry
# no name or address, so nothing of a deleted account lives on in them.
IDENTITY_FIELDS = ("name", "username", "email")


def roster_publish(*, course_id: int, user_id: int) -> None:
    row = roster_row(course_id=course_id, user_id=user_id)
    if row is not None:
        event = {key: value for key, value in row.items() if key not in IDENTITY_FIELDS}
        publish(roster_topic(course_id), "roster.updated", event)


@receiver(learning_changed, dispatch_uid="roster_learning_changed")
def roster_learning_changed(
    sender,
    user_id: int,
    course_id: int | None = None,
    settled: dict | None = None,
    time_only: bool = False,
    **kwargs,
) -> None:
    # The roster shows no time spent: an activity report changes its row only on the first
    # activity of a day in the course (last active, and "not started" no more).
    if course_id is None or time_only:
        return
    if settled is None:
        roster_publish(course_id=course_id, user_id=user_id)
    else:
        publish(roster_topic(course_id), "roster.updated", roster_row_settled(**settled))


@receiver(post_save, sender=Enrollment, dispatch_uid="roster_enrollment_created")
def roster_enrollment_created(
    sender, instance: Enrollment, created: bool, raw: bool = False, **kwargs
) -> None:
    if created and not raw:
        roster_publish(course_id=instance.course_id, user_id=instance.user_id)


@receiver(post_delete, sender=Enrollment, dispatch_uid="roster_enrollment_deleted")
def roster_enrollment_deleted(sender, instance: Enrollment, **kwargs) -> None:
    publish(roster_topic(instance.course_id), "roster.removed", {"user_id": instance.user_id})

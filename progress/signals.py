"""Signals of the progress app, and post-save receivers that turn its rows into events."""

from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver

from lms.realtime.events import revoke
from progress.models import Enrollment

# Sent (inside the writer's transaction) whenever what a student's points are made
# of changes: stats, a certificate, a course completion, time spent.
# Arguments: user_id: int, course_id: int | None. The leaderboard app listens.
learning_changed = Signal()


@receiver(post_delete, sender=Enrollment, dispatch_uid="enrollment_deleted_revoke")
def enrollment_deleted_revoke(sender, instance: Enrollment, **kwargs) -> None:
    """Unenrolled (by a service or in the admin): the course leaves the user's live sockets."""
    revoke(user_ids=[instance.user_id], course_id=instance.course_id)
    learning_changed.send(sender=None, user_id=instance.user_id, course_id=instance.course_id)

"""Receivers that keep the leaderboard tables in step with learning, enrollment and accounts."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from leaderboard import services
from leaderboard.topics import board_topic
from lms.catalog.models import Enrollment
from progress.signals import CERTIFICATE, COURSE_COMPLETED, TIME, learning_changed

# What a student's points are made of (leaderboard/selectors.py): courses completed,
# certificates and time spent.
POINTS_MADE_OF = frozenset({COURSE_COMPLETED, CERTIFICATE, TIME})

# Fields of a user that decide whether they appear on leaderboards, and how they are shown.
ELIGIBILITY_FIELDS = frozenset({"is_active", "role", "is_staff", "deleted_at"})
DISPLAY_FIELDS = frozenset(
    {"leaderboard_anonymous", "first_name", "last_name", "username", "avatar"}
)


@receiver(learning_changed, dispatch_uid="leaderboard_learning_changed")
def learning_changed_refresh(
    sender,
    user_id: int,
    course_id: int | None = None,
    stats_locked: bool = False,
    changed: frozenset[str] | None = None,
    **kwargs,
):
    if changed is not None and not changed & POINTS_MADE_OF:
        return  # a lesson completed in the middle of a course: no board moves
    services.leaderboard_score_refresh(
        user_id=user_id, course_id=course_id, stats_locked=stats_locked
    )


@receiver(post_save, sender=Enrollment, dispatch_uid="leaderboard_enrollment_created")
def enrollment_created_refresh(sender, instance: Enrollment, created: bool, **kwargs):
    if created:
        services.leaderboard_score_refresh(
            user_id=instance.user_id, course_id=instance.course_id, global_board=False
        )


@receiver(post_delete, sender=Enrollment, dispatch_uid="leaderboard_enrollment_deleted")
def enrollment_deleted_drop(sender, instance: Enrollment, **kwargs):
    # Only deletes: in a user's deletion cascade, no row may be written back for them.
    services.leaderboard_unenrolled(user_id=instance.user_id, course_id=instance.course_id)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="leaderboard_user_saved")
def user_saved_sync(sender, instance, created: bool, update_fields=None, **kwargs):
    if update_fields is not None and not (ELIGIBILITY_FIELDS | DISPLAY_FIELDS) & set(update_fields):
        return  # a login: nothing a board shows changed
    services.leaderboard_user_sync(user=instance)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="leaderboard_user_deleted")
def user_deleted(sender, instance, **kwargs):
    services.leaderboard_announce([board_topic(None)])

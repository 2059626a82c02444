"""Receivers that keep the leaderboard tables in step with learning and accounts."""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from leaderboard import services
from leaderboard.broadcasts import board_topic
from progress.models import Enrollment
from progress.signals import learning_changed

# Fields of a user that decide whether they appear on leaderboards.
ELIGIBILITY_FIELDS = frozenset({"is_active", "role", "is_staff"})
# How long a user deletion that never reached post_delete (rolled back) is remembered.
DELETION_MEMORY_SECONDS = 60

_deleting = threading.local()


def _users_being_deleted() -> dict[int, float]:
    if not hasattr(_deleting, "users"):
        _deleting.users = {}
    now = time.monotonic()
    _deleting.users = {
        pk: at for pk, at in _deleting.users.items() if now - at < DELETION_MEMORY_SECONDS
    }
    return _deleting.users


@receiver(learning_changed, dispatch_uid="leaderboard_learning_changed")
def learning_changed_refresh(sender, user_id: int, course_id: int | None = None, **kwargs):
    # A cascade deleting the user unenrolls it first: no row may be written back then.
    if user_id in _users_being_deleted():
        services.leaderboard_announce([board_topic(course_id)] if course_id is not None else [])
        return
    services.leaderboard_score_refresh(user_id=user_id, course_id=course_id)


@receiver(post_save, sender=Enrollment, dispatch_uid="leaderboard_enrollment_created")
def enrollment_created_refresh(sender, instance: Enrollment, created: bool, **kwargs):
    if created:
        services.leaderboard_score_refresh(
            user_id=instance.user_id, course_id=instance.course_id, global_board=False
        )


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="leaderboard_user_saved")
def user_saved_sync(sender, instance, created: bool, update_fields=None, **kwargs):
    if update_fields is not None and not ELIGIBILITY_FIELDS & set(update_fields):
        return  # a login, a renamed user: eligibility did not change
    services.leaderboard_user_sync(user=instance)


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="leaderboard_user_deleting")
def user_deleting(sender, instance, **kwargs):
    _users_being_deleted()[instance.pk] = time.monotonic()


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="leaderboard_user_deleted")
def user_deleted(sender, instance, **kwargs):
    _users_being_deleted().pop(instance.pk, None)
    services.leaderboard_announce([board_topic(None)])

"""Every non-trivial read of the progress app."""

from __future__ import annotations

from lms.models import User
from progress.models import LearningStats


def stats_for(*, user: User) -> LearningStats:
    """The user's stats, unsaved zeros when they have none yet."""
    return LearningStats.objects.filter(user=user).first() or LearningStats(user=user)

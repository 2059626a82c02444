"""The progress app's own signal, for the apps above it (the leaderboard listens)."""

from django.dispatch import Signal

# Sent (inside the writer's transaction) whenever what a student's points are made
# of changes: stats, a certificate, a course completion, time spent.
# Arguments: user_id: int, course_id: int | None, and from the progress services:
# - stats_locked: bool: the sender holds the user's LearningStats row lock already;
# - settled: dict | None: after a completion, the enrollment as the cascade left it and its
#   module counts (`enrollment`, `modules_completed`, `modules_total`, `active_on`); after
#   the day's first activity report in the course, the enrollment and `active_on` only; so
#   that listeners need not read them again;
# - time_only: bool: only time spent changed, on a day the student was already active in
#   the course (an activity report);
# - changed: frozenset of the names below: what the write changed. Absent (another sender),
#   anything may have.
learning_changed = Signal()

COMPLETIONS = "completions"  # lessons completed or their scores, the enrollment's progress
COURSE_COMPLETED = "course_completed"
CERTIFICATE = "certificate"
TIME = "time"  # time spent

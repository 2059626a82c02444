"""The progress app's own signal, for the apps above it (the leaderboard listens)."""

from django.dispatch import Signal

# Sent (inside the writer's transaction) whenever what a student's points are made
# of changes: stats, a certificate, a course completion, time spent.
# Arguments: user_id: int, course_id: int | None, stats_locked: bool (the sender holds
# the user's LearningStats row lock already, as the progress services always do).
learning_changed = Signal()

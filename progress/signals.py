"""Signals of the progress app, and post-save receivers that turn its rows into events."""

from django.dispatch import Signal

# Sent (inside the writer's transaction) whenever what a student's points are made
# of changes: stats, a certificate, a course completion, time spent.
# Arguments: user_id: int, course_id: int | None. The leaderboard app listens.
learning_changed = Signal()

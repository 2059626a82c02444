from django.conf import settings
from django.db import models
from django.db.models import Q

from lms.catalog.models import Course


class LeaderboardScore(models.Model):
    """One active student's standing on one board: global (course NULL) or a course's.

    A denormalized copy of what the points are made of, kept up to date by
    leaderboard.services from the progress tables, so that reading the top of a
    board or one student's rank is an index range scan, never a scan of every user.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="leaderboard_scores",
        db_index=False,  # the (user, course) unique index leads with user
    )
    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="leaderboard_scores",
        db_index=False,  # the course ranking index leads with course
        help_text="Empty for the global board.",
    )
    # Always a whole number of tenths, computed by one SQL expression on every path, so
    # equal points are equal floats; a float keeps the rank count's comparisons cheap.
    points = models.FloatField(default=0)
    courses_completed = models.PositiveIntegerField(default=0)
    certificates_earned = models.PositiveIntegerField(default=0)
    time_spent = models.PositiveIntegerField(default=0, help_text="minutes")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "leaderboard score"
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="leaderboardscore_user_course"),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(course__isnull=True),
                name="leaderboardscore_user_global",
            ),
        ]
        indexes = [
            # Board order is points descending, then user id ascending.
            models.Index(
                fields=["-points", "user"],
                condition=Q(course__isnull=True),
                name="leaderboardscore_global_rank",
            ),
            models.Index(
                fields=["course", "-points", "user"],
                condition=Q(course__isnull=False),
                name="leaderboardscore_course_rank",
            ),
        ]

    def __str__(self) -> str:
        board = f"course {self.course_id}" if self.course_id else "global"
        return f"{self.user} on {board}: {self.points}"

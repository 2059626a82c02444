from django.db import models

from lms.catalog.models import Course


class CourseDay(models.Model):
    """A course's engagement on one past calendar day (in TIME_ZONE), rolled up from the raw
    rows by `manage.py analytics_rollup` so that the analytics read a few dozen rows, not
    every student's activity.

    `active_students` are the students with a `progress.CourseActivity` row that day (time on
    lesson pages or a lesson completed); `messages` are the thread messages posted in the
    course that day and still shown (not deleted, not hidden).
    """

    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        related_name="engagement_days",
        db_index=False,  # the (course, day) unique index leads with course
    )
    day = models.DateField()
    active_students = models.PositiveIntegerField(default=0)
    lessons_completed = models.PositiveIntegerField(default=0)
    seconds = models.PositiveBigIntegerField(default=0, help_text="Active seconds, all students.")
    messages = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "day"], name="courseday_course_day"),
        ]

    def __str__(self) -> str:
        return f"{self.course} on {self.day}"


class CourseSnapshot(models.Model):
    """A course's slow-moving engagement figures as of `computed_at`, written by
    `manage.py analytics_rollup`: enrollment totals, the mean time to complete, the
    completion funnel by module and retention by week after enrolling (the shapes of
    `teaching.analytics`). Read while fresh; older or missing, they are computed live.
    """

    course = models.OneToOneField(
        Course, on_delete=models.CASCADE, primary_key=True, related_name="engagement_snapshot"
    )
    computed_at = models.DateTimeField()
    figures = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.course} as of {self.computed_at}"

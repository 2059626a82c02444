import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from lms.catalog.models import Course, Lesson, Module, Quiz

# Limits of what a client reports; the services, serializers and the lesson page use these.
SCORE_MIN, SCORE_MAX = 0, 100
ACTIVITY_MAX_SECONDS = 300  # one activity report covers at most this much time


class LessonCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lessoncompletion_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | (Q(score__gte=SCORE_MIN) & Q(score__lte=SCORE_MAX)),
                name="lessoncompletion_score_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} completed {self.lesson}"


class ModuleCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_completions"
    )
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "module"], name="modulecompletion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} completed {self.module}"


def new_verification_code() -> str:
    return secrets.token_hex(8).upper()


class Certificate(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    verification_code = models.CharField(max_length=32, unique=True, default=new_verification_code)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="certificate_unique"),
        ]

    def __str__(self) -> str:
        return f"Certificate {self.verification_code}"

    def get_absolute_url(self) -> str:
        return reverse("certificate-verify", args=[self.verification_code])


class LearningStats(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_stats"
    )
    total_time_spent = models.PositiveIntegerField(default=0, help_text="minutes")
    total_seconds_spent = models.PositiveIntegerField(default=0)
    average_score = models.FloatField(null=True, blank=True)
    courses_completed = models.PositiveIntegerField(default=0)
    certificates_earned = models.PositiveIntegerField(default=0)
    last_active_date = models.DateField(null=True, blank=True)
    current_streak = models.PositiveIntegerField(default=0)
    longest_streak = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "learning stats"

    def __str__(self) -> str:
        return f"Stats of {self.user}"


class LessonActivity(models.Model):
    """Active seconds a user spent on a lesson page, accumulated per lesson."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_activity"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="activity")
    seconds = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "lesson activity"
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lessonactivity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.lesson}: {self.seconds}s"


class DailyActivity(models.Model):
    """What a user did on one calendar day (in TIME_ZONE): active seconds, lessons completed.

    Kept by the progress services, under the user's stats lock; read by the "My progress"
    page and `GET /api/me/progress/`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="daily_activity",
        db_index=False,  # the (user, day) unique index leads with user
    )
    day = models.DateField()
    seconds = models.PositiveIntegerField(default=0)
    lessons_completed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily activity"
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="dailyactivity_user_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.day}: {self.seconds}s, {self.lessons_completed} lessons"


class CourseActivity(models.Model):
    """What a student did in one course on one day (in TIME_ZONE): active seconds on its
    lesson pages, lessons completed.

    Kept by the progress services beside DailyActivity, by the same kind of adding upsert;
    read by the course's engagement analytics (active students per day, retention).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_activity"
    )
    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        related_name="activity_days",
        db_index=False,  # both indexes below lead with course
    )
    day = models.DateField()
    seconds = models.PositiveIntegerField(default=0)
    lessons_completed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "course activity"
        constraints = [
            # Also serves "when was this student last active in the course".
            models.UniqueConstraint(
                fields=["course", "user", "day"], name="courseactivity_course_user_day"
            ),
        ]
        # Per-day figures of a course (active students, completions).
        indexes = [models.Index(fields=["course", "day"], name="courseactivity_course_day")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} on {self.day}"


class QuizAttempt(models.Model):
    """One attempt of a student at a lesson's quiz: started, then submitted once.

    `score` (percent of questions answered exactly right) and `passed` are set by the
    one submission; a second submission of the same attempt changes nothing.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField(help_text="1 for the user's first attempt at the quiz.")
    answers = models.JSONField(
        default=dict, blank=True, help_text="Question id to the list of chosen choice ids."
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quiz", "number"], name="quizattempt_user_quiz_number"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | (Q(score__gte=SCORE_MIN) & Q(score__lte=SCORE_MAX)),
                name="quizattempt_score_0_100",
            ),
        ]
        indexes = [models.Index(fields=["quiz", "user"])]

    def __str__(self) -> str:
        return f"{self.user}: attempt {self.number} at {self.quiz}"


class Achievement(models.Model):
    class Kind(models.TextChoices):
        FIRST_LESSON = "first_lesson", "First lesson completed"
        FIRST_COURSE = "first_course", "First course completed"
        FIVE_COURSES = "five_courses", "Five courses completed"
        STREAK_7 = "streak_7", "7-day learning streak"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievements"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    unlocked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-unlocked_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="achievement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"

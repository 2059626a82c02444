import re

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

DELETED_USER_NAME = "deleted user"
ANONYMOUS_LEARNER_NAME = "Anonymous learner"

AVATAR_MAX_LENGTH = 500
# A stored file's path: letters, digits and ._-/ only, so it is safe in any attribute.
_MEDIA_PATH = re.compile(r"[A-Za-z0-9._/-]+")


def validate_avatar(value: str) -> None:
    """An avatar is an http(s) URL, or the path of an uploaded file under MEDIA_URL."""
    media_url = settings.MEDIA_URL
    if media_url.startswith("/") and value.startswith(media_url):
        rest = value[len(media_url) :]
        if rest and _MEDIA_PATH.fullmatch(rest) and ".." not in rest and "//" not in rest:
            return
        raise ValidationError("Enter the path of an uploaded file.", code="invalid")
    URLValidator(schemes=["http", "https"], message="Enter an http(s) URL of an image.")(value)


class User(AbstractUser):
    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        INSTRUCTOR = "instructor", "Instructor"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STUDENT)
    avatar = models.CharField(
        max_length=AVATAR_MAX_LENGTH,
        blank=True,
        validators=[validate_avatar],
        help_text="Image URL (https://...), or the path of an uploaded avatar under MEDIA_URL.",
    )
    leaderboard_anonymous = models.BooleanField(
        default=False,
        help_text='Ranked on leaderboards as "Anonymous learner", without name or avatar.',
    )
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the user deleted their account: the row stays, anonymous, "
        "so that their messages read as from a deleted user.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        indexes = [models.Index(fields=["role", "is_active"])]

    @property
    def display_name(self) -> str:
        if self.deleted_at:
            return DELETED_USER_NAME
        return self.get_full_name() or self.username

    @property
    def is_student(self) -> bool:
        return self.role == self.Role.STUDENT and not self.is_staff


class Course(models.Model):
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_taught"
    )
    is_published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["is_published", "title"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("course-detail", args=[self.pk])


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["course", "order"])]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=255)
    content = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    duration_minutes = models.PositiveIntegerField(default=10)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["module", "order"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lesson-detail", args=[self.pk])


class Enrollment(models.Model):
    """A student's place in a course. `progress` and `completed_at` are kept by the
    progress app's completion cascade."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    progress = models.PositiveSmallIntegerField(default=0)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "progress_enrollment"  # where it was created; moved here with its data
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], name="enrollment_unique_user_course"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="enrollment_progress_0_100",
            ),
        ]
        indexes = [models.Index(fields=["course", "user"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


# Quizzes: course content like lessons, written by the course's instructor. A student's
# attempts and scores belong to the progress app (progress.models.QuizAttempt).

PASS_MARK_DEFAULT = 70
QUESTION_MAX_LENGTH = 2000
CHOICE_MAX_LENGTH = 500


class Quiz(models.Model):
    """A lesson's quiz: multiple-choice questions, each with one or more correct choices.

    A submitted attempt is scored in percent of questions answered exactly right. With
    `pass_required`, only an attempt at or above `pass_mark` completes the lesson;
    otherwise any submitted attempt does.
    """

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    pass_mark = models.PositiveSmallIntegerField(
        default=PASS_MARK_DEFAULT, help_text="Score in percent (0 to 100) needed to pass."
    )
    pass_required = models.BooleanField(
        default=True,
        help_text="Only a passing attempt completes the lesson; "
        "otherwise any submitted attempt does.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0) & Q(pass_mark__lte=100), name="quiz_pass_mark_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Quiz of {self.lesson}"


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(max_length=QUESTION_MAX_LENGTH)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["quiz", "order"])]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=CHOICE_MAX_LENGTH)
    is_correct = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["question", "order"])]

    def __str__(self) -> str:
        return self.text[:80]

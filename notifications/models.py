from django.conf import settings
from django.db import models

from lms.catalog.models import Course

# What users write: limits defined once, imported by services, serializers, forms and templates.
TITLE_MAX = 255
MESSAGE_MAX = 4000


class Kind(models.TextChoices):
    """What a notification is about; each user chooses a Channel per kind."""

    LESSON_COMPLETED = "lesson_completed", "Lesson completed"
    COURSE_COMPLETED = "course_completed", "Course completed"
    CERTIFICATE_ISSUED = "certificate_issued", "Certificate issued"
    ACHIEVEMENT_UNLOCKED = "achievement_unlocked", "Achievement unlocked"
    THREAD_REPLY = "thread_reply", "Reply in a thread I started or posted in"
    MENTION = "mention", "@mention of me"
    DIRECT_MESSAGE = "direct_message", "Direct message while I am offline"
    ANNOUNCEMENT = "announcement", "Course announcement"
    SUBSCRIPTION_REMINDER = "subscription_reminder", "Subscription reminder"
    OTHER = "other", "Other"


class Channel(models.TextChoices):
    SITE = "site", "In the site"
    EMAIL = "email", "In the site and by email at once"
    DIGEST = "digest", "In the site and in a daily email digest"
    OFF = "off", "Off"


# What a user gets for a kind they never chose a channel for.
DEFAULT_CHANNELS = {
    Kind.LESSON_COMPLETED: Channel.SITE,
    Kind.COURSE_COMPLETED: Channel.SITE,
    Kind.CERTIFICATE_ISSUED: Channel.EMAIL,
    Kind.ACHIEVEMENT_UNLOCKED: Channel.SITE,
    Kind.THREAD_REPLY: Channel.DIGEST,
    Kind.MENTION: Channel.EMAIL,
    Kind.DIRECT_MESSAGE: Channel.EMAIL,
    Kind.ANNOUNCEMENT: Channel.EMAIL,
    Kind.SUBSCRIPTION_REMINDER: Channel.EMAIL,
    Kind.OTHER: Channel.SITE,
}


class Notification(models.Model):
    Kind = Kind

    class Type(models.TextChoices):
        INFO = "info", "Info"
        SUCCESS = "success", "Success"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=TITLE_MAX)
    message = models.TextField(blank=True)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.INFO)
    is_read = models.BooleanField(default=False)
    related_entity_type = models.CharField(max_length=50, blank=True)
    related_entity_id = models.PositiveBigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.OTHER)
    url = models.CharField(
        max_length=500, blank=True, help_text="Where the notification leads: a path of this site."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(fields=["user", "is_read"], name="notification_user_unread"),
            # A deleted message or thread takes the notifications about it along.
            models.Index(
                fields=["related_entity_type", "related_entity_id"], name="notification_about"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A user's channel for one kind; absent rows mean DEFAULT_CHANNELS."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notificationpreference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} by {self.channel}"


class Subscription(models.Model):
    """A paid access period; reminders go out before `expires_at`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan = models.CharField(max_length=100, default="Standard")
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expires_at"]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.plan} for {self.user} until {self.expires_at:%Y-%m-%d}"


class SubscriptionReminder(models.Model):
    """One row per reminder sent, so each (subscription, expiry, days-before) goes out once."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="reminders"
    )
    expires_at = models.DateTimeField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "expires_at", "days_before"],
                name="subscriptionreminder_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.days_before}-day reminder for {self.subscription}"


class OutboundEmail(models.Model):
    """One email to send: written in the transaction of what it reports, sent after commit.

    `dedupe_key` is unique, so the same email is never queued twice; a row is claimed by
    one sender only (status `sending`), so it is never sent twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_emails",
    )
    kind = models.CharField(max_length=32)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a sender may take it; empty once sent or given up."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outboundemail_due",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to}"


class DigestRun(models.Model):
    """One digest email per user and period: stored with its outbox row, unique."""

    class Period(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_runs"
    )
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.DAILY)
    period_start = models.DateTimeField()
    covered_until = models.DateTimeField(
        help_text="The digest lists notifications created up to here; the next starts here."
    )
    notification_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period", "period_start"], name="digestrun_once_per_period"
            )
        ]
        indexes = [models.Index(fields=["user", "period", "-covered_until"])]

    def __str__(self) -> str:
        return (
            f"{self.get_period_display()} digest of {self.user} from {self.period_start:%Y-%m-%d}"
        )


class Announcement(models.Model):
    """What a course's instructor or staff told its students: kept, listed on the course
    page, and sent to each student as a notification when posted."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="announcements")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="announcements",
    )
    title = models.CharField(max_length=TITLE_MAX)
    message = models.TextField(max_length=MESSAGE_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["course", "-created_at"], name="announcement_course_recent"),
        ]

    def __str__(self) -> str:
        return self.title

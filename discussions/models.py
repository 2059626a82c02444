from django.conf import settings
from django.db import models

from lms.catalog.models import Course

# The limits of what people write; services, serializers and forms import them.
TITLE_MAX_LENGTH = 255
CONTENT_MAX_LENGTH = 4000
REPORT_REASON_MAX_LENGTH = 1000


class DiscussionThread(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="threads_started"
    )
    is_active = models.BooleanField(default=True)
    is_pinned = models.BooleanField(default=False, help_text="Shown at the top of the list.")
    accepted_message = models.ForeignKey(
        "ThreadMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The message marked as the accepted answer.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_pinned", "-updated_at", "-id"]
        indexes = [models.Index(fields=["course", "is_active", "-updated_at"])]

    def __str__(self) -> str:
        return self.title


class ThreadMessage(models.Model):
    thread = models.ForeignKey(DiscussionThread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_messages"
    )
    content = models.TextField(max_length=CONTENT_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(
        null=True, blank=True, help_text="Hidden by a moderator: shown to nobody, nor replayed."
    )
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "-id"])]

    def __str__(self) -> str:
        return self.content[:50]


class DirectMessage(models.Model):
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_received"
    )
    content = models.TextField(max_length=CONTENT_MAX_LENGTH)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["sender", "recipient", "-id"]),
            models.Index(fields=["recipient", "is_read"]),
        ]

    def __str__(self) -> str:
        return self.content[:50]


class MessageRevision(models.Model):
    """A message's text before an edit: kept for moderators only."""

    thread_message = models.ForeignKey(
        ThreadMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="revisions"
    )
    direct_message = models.ForeignKey(
        DirectMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="revisions"
    )
    content = models.TextField(max_length=CONTENT_MAX_LENGTH)
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["replaced_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(thread_message__isnull=False, direct_message__isnull=True)
                | models.Q(thread_message__isnull=True, direct_message__isnull=False),
                name="messagerevision_one_message",
            )
        ]

    def __str__(self) -> str:
        return f"Revision of {self.thread_message_id or self.direct_message_id}"


class ThreadReadState(models.Model):
    """How far a user has read a thread: the last message id they saw."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_reads"
    )
    thread = models.ForeignKey(DiscussionThread, on_delete=models.CASCADE, related_name="reads")
    last_read_id = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="threadreadstate_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.thread} up to {self.last_read_id}"


class ThreadFollow(models.Model):
    """A user who hears of replies in a thread."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_follows"
    )
    thread = models.ForeignKey(DiscussionThread, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="threadfollow_once")]
        indexes = [models.Index(fields=["thread", "user"])]

    def __str__(self) -> str:
        return f"{self.user} follows {self.thread}"


class Reaction(models.Model):
    """One emoji of one user on one thread message."""

    class Emoji(models.TextChoices):
        THUMBS_UP = "\U0001f44d", "thumbs up"
        HEART = "\u2764\ufe0f", "heart"
        LAUGH = "\U0001f604", "laugh"
        SURPRISED = "\U0001f62e", "surprised"
        THINKING = "\U0001f914", "thinking"
        CELEBRATE = "\U0001f389", "celebrate"

    message = models.ForeignKey(ThreadMessage, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    emoji = models.CharField(max_length=8, choices=Emoji.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="reaction_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.emoji} on {self.message_id}"


class MessageReport(models.Model):
    """A member's report of a thread message, for the course's moderators."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        HIDDEN = "hidden", "Message hidden"
        DISMISSED = "dismissed", "Dismissed"

    message = models.ForeignKey(ThreadMessage, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    reason = models.TextField(max_length=REPORT_REASON_MAX_LENGTH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="messagereport_once")
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Report of {self.message_id} by {self.reporter}"


class CourseMute(models.Model):
    """A student kept out of a course's discussions until `until`: they read, never write."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="mutes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_mutes"
    )
    until = models.DateTimeField()
    reason = models.TextField(blank=True, max_length=REPORT_REASON_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="coursemute_once")]

    def __str__(self) -> str:
        return f"{self.user} muted in {self.course} until {self.until:%Y-%m-%d %H:%M}"


class UserBlock(models.Model):
    """`blocker` takes no direct messages from `blocked` (who is not told)."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="userblock_once"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="userblock_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"

"""Reads of a user's own account: the avatar's small image, and everything kept about them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Avatar
from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from lms.catalog.models import Enrollment, User
from notifications.models import Notification, OutboundEmail, Subscription
from notifications.selectors import notification_channels
from progress.models import (
    Achievement,
    Certificate,
    DailyActivity,
    LearningStats,
    LessonActivity,
    LessonCompletion,
    ModuleCompletion,
)

EXPORT_FORMAT = "realtime-lms-account-export"
EXPORT_VERSION = 1
# Rows are read from the database this many at a time.
EXPORT_CHUNK = 500


def avatar_small_url(*, user: User) -> str:
    """The 64 px image of an uploaded avatar; otherwise the avatar itself (or "")."""
    name = Avatar.objects.filter(user=user).values_list("file_64", flat=True).first()
    return default_storage.url(name) if name else user.avatar


def _rows(queryset: QuerySet, *fields: str, **related: Any) -> Iterator[dict[str, Any]]:
    """`values()` of a query, oldest first, read in chunks: plain dicts, no instances."""
    return queryset.order_by("pk").values(*fields, **related).iterator(chunk_size=EXPORT_CHUNK)


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "avatar": user.avatar,
        "leaderboard_anonymous": user.leaderboard_anonymous,
        "is_staff": user.is_staff,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def _stats(user: User) -> dict[str, Any] | None:
    return (
        LearningStats.objects.filter(user=user)
        .values(
            "total_time_spent",
            "average_score",
            "courses_completed",
            "certificates_earned",
            "last_active_date",
            "current_streak",
        )
        .first()
    )


def account_export(*, user: User) -> dict[str, Any]:
    """Everything the site keeps about `user`, in their own words and numbers.

    The profile (never the password hash), learning records, notifications and
    their settings, and what they wrote (thread messages, direct messages sent,
    threads started). Other people appear only as ids (a message's recipient);
    course and lesson titles name what was learnt.
    """
    achievement_titles = dict(Achievement.Kind.choices)
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now(),
        "profile": _profile(user),
        "enrollments": list(
            _rows(
                Enrollment.objects.filter(user=user),
                "id",
                "course",
                "progress",
                "enrolled_at",
                "completed_at",
                course_title=F("course__title"),
            )
        ),
        "lesson_completions": list(
            _rows(
                LessonCompletion.objects.filter(user=user),
                "lesson",
                "score",
                "completed_at",
                lesson_title=F("lesson__title"),
                course=F("lesson__module__course_id"),
            )
        ),
        "module_completions": list(
            _rows(
                ModuleCompletion.objects.filter(user=user),
                "module",
                "completed_at",
                module_title=F("module__title"),
                course=F("module__course_id"),
            )
        ),
        "certificates": list(
            _rows(
                Certificate.objects.filter(user=user),
                "id",
                "course",
                "verification_code",
                "issued_at",
                course_title=F("course__title"),
            )
        ),
        "stats": _stats(user),
        "lesson_activity": list(
            _rows(LessonActivity.objects.filter(user=user), "lesson", "seconds", "updated_at")
        ),
        "daily_activity": list(
            _rows(
                DailyActivity.objects.filter(user=user),
                "day",
                "seconds",
                "lessons_completed",
            )
        ),
        "achievements": [
            {**row, "title": achievement_titles.get(row["kind"], row["kind"])}
            for row in _rows(Achievement.objects.filter(user=user), "kind", "unlocked_at")
        ],
        "notifications": list(
            _rows(
                Notification.objects.filter(user=user),
                "id",
                "title",
                "message",
                "type",
                "kind",
                "url",
                "is_read",
                "related_entity_type",
                "related_entity_id",
                "created_at",
            )
        ),
        "notification_preferences": notification_channels(user=user),
        "emails": list(
            _rows(
                OutboundEmail.objects.filter(user=user),
                "kind",
                "to",
                "subject",
                "status",
                "created_at",
                "sent_at",
            )
        ),
        "subscriptions": list(
            _rows(
                Subscription.objects.filter(user=user), "plan", "course", "expires_at", "created_at"
            )
        ),
        "threads_started": list(
            _rows(
                DiscussionThread.objects.filter(created_by=user),
                "id",
                "course",
                "title",
                "created_at",
            )
        ),
        "thread_messages": list(
            _rows(
                ThreadMessage.objects.filter(sender=user),
                "id",
                "thread",
                "content",
                "created_at",
                course=F("thread__course_id"),
            )
        ),
        "direct_messages_sent": list(
            _rows(
                DirectMessage.objects.filter(sender=user),
                "id",
                "recipient",
                "content",
                "is_read",
                "created_at",
            )
        ),
    }

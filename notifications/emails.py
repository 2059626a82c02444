"""What the app's emails say: rendered from templates, with a one-click unsubscribe link.

Nothing here writes: services.py queues what these functions build, and
outbox.py sends it. Every email carries a signed unsubscribe link (no expiry:
the signature is the only credential, and what it allows is turning emails
off) in its footer and in the `List-Unsubscribe` headers of RFC 8058.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse

from lms.catalog.models import User
from notifications.models import Kind, Notification

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
# The unsubscribe "kind" of the digest: every kind the user gets in the digest.
DIGEST = "digest"

# The button of a notification's email, per kind (the link is the notification's url).
ACTION_LABELS = {
    Kind.LESSON_COMPLETED: "Continue the course",
    Kind.COURSE_COMPLETED: "Open the course",
    Kind.CERTIFICATE_ISSUED: "View your certificate",
    Kind.ACHIEVEMENT_UNLOCKED: "See your achievements",
    Kind.THREAD_REPLY: "Read the reply",
    Kind.MENTION: "See the message",
    Kind.DIRECT_MESSAGE: "Read and reply",
    Kind.ANNOUNCEMENT: "Open the course",
    Kind.SUBSCRIPTION_REMINDER: "Open the course",
}
DEFAULT_ACTION_LABEL = "Open in the site"

# Stands for the recipient's token while one rendering serves many recipients.
_TOKEN_PLACEHOLDER = "UNSUBSCRIBE-TOKEN-PLACEHOLDER"


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text_body: str
    html_body: str
    headers: dict[str, str]


def email_recipient(user: User) -> bool:
    """Whether emails go to this user: active, not deleted, with an address."""
    return bool(user.email) and user.is_active and user.deleted_at is None


def site_url(path: str) -> str:
    """An absolute link to a path of the site, for emails (no request to take a host from)."""
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


# Unsubscribe tokens.


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    """A signed token that turns one kind's emails (or the digest) off for one user."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([user_id, kind])


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    """(user id, kind) of a valid token; None when it is tampered with or malformed."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or value[1] not in (*Kind.values, DIGEST)
    ):
        return None
    return value[0], value[1]


def unsubscribe_url(token: str) -> str:
    return site_url(reverse("unsubscribe", args=[token]))


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def _one_line(text: str) -> str:
    """A header value: no line breaks (a title may hold any whitespace)."""
    return " ".join(text.split())[:255]


def _render(template: str, context: dict, *, kind: str = "") -> tuple[str, str]:
    """(text, html) of `notifications/email/<template>`, or of a kind's own version."""
    names = [f"notifications/email/{template}"]
    if kind:
        names.insert(0, f"notifications/email/{kind}_{template}")
    text = render_to_string([f"{name}.txt" for name in names], context).strip() + "\n"
    html = render_to_string([f"{name}.html" for name in names], context)
    return text, html


def _common_context(token: str) -> dict:
    return {
        "site_url": settings.SITE_URL,
        "preferences_url": site_url(reverse("notification-preferences")),
        "unsubscribe_url": unsubscribe_url(token),
    }


# A notification's email.


def _notification_context(notification: Notification, token: str) -> dict:
    return {
        **_common_context(token),
        "notification": notification,
        "kind_label": Kind(notification.kind).label,
        "action_url": site_url(notification.url) if notification.url else "",
        "action_label": ACTION_LABELS.get(notification.kind, DEFAULT_ACTION_LABEL),
        "reason": (
            f"You get this email because your notifications of the kind "
            f'"{Kind(notification.kind).label}" are sent by email.'
        ),
        "stop_label": "Stop these emails",
    }


def notification_emails(
    *, notifications: Iterable[Notification]
) -> Iterator[tuple[Notification, EmailContent]]:
    """The email of each notification, rendered once per distinct content (an announcement
    to thousands is one rendering); only the recipient's unsubscribe token differs."""
    rendered: dict[tuple, tuple[str, str]] = {}
    for notification in notifications:
        content_key = (
            notification.kind,
            notification.title,
            notification.message,
            notification.url,
        )
        if content_key not in rendered:
            rendered[content_key] = _render(
                "notification",
                _notification_context(notification, _TOKEN_PLACEHOLDER),
                kind=notification.kind,
            )
        text, html = rendered[content_key]
        token = unsubscribe_token(user_id=notification.user_id, kind=notification.kind)
        yield (
            notification,
            EmailContent(
                subject=_one_line(notification.title),
                text_body=text.replace(_TOKEN_PLACEHOLDER, token),
                html_body=html.replace(_TOKEN_PLACEHOLDER, token),
                headers=unsubscribe_headers(unsubscribe_url(token)),
            ),
        )


# The digest.


@dataclass(frozen=True)
class DigestItem:
    notification: Notification
    link: str


@dataclass(frozen=True)
class DigestSection:
    kind: str
    label: str
    items: list[DigestItem]


def digest_email(
    *, user: User, notifications: list[Notification], period_label: str
) -> EmailContent:
    """One email listing unread notifications, grouped by kind (in the order of Kind)."""
    by_kind: dict[str, list[DigestItem]] = {}
    for notification in notifications:
        link = site_url(notification.url) if notification.url else ""
        by_kind.setdefault(notification.kind, []).append(DigestItem(notification, link))
    sections = [
        DigestSection(kind=kind, label=label, items=by_kind[kind])
        for kind, label in Kind.choices
        if kind in by_kind
    ]
    token = unsubscribe_token(user_id=user.pk, kind=DIGEST)
    count = len(notifications)
    plural = "s" if count != 1 else ""
    subject = f"Your {period_label.lower()} digest: {count} unread notification{plural}"
    text, html = _render(
        "digest",
        {
            **_common_context(token),
            "user": user,
            "subject": subject,
            "period_label": period_label,
            "sections": sections,
            "count": count,
            "notifications_url": site_url(reverse("notifications")),
            "reason": (
                "You get this digest because some of your notifications are sent in an "
                "email digest instead of one email each."
            ),
            "stop_label": "Stop the digest",
        },
    )
    return EmailContent(
        subject=subject,
        text_body=text,
        html_body=html,
        headers=unsubscribe_headers(unsubscribe_url(token)),
    )

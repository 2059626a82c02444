"""The per-user message rate limit, shared by thread posts and direct messages.

Counted in the Django cache, so every server process shares it when the cache
is Redis. A window opens at a user's first message and lasts a minute; the
limit is settings.MESSAGE_RATE_LIMIT_PER_MINUTE messages per window.
"""

from __future__ import annotations

from django.conf import settings

from lms.platform.ratelimit import rate_check

WINDOW_SECONDS = 60
KEY_PREFIX = "discussions:msgrate"


def message_rate_check(*, user_id: int) -> None:
    """Count one message of `user_id`, or raise RateLimited if the window is full."""
    rate_check(
        key=f"{KEY_PREFIX}:{user_id}",
        limit=settings.MESSAGE_RATE_LIMIT_PER_MINUTE,
        window_seconds=WINDOW_SECONDS,
        scope="messages",
        message=lambda retry_after: (
            f"You are sending messages too fast. Try again in {retry_after} seconds."
        ),
    )

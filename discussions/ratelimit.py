"""The per-user message rate limit, shared by thread posts and direct messages.

Counted in the Django cache, so every server process shares it when the cache
is Redis. A window opens at a user's first message and lasts a minute; the
limit is settings.MESSAGE_RATE_LIMIT_PER_MINUTE messages per window.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from lms.platform import metrics
from lms.platform.exceptions import RateLimited

WINDOW_SECONDS = 60
KEY_PREFIX = "discussions:msgrate"


def _keys(user_id: int) -> tuple[str, str]:
    base = f"{settings.REALTIME_NAMESPACE}:{KEY_PREFIX}:{user_id}"
    return f"{base}:count", f"{base}:start"


def message_rate_check(*, user_id: int) -> None:
    """Count one message of `user_id`, or raise RateLimited if the window is full."""
    limit = settings.MESSAGE_RATE_LIMIT_PER_MINUTE
    count_key, start_key = _keys(user_id)
    now = time.time()
    # add() only creates a missing key, so concurrent processes agree on one window.
    cache.add(start_key, now, timeout=WINDOW_SECONDS)
    cache.add(count_key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the window expired between add() and incr()
        cache.set(start_key, now, timeout=WINDOW_SECONDS)
        cache.set(count_key, 1, timeout=WINDOW_SECONDS)
        count = 1
    if count <= limit:
        return
    started = cache.get(start_key) or now
    metrics.RATE_LIMITED.labels(scope="messages").inc()
    retry_after = max(1, math.ceil(started + WINDOW_SECONDS - now))
    raise RateLimited(
        f"You are sending messages too fast. Try again in {retry_after} seconds.",
        retry_after=retry_after,
    )

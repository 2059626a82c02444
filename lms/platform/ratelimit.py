"""A fixed-window rate limit counted in the Django cache, shared by every server process
when the cache is Redis: the message limit of discussions and the announcement limit of
notifications both count with it."""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from lms.platform import metrics
from lms.platform.exceptions import RateLimited


def window_count(*, key: str, window_seconds: int) -> tuple[int, int]:
    """Count one more action under `key`; returns (actions in the window, seconds until
    the window ends).

    A window opens at the first action and lasts `window_seconds`; add() only creates a
    missing key, so concurrent processes agree on one window. Keys live under the site's
    namespace.
    """
    base = f"{settings.REALTIME_NAMESPACE}:{key}"
    count_key, start_key = f"{base}:count", f"{base}:start"
    now = time.time()
    cache.add(start_key, now, timeout=window_seconds)
    cache.add(count_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the window expired between add() and incr()
        cache.set(start_key, now, timeout=window_seconds)
        cache.set(count_key, 1, timeout=window_seconds)
        count = 1
    started = cache.get(start_key) or now
    return count, max(1, math.ceil(started + window_seconds - now))


def rate_check(*, key: str, limit: int, window_seconds: int, scope: str, message) -> None:
    """Count one action, or raise RateLimited (429 with Retry-After) beyond `limit` in the
    window. `message(retry_after)` words the refusal; `scope` labels the metric."""
    count, retry_after = window_count(key=key, window_seconds=window_seconds)
    if count <= limit:
        return
    metrics.RATE_LIMITED.labels(scope=scope).inc()
    raise RateLimited(message(retry_after), retry_after=retry_after)

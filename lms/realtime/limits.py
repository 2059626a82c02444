"""Rate limits the realtime layer keeps in memory, per server process."""

from __future__ import annotations

import time

from django.conf import settings


class UserJoins:
    """Joins per user over all their sockets on this process, in fixed windows.

    In memory, so a join pays nothing for it. A user's sockets are capped over
    every process (REALTIME_MAX_SOCKETS_PER_USER) and each socket has its own
    join rate, so spreading sockets over processes gains an abuser little.
    """

    def __init__(self) -> None:
        self.window_start = 0.0
        self.counts: dict[int, int] = {}

    def allow(self, user_id: int) -> bool:
        limit, window = settings.REALTIME_USER_JOIN_RATE
        now = time.monotonic()
        if now - self.window_start >= window:
            self.window_start, self.counts = now, {}
        count = self.counts[user_id] = self.counts.get(user_id, 0) + 1
        return count <= limit

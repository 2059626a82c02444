"""The database connection pool, recovering as fast as the database does.

psycopg's pool retries a failed connection with an exponential backoff that
has no ceiling: after a one-minute PostgreSQL outage its next attempt could be
a minute away, and every request would wait for it (and answer 503) although
the database is back. Here the wait between attempts is capped, so the first
requests after a restart succeed (tests/e2e/test_faults.py).
"""

from __future__ import annotations

RECONNECT_DELAY_MAX_SECONDS = 1.0


def cap_pool_reconnect_delay() -> None:
    try:
        from psycopg_pool.base import AttemptWithBackoff
    except ImportError:  # no pool installed: nothing to cap
        return
    if getattr(AttemptWithBackoff.update_delay, "capped", False):
        return
    update_delay = AttemptWithBackoff.update_delay

    def capped_update_delay(self, now: float) -> None:
        update_delay(self, now)
        self.delay = min(self.delay, RECONNECT_DELAY_MAX_SECONDS)

    capped_update_delay.capped = True
    AttemptWithBackoff.update_delay = capped_update_delay

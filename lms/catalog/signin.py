"""Sign-in limits shared by the login pages and the token endpoint (django-axes does the counting).

See docs/security.md: failures are counted per account and per client address
(lms/platform/client_address.py); past the limit every sign-in of that account or from
that address is refused, the right password included, until the cool-off ends.
"""

from django.conf import settings

SIGNIN_LOCKED = (
    "Too many failed sign-in attempts for this account or from this address. "
    "Wait before trying again."
)


def signin_retry_after() -> int:
    """Seconds until a locked-out client may try again.

    Every refused attempt during a lockout restarts the cool-off (django-axes'
    default), so a client that keeps trying waits the whole cool-off from its last try.
    """
    return int(settings.AXES_COOLOFF_TIME.total_seconds())

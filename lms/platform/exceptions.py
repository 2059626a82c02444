"""REST API error handling shared by every app."""

from rest_framework.exceptions import Throttled
from rest_framework.views import exception_handler

from lms.platform import metrics


def api_exception_handler(exc, context):
    """DRF's handler, counting rate-limited requests for /metrics.

    A Throttled raised from a service's own limit (`raise Throttled(...) from exc`)
    was counted by that service already.
    """
    if isinstance(exc, Throttled) and exc.__cause__ is None:
        view = context.get("view")
        scope = getattr(view, "throttle_scope", None) or type(view).__name__
        metrics.RATE_LIMITED.labels(scope=scope).inc()
    return exception_handler(exc, context)

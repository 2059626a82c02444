"""REST API error handling shared by every app."""

from rest_framework.exceptions import Throttled
from rest_framework.views import exception_handler

from lms.realtime import metrics


def api_exception_handler(exc, context):
    """DRF's handler, counting rate-limited requests for /metrics."""
    if isinstance(exc, Throttled):
        view = context.get("view")
        scope = getattr(view, "throttle_scope", None) or type(view).__name__
        metrics.RATE_LIMITED.labels(scope=scope).inc()
    return exception_handler(exc, context)

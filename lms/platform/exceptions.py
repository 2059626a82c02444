"""The REST API's one translation of errors, shared by every app.

Services speak Django: `ValidationError` (bad input), `PermissionDenied` (403),
`Http404`, and `RateLimited` below (a limit said no). Views let them through;
this handler (DRF's EXCEPTION_HANDLER) answers each in one shape:

- ValidationError: 400 with the messages per field (`{"field": [...]}`), or
  `{"detail": [...]}` when they concern no field;
- RateLimited: 429 with `{"detail"}` and `Retry-After`;
- PermissionDenied and Http404: 403 and 404 with `{"detail"}` (DRF's own).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler

from lms.platform import metrics


class RateLimited(Exception):
    """Too many requests: nothing was stored; try again after `retry_after` seconds.

    Raised by a service's own limit, which counts it in /metrics itself.
    """

    def __init__(self, message: str, *, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)


def api_error(exc: Exception) -> Exception:
    """The DRF exception a service's error is answered as (the exception itself otherwise)."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    if isinstance(exc, RateLimited):
        throttled = exceptions.Throttled(wait=exc.retry_after)
        throttled.detail = str(exc)
        return throttled
    return exc


def api_exception_handler(exc, context):
    """DRF's handler, after `api_error`; counts requests refused by DRF's throttles."""
    if isinstance(exc, exceptions.Throttled):
        view = context.get("view")
        scope = getattr(view, "throttle_scope", None) or type(view).__name__
        metrics.RATE_LIMITED.labels(scope=scope).inc()
    return exception_handler(api_error(exc), context)

"""Middleware of the project."""

import logging
import warnings

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.db import utils as db_utils
from django.http import HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from whitenoise.middleware import WhiteNoiseMiddleware

logger = logging.getLogger(__name__)


class StaticFilesMiddleware:
    """WhiteNoise, usable on the async request path.

    WhiteNoise's own middleware is sync-only, which would make Django run every
    async view (the long-polling fallback) inside the one shared sync thread
    and block all other sync work for as long as a poll is held. Here only
    requests for static files touch WhiteNoise; everything else passes through.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        with warnings.catch_warnings():
            # Without collectstatic there is no STATIC_ROOT yet; files come from the finders.
            warnings.filterwarnings("ignore", message="No directory at")
            self.whitenoise = WhiteNoiseMiddleware(get_response)
        self.prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def static_response(self, request):
        """WhiteNoise's response for a static file, or None."""
        whitenoise = self.whitenoise
        if whitenoise.autorefresh:
            static_file = whitenoise.find_file(request.path_info)
        else:
            static_file = whitenoise.files.get(request.path_info)
        return None if static_file is None else whitenoise.serve(static_file, request)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if request.path_info.startswith(self.prefix):
            response = self.static_response(request)
            if response is not None:
                return response
        return self.get_response(request)

    async def __acall__(self, request):
        if request.path_info.startswith(self.prefix):
            response = await sync_to_async(self.static_response, thread_sensitive=False)(request)
            if response is not None:
                return response
        return await self.get_response(request)


DATABASE_UNAVAILABLE = "The database is unavailable; retry shortly."
DATABASE_RETRY_AFTER_SECONDS = 5
# Server answers that mean "going away or not accepting you now": class 08 (connection
# exceptions), administrator/crash shutdown, starting up, too many connections.
UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
# SQLite: busy, locked, I/O error, cannot open the file.
UNAVAILABLE_SQLITE_CODES = {5, 6, 10, 14}
UNAVAILABLE_PAGE = (
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
    "<title>Service unavailable</title></head>\n<body>\n"
    "<h1>Service unavailable</h1>\n<p>" + DATABASE_UNAVAILABLE + "</p>\n</body>\n</html>\n"
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now, rather than a bug or a conflict.

    A deadlock, a serialization failure or a missing table is also an OperationalError;
    those stay server errors.
    """
    if isinstance(exc, db_utils.InterfaceError):
        return True  # the connection is closed or lost
    if not isinstance(exc, db_utils.OperationalError):
        return False
    cause = exc.__cause__
    sqlite_code = getattr(cause, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in UNAVAILABLE_SQLITE_CODES
    if not hasattr(cause, "sqlstate"):
        return False
    # psycopg: no SQL state means the client never got an answer (refused, reset, lost).
    sqlstate = cause.sqlstate
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES


def database_unavailable_response(request) -> HttpResponse:
    """503 with Retry-After: JSON under /api/, a plain page elsewhere."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
    else:
        response = HttpResponse(UNAVAILABLE_PAGE, status=503, content_type="text/html")
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """A database outage answers 503 "retry shortly", never a 500 with a traceback.

    Views, their templates and DRF's authentication all run inside the view, so
    `process_exception` sees the error. Nothing else is kept: the next request
    opens a new connection, so service resumes by itself when the database is back.
    """

    def process_exception(self, request, exception):
        if not database_unavailable(exception):
            return None
        logger.warning("database unavailable for %s: %s", request.path, exception)
        return database_unavailable_response(request)


NUL_REFUSED = "The request contains a NUL character, which no field accepts."
BAD_REQUEST_PAGE = (
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
    "<title>Bad request</title></head>\n<body>\n"
    "<h1>Bad request</h1>\n<p>" + NUL_REFUSED + "</p>\n</body>\n</html>\n"
)
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def contains_nul(request) -> bool:
    """Whether the path, the query string or a form-encoded body carries a NUL byte.

    PostgreSQL text cannot hold one, so a NUL that reaches a query is a 500. In
    URL-encoded text a NUL can only be written `%00` or raw; `%2500` is the text "%00".
    """
    if "\x00" in request.path_info:
        return True
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        return True
    if request.method == "POST" and request.content_type == FORM_CONTENT_TYPE:
        body = request.body
        return b"%00" in body or b"\x00" in body
    return False


def nul_refused_response(request) -> HttpResponse:
    """400: JSON under /api/, a plain page elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": NUL_REFUSED}, status=400)
    return HttpResponse(BAD_REQUEST_PAGE, status=400, content_type="text/html")


class RejectNulMiddleware:
    """A NUL byte in the path, the query string or a posted form answers 400 before any view.

    Sync and async, like StaticFilesMiddleware: the check needs no thread of its own.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if contains_nul(request):
            return nul_refused_response(request)
        return self.get_response(request)

    async def __acall__(self, request):
        if contains_nul(request):
            return nul_refused_response(request)
        return await self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, without a thread hop on the async request path.

    Its two steps only build a header string, so on the async path they run inline
    rather than in the one shared sync thread (which MiddlewareMixin would use and
    every held poll would then wait for).
    """

    async def __acall__(self, request):
        response = self.process_request(request)
        response = response or await self.get_response(request)
        return self.process_response(request, response)

"""HTTP side of the realtime layer: the polling fallback and the metrics endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lms.platform import metrics
from lms.platform.client_address import client_ip_in
from lms.realtime import presence, replay
from lms.realtime.auth import SESSION, TOKEN, Credential, current_user, token_user
from lms.realtime.db import WOKEN_POLLS, in_db_thread
from lms.realtime.events import event_frame
from lms.realtime.hub import get_hub
from lms.realtime.registry import authorize

DEFAULT_WAIT = 25
MAX_POLL_TOPICS = 100
POLL_RETRY_AFTER_SECONDS = 5
# Polls this process holds, per user: a user may not crowd the process out with held polls.
held_polls: dict[int, int] = {}


def metrics_endpoint(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for METRICS_ALLOWED_IPS or a bearer of METRICS_TOKEN; else 403."""
    keyword, _, presented = request.headers.get("Authorization", "").partition(" ")
    by_token = (
        bool(settings.METRICS_TOKEN)
        and keyword.lower() == "bearer"
        and hmac.compare_digest(presented.encode(), settings.METRICS_TOKEN.encode())
    )
    if not by_token and not client_ip_in(request, settings.METRICS_ALLOWED_IPS):
        return HttpResponse("Forbidden.\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def _error(status: int, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


@in_db_thread
def _token_user(key: str):
    user = token_user(key)
    return user if user is not None and user.is_active else None


async def _authenticate(request: HttpRequest) -> tuple[Any, Credential | None, JsonResponse | None]:
    """(user, credential, None) from the token header, or the session with its CSRF check."""
    header = request.headers.get("Authorization", "")
    if header:
        keyword, _, key = header.partition(" ")
        if keyword.lower() != "token" or not key.strip():
            return None, None, _error(401, "Invalid Authorization header.")
        user = await _token_user(key.strip())
        if user is None:
            return None, None, _error(401, "Invalid token.")
        return user, (TOKEN, key.strip()), None
    user = await request.auser()
    if not user.is_authenticated:
        return None, None, _error(401, "Authentication credentials were not provided.")
    rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
    if rejected is not None:
        return None, None, _error(403, "CSRF check failed.")
    return user, (SESSION, request.session.session_key), None


def _parse(body: bytes) -> tuple[dict[str, int | None], float]:
    """The topics and the seconds to wait; ValueError (a 400) for anything else.

    Python's json reads NaN and Infinity, which JSON has not, and gives up on deep
    nesting with RecursionError: both are bad requests, not server errors.
    """

    def refuse_constant(name: str):
        raise ValueError(f"{name} is not JSON.")

    try:
        content = json.loads(body or b"{}", parse_constant=refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ValueError("Body is not valid JSON.") from exc
    if not isinstance(content, dict):
        raise ValueError("Body must be a JSON object.")
    topics = content.get("topics")
    if not isinstance(topics, dict) or not topics:
        raise ValueError('"topics" must be a non-empty object of topic: last seen id.')
    if len(topics) > MAX_POLL_TOPICS:
        raise ValueError(f"At most {MAX_POLL_TOPICS} topics.")
    for topic, since in topics.items():
        # Event ids are 64-bit database integers.
        if since is not None and (
            isinstance(since, bool) or not isinstance(since, int) or not 0 <= since < 2**63
        ):
            raise ValueError(f"The last seen id of {topic} must be a non-negative integer or null.")
    wait = content.get("wait", DEFAULT_WAIT)
    seconds = float("nan")
    if not isinstance(wait, bool) and isinstance(wait, int | float):
        with contextlib.suppress(OverflowError):  # an integer beyond any float
            seconds = float(wait)
    # NaN fails both comparisons; 1e400 reads as infinity.
    if not 0 <= seconds < float("inf"):
        raise ValueError('"wait" must be a finite, non-negative number of seconds.')
    return topics, min(seconds, settings.REALTIME_POLL_MAX_WAIT)


@in_db_thread(lane=WOKEN_POLLS)
def _read_if_allowed(
    user_id: int, credential: Credential, topics: dict[str, int | None], persistent: dict
) -> tuple[dict[str, Any], JsonResponse | None]:
    """A held poll's answer, in one database trip: what it read, unless access has ended."""
    result = _read.func(topics, persistent)
    _persistent, failure = _check_access.func(user_id, credential, topics)
    return result, failure


@in_db_thread
def _check_access(
    user_id: int, credential: Credential, topics: dict[str, int | None]
) -> tuple[dict[str, bool], JsonResponse | None]:
    """{topic: persistent}, or the error for the first topic that is unknown or refused.

    Against the user and credential as they are now: a held poll checks again
    before it answers, so it never returns what its caller may no longer see.
    """
    user = current_user(user_id=user_id, credential=credential)
    if user is None:
        return {}, _error(401, "Your sign-in has ended; sign in again.")
    persistent = {}
    for topic in topics:
        resolved = authorize(user, topic)
        if resolved is None:
            return {}, _error(400, f"No such topic: {topic}.", code="unknown_topic", topic=topic)
        spec, _params, grant = resolved
        if grant is None:
            return {}, _error(403, f"You may not read {topic}.", code="forbidden", topic=topic)
        persistent[topic] = spec.persistent
    return persistent, None


@in_db_thread
def _read(topics: dict[str, int | None], persistent: dict[str, bool]) -> dict[str, Any]:
    events: list[dict] = []
    last_ids: dict[str, int] = {}
    resets: list[str] = []
    for topic, since in topics.items():
        if not persistent[topic]:
            continue
        if since is None:
            last_ids[topic] = replay.last_id(topic)
            continue
        found, current, reset = replay.events_after(topic, since)
        last_ids[topic] = current
        if reset:
            resets.append(topic)
        events.extend(json.loads(event_frame(topic, e.event, e.seq, e.data)) for e in found)
    return {"events": events, "last_ids": last_ids, "reset": resets}


class _Waiter:
    """Wakes a held poll when anything arrives on one of its topics."""

    def __init__(self) -> None:
        self.woken = asyncio.Event()
        self.transient: list[dict] = []

    async def deliver(self, topic: str, seq: int | None, frame: str, ts: float | None) -> int:
        if seq is None:
            transient = json.loads(frame)
            if transient.get("op") == "event":
                self.transient.append(transient)
        self.woken.set()
        return 0


@csrf_exempt
async def poll(request: HttpRequest) -> JsonResponse:
    """POST {"topics": {"user:42": 118}, "wait": 25} → {"events": [...], "last_ids", "reset"}."""
    if request.method != "POST":
        return _error(405, "Use POST.")
    user, credential, failure = await _authenticate(request)
    if failure is not None:
        return failure
    try:
        topics, wait = _parse(request.body)
    except ValueError as exc:
        return _error(400, str(exc))
    persistent, failure = await _check_access(user.pk, credential, topics)
    if failure is not None:
        return failure
    metrics.POLLS.inc()
    await presence.note_polling(user.pk)
    result = await _read(topics, persistent)
    if result["events"] or result["reset"] or wait == 0:
        return JsonResponse(result)
    if held_polls.get(user.pk, 0) >= settings.REALTIME_MAX_POLLS_PER_USER:
        metrics.RATE_LIMITED.labels(scope="poll").inc()
        response = _error(
            429,
            f"At most {settings.REALTIME_MAX_POLLS_PER_USER} polls held at once per user.",
            code="rate_limited",
        )
        response["Retry-After"] = str(POLL_RETRY_AFTER_SECONDS)
        return response
    # A topic without a last seen id starts from now: wait for what comes after.
    topics = {
        topic: result["last_ids"].get(topic) if since is None else since
        for topic, since in topics.items()
    }
    hub = get_hub()
    waiter = _Waiter()
    held_polls[user.pk] = held_polls.get(user.pk, 0) + 1
    metrics.HELD_POLLS.inc()
    try:
        for topic in topics:
            await hub.subscribe(topic, waiter)
        # Read again now that we are subscribed: nothing committed in between is missed.
        result = await _read(topics, persistent)
        if not result["events"] and not result["reset"]:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.woken.wait(), timeout=wait)
            # Read again either way (a send the channel layer lost is still stored), and
            # check access after reading: it may have ended while the poll was held.
            result, failure = await _read_if_allowed(user.pk, credential, topics, persistent)
            if failure is not None:
                return failure
        result["events"].extend(waiter.transient)
        return JsonResponse(result)
    finally:
        metrics.HELD_POLLS.dec()
        held_polls[user.pk] -= 1
        if not held_polls[user.pk]:
            del held_polls[user.pk]
        for topic in topics:
            await hub.unsubscribe(topic, waiter)

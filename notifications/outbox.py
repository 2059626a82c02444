"""Sending the queued emails (OutboundEmail rows), never twice.

Rows are written by services (`email_queue`) in the transaction of what they
report. On commit, `email_hand_off` wakes this process's one email worker
thread (started on first use), so no request waits for the mail server; with
EMAIL_SEND_IN_BACKGROUND off, the committing thread sends them itself.
`manage.py send_queued_email` (cron, every minute) sends what is due too: rows
of processes that stopped before sending, and retries.

Never twice: a sender claims due rows under `SELECT ... FOR UPDATE SKIP LOCKED`
(PostgreSQL; SQLite's immediate transactions serialise the claim) and marks
them `sending` before it talks to the mail server, so one row has one sender.
A row left in `sending` by a process that died mid-send is not sent again
automatically, since it may have gone out: staff requeue it in the admin.
A failed send is retried after EMAIL_RETRY_SECONDS, doubling each time, until
EMAIL_MAX_ATTEMPTS attempts; then it stays `failed`.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import OutboundEmail

logger = logging.getLogger(__name__)

CLAIM_BATCH = 50
ERROR_MAX = 2000

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_next_drain: Future | None = None


def email_hand_off() -> Future | None:
    """Send what is due now that a transaction queued emails (its on-commit callback).

    In the background: returns the worker's future (tests may wait on it).
    """
    if not settings.EMAIL_SEND_IN_BACKGROUND:
        email_send_due()
        return None
    return _wake_worker()


def _wake_worker() -> Future:
    global _executor, _executor_pid, _next_drain
    with _lock:
        if _executor is None or _executor_pid != os.getpid():  # first use, or a forked child
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lms-email")
            _executor_pid = os.getpid()
            _next_drain = None
        if _next_drain is not None and not (_next_drain.running() or _next_drain.done()):
            return _next_drain  # a drain that has not started yet will find these rows too
        _next_drain = _executor.submit(_drain_in_worker)
        return _next_drain


def _drain_in_worker() -> int:
    try:
        return email_send_due()
    except Exception:
        logger.exception("Sending queued email failed; the rows are retried by the next run")
        return 0
    finally:
        connections.close_all()  # this thread's connections (back to the pool, if any)


def email_send_due(*, limit: int | None = None) -> int:
    """Send every due email (new ones and retries) in the calling thread; the number sent.

    Safe to run in any number of threads and processes at once.
    """
    sent = 0
    claimed = 0
    while limit is None or claimed < limit:
        batch = _claim(CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - claimed))
        if not batch:
            break
        claimed += len(batch)
        sent += _send(batch)
    return sent


def _claim(size: int) -> list[OutboundEmail]:
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[OutboundEmail.Status.PENDING, OutboundEmail.Status.FAILED],
                next_attempt_at__lte=now,
                attempts__lt=settings.EMAIL_MAX_ATTEMPTS,
            )
            .order_by("next_attempt_at", "id")[:size]
        )
        if batch:
            OutboundEmail.objects.filter(pk__in=[email.pk for email in batch]).update(
                status=OutboundEmail.Status.SENDING
            )
    return batch


def _message(email: OutboundEmail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers=email.headers or {},
        connection=connection,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    return message


def _send(batch: list[OutboundEmail]) -> int:
    sent = 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        for email in batch:
            _mark_failed(email, exc)
        return 0
    try:
        for email in batch:
            try:
                _message(email, connection).send()
            except Exception as exc:
                _mark_failed(email, exc)
            else:
                _mark_sent(email)
                sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("Closing the mail connection failed", exc_info=True)
    return sent


def _mark_sent(email: OutboundEmail) -> None:
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENT,
        attempts=F("attempts") + 1,
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
    )


def retry_at(*, attempts: int, now: datetime) -> datetime | None:
    """When a row that failed `attempts` times is tried again; None once it gave up."""
    if attempts >= settings.EMAIL_MAX_ATTEMPTS:
        return None
    return now + timedelta(seconds=settings.EMAIL_RETRY_SECONDS * 2 ** (attempts - 1))


def _mark_failed(email: OutboundEmail, exc: Exception) -> None:
    attempts = email.attempts + 1
    logger.warning(
        "Sending email %s to %s failed (attempt %s): %r", email.pk, email.to, attempts, exc
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.FAILED,
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX],
        next_attempt_at=retry_at(attempts=attempts, now=timezone.now()),
    )

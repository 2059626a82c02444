"""Notification emails: who gets one, what it says, and that each is sent once."""

import re
import smtplib
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from notifications import outbox
from notifications.models import Channel, Kind, NotificationPreference, OutboundEmail
from notifications.outbox import email_send_due
from notifications.services import (
    announcement_send,
    email_requeue,
    notification_create,
    notification_create_many,
    subscription_reminders_send,
)
from progress.services import lesson_complete
from tests.factories import EnrollmentFactory, UserFactory
from tests.notifications.factories import SubscriptionFactory
from tests.progress.factories import enrolled_course, lessons_of

pytestmark = pytest.mark.django_db

SITE = "https://lms.example.org"
FAILING_BACKEND = "tests.notifications.test_email.FailingBackend"


class FailingBackend(EmailBackend):
    """The locmem backend, but the first `failures` sends raise like an SMTP server would."""

    failures = 0
    lock = threading.Lock()

    def send_messages(self, messages):
        with FailingBackend.lock:
            if FailingBackend.failures > 0:
                FailingBackend.failures -= 1
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.EMAIL_SEND_IN_BACKGROUND = False


def choose(user, kind, channel):
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"channel": channel}
    )


def unsubscribe_link(text: str) -> str:
    match = re.search(rf"{re.escape(SITE)}/unsubscribe/[^/\s]+/", text)
    assert match, text
    return match.group(0)


def assert_notification_email(message, *, to, title, link):
    assert message.to == [to]
    assert message.subject == title
    assert link in message.body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert f'href="{link}"' in html
    unsubscribe = unsubscribe_link(message.body)
    assert f'href="{unsubscribe}"' in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"{SITE}/account/notifications/" in message.body


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_sent_by_email_is_emailed_with_its_link_and_unsubscribe(
    kind, django_capture_on_commit_callbacks
):
    user = UserFactory(email="ann@example.com")
    choose(user, kind, Channel.EMAIL)

    with django_capture_on_commit_callbacks(execute=True):
        notification_create(
            user=user, kind=kind, title="Something for you", message="Look.", url="/courses/7/"
        )

    assert len(mail.outbox) == 1
    assert_notification_email(
        mail.outbox[0], to="ann@example.com", title="Something for you", link=f"{SITE}/courses/7/"
    )
    assert "Look." in mail.outbox[0].body


@pytest.mark.parametrize("channel", [Channel.SITE, Channel.DIGEST, Channel.OFF])
def test_no_email_for_the_other_channels(channel, django_capture_on_commit_callbacks):
    user = UserFactory()
    choose(user, Kind.ANNOUNCEMENT, channel)

    with django_capture_on_commit_callbacks(execute=True):
        notification_create(user=user, kind=Kind.ANNOUNCEMENT, title="Hi", url="/courses/1/")
        notification_create_many(
            user_ids=[user.pk], kind=Kind.ANNOUNCEMENT, title="Hi all", url="/courses/1/"
        )

    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_the_default_channels_decide_when_nothing_was_chosen(django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notification_create(user=user, kind=Kind.LESSON_COMPLETED, title="Site by default")
        notification_create(user=user, kind=Kind.MENTION, title="Email by default")

    assert [m.subject for m in mail.outbox] == ["Email by default"]


def test_a_certificate_is_emailed_when_the_course_is_completed(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    course = enrolled_course(user, modules=1, lessons_per_module=1)

    with django_capture_on_commit_callbacks(execute=True):
        lesson_complete(user=user, lesson=lessons_of(course)[0])

    certificate = user.certificates.get()
    [message] = mail.outbox
    assert_notification_email(
        message,
        to=user.email,
        title=f"Certificate issued: {course.title}",
        link=f"{SITE}{certificate.get_absolute_url()}",
    )
    assert certificate.verification_code in message.body
    assert "View your certificate" in message.body


def test_an_announcement_emails_the_students_who_chose_email(
    django_capture_on_commit_callbacks,
):
    owner = UserFactory()
    course = enrolled_course(owner, modules=1, lessons_per_module=1)
    by_default, on_site, no_address, inactive, deleted = UserFactory.create_batch(5)
    choose(on_site, Kind.ANNOUNCEMENT, Channel.SITE)
    no_address.email = ""
    no_address.save()
    inactive.is_active = False
    inactive.save()
    deleted.deleted_at = timezone.now()
    deleted.save()
    for student in (by_default, on_site, no_address, inactive, deleted):
        EnrollmentFactory(user=student, course=course)

    with django_capture_on_commit_callbacks(execute=True):
        announcement_send(
            course=course,
            author=course.instructor,
            title="Exam & results",
            message="On <Friday>.",
        )

    assert sorted(m.to[0] for m in mail.outbox) == sorted([by_default.email, owner.email])
    message = next(m for m in mail.outbox if m.to == [by_default.email])
    assert_notification_email(
        message, to=by_default.email, title="Exam & results", link=f"{SITE}/courses/{course.pk}/"
    )
    assert "On <Friday>." in message.body  # plain text is not escaped
    assert "On &lt;Friday&gt;." in message.alternatives[0][0]  # HTML is
    # Each recipient's unsubscribe link is their own.
    links = {unsubscribe_link(m.body) for m in mail.outbox}
    assert len(links) == 2


def test_a_subscription_reminder_is_emailed_once(django_capture_on_commit_callbacks):
    subscription = SubscriptionFactory(expires_at=timezone.now() + timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        subscription_reminders_send()
        subscription_reminders_send()

    [message] = mail.outbox
    assert message.to == [subscription.user.email]
    assert message.subject == "Your Standard subscription expires in 2 days"


def test_users_without_an_address_inactive_or_deleted_get_no_email(
    django_capture_on_commit_callbacks,
):
    no_address = UserFactory(email="")
    inactive = UserFactory(is_active=False)
    deleted = UserFactory(deleted_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        for user in (no_address, inactive, deleted):
            notification_create(user=user, kind=Kind.MENTION, title="You were mentioned")

    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notification_create(user=user, kind=Kind.MENTION, title="Never happened")
        raise RuntimeError("the request failed")
    email_send_due()

    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_no_request_waits_for_the_mail_server_before_commit(django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_create(user=user, kind=Kind.MENTION, title="Queued")

    assert mail.outbox == []
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.PENDING
    for callback in callbacks:
        callback()
    assert [m.subject for m in mail.outbox] == ["Queued"]


def test_an_email_is_never_sent_twice(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(user=user, kind=Kind.MENTION, title="Once")

    assert email_send_due() == 0
    assert email_send_due() == 0
    assert len(mail.outbox) == 1
    email = OutboundEmail.objects.get()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    assert email.dedupe_key.startswith("notification:")


def test_a_failed_send_is_retried_later(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    FailingBackend.failures = 1
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notification_create(user=user, kind=Kind.MENTION, title="Try again")

    email = OutboundEmail.objects.get()
    assert mail.outbox == []
    assert email.status == OutboundEmail.Status.FAILED
    assert email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert email_send_due() == 0  # not due yet

    OutboundEmail.objects.update(next_attempt_at=timezone.now())
    assert email_send_due() == 1

    email.refresh_from_db()
    assert [m.subject for m in mail.outbox] == ["Try again"]
    assert (email.status, email.attempts, email.last_error) == (OutboundEmail.Status.SENT, 2, "")


def test_retries_wait_longer_each_time_and_stop_at_the_maximum(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    settings.EMAIL_MAX_ATTEMPTS = 3
    FailingBackend.failures = 10
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(user=user, kind=Kind.MENTION, title="Doomed")

    waits = []
    for _ in range(5):
        email = OutboundEmail.objects.get()
        if email.next_attempt_at is None:
            break
        waits.append(email.next_attempt_at - timezone.now())
        OutboundEmail.objects.update(next_attempt_at=timezone.now())
        email_send_due()

    email = OutboundEmail.objects.get()
    assert (email.status, email.attempts, email.next_attempt_at) == (
        OutboundEmail.Status.FAILED,
        3,
        None,
    )
    assert len(waits) == 2  # the first attempt, then two retries
    assert timedelta(seconds=50) < waits[0] < timedelta(seconds=61)
    assert timedelta(seconds=110) < waits[1] < timedelta(seconds=121)
    assert mail.outbox == []


def test_staff_requeue_a_failed_or_stuck_email_but_never_a_sent_one(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False):
        for title in ("Sent", "Stuck", "Gave up"):
            notification_create(user=user, kind=Kind.MENTION, title=title)
    OutboundEmail.objects.filter(subject="Sent").update(status=OutboundEmail.Status.SENT)
    OutboundEmail.objects.filter(subject="Stuck").update(status=OutboundEmail.Status.SENDING)
    OutboundEmail.objects.filter(subject="Gave up").update(
        status=OutboundEmail.Status.FAILED, attempts=5, next_attempt_at=None
    )

    assert email_send_due() == 0  # a row left in `sending` is not resent by itself

    with django_capture_on_commit_callbacks(execute=True):
        requeued = email_requeue(email_ids=OutboundEmail.objects.values_list("pk", flat=True))

    assert requeued == 2
    assert sorted(m.subject for m in mail.outbox) == ["Gave up", "Stuck"]


def test_staff_see_the_outbox_and_requeue_from_the_admin(admin_client):
    user = UserFactory()
    notification_create(user=user, kind=Kind.MENTION, title="Stuck")
    email = OutboundEmail.objects.get()
    OutboundEmail.objects.update(status=OutboundEmail.Status.SENDING)

    listing = admin_client.get("/admin/notifications/outboundemail/")
    assert listing.status_code == 200
    assert "Stuck" in listing.content.decode()
    assert (
        admin_client.get(f"/admin/notifications/outboundemail/{email.pk}/change/").status_code
        == 200
    )

    response = admin_client.post(
        "/admin/notifications/outboundemail/",
        {"action": "requeue_emails", "_selected_action": [email.pk]},
    )

    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 0)


def test_the_command_sends_what_is_due(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False):
        notification_create(user=user, kind=Kind.MENTION, title="From cron")

    call_command("send_queued_email")
    call_command("send_queued_email")

    assert [m.subject for m in mail.outbox] == ["From cron"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_send_each_email_once(postgres, monkeypatch):
    monkeypatch.setattr(outbox, "CLAIM_BATCH", 2)  # many small claims, racing each other
    users = UserFactory.create_batch(30)
    notification_create_many(
        user_ids=[u.pk for u in users], kind=Kind.ANNOUNCEMENT, title="Race", url="/"
    )
    # Sent inline on commit (EMAIL_SEND_IN_BACKGROUND is off): queue them again.
    OutboundEmail.objects.update(
        status=OutboundEmail.Status.PENDING,
        attempts=0,
        sent_at=None,
        next_attempt_at=timezone.now(),
    )
    mail.outbox.clear()
    barrier = threading.Barrier(3)
    counts = []

    def sender():
        try:
            barrier.wait(timeout=10)
            counts.append(email_send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(counts) == 30
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT, attempts=1).count() == 30


@pytest.mark.django_db(transaction=True)
def test_in_the_background_the_worker_thread_sends_after_commit(settings):
    settings.EMAIL_SEND_IN_BACKGROUND = True
    user = UserFactory()

    with transaction.atomic():
        notification_create(user=user, kind=Kind.MENTION, title="In the background")
        email = OutboundEmail.objects.get()

    deadline = time.monotonic() + 30
    while email.status != OutboundEmail.Status.SENT and time.monotonic() < deadline:
        threading.Event().wait(0.05)
        email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert [m.subject for m in mail.outbox] == ["In the background"]
    assert threading.current_thread().name != "lms-email"

"""The email digest: one email per user and period with their unread digest notifications."""

import re
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from notifications.models import Channel, DigestRun, Kind, Notification, NotificationPreference
from notifications.outbox import email_send_due
from notifications.services import digests_send, notification_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://lms.example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.EMAIL_SEND_IN_BACKGROUND = False


def notify(user, kind, title, *, url="", hours_ago=1):
    notification = notification_create(user=user, kind=kind, title=title, url=url)
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return notification


def send_digests(**kwargs) -> list:
    """Run the digest and the sender as cron would; the emails sent."""
    before = len(mail.outbox)
    digests_send(**kwargs)
    email_send_due()
    return mail.outbox[before:]


def test_one_email_lists_the_unread_digest_notifications_grouped_by_kind(user):
    NotificationPreference.objects.create(user=user, kind=Kind.LESSON_COMPLETED, channel="digest")
    notify(user, Kind.THREAD_REPLY, "Bob replied in Week one", url="/threads/3/#message-9")
    notify(user, Kind.LESSON_COMPLETED, "Lesson completed: Loops", url="/lessons/4/")
    notify(user, Kind.THREAD_REPLY, "Carol replied in Week one", url="/threads/3/#message-10")
    read = notify(user, Kind.THREAD_REPLY, "Already read")
    Notification.objects.filter(pk=read.pk).update(is_read=True)
    notify(user, Kind.ACHIEVEMENT_UNLOCKED, "Not a digest kind")
    notify(user, Kind.THREAD_REPLY, "Too old for a first digest", hours_ago=30)

    [message] = send_digests()

    assert message.to == [user.email]
    assert message.subject == "Your daily digest: 3 unread notifications"
    body = message.body
    assert body.index("Lesson completed\n") < body.index("Reply in a thread I started or posted in")
    assert body.index("Bob replied") < body.index("Carol replied")
    assert f"{SITE}/threads/3/#message-9" in body
    assert f"{SITE}/lessons/4/" in body
    for absent in ("Already read", "Not a digest kind", "Too old"):
        assert absent not in body
    html = message.alternatives[0][0]
    assert f'href="{SITE}/threads/3/#message-10"' in html
    unsubscribe = re.search(rf"{re.escape(SITE)}/unsubscribe/[^/\s]+/", body).group(0)
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_digest_is_sent_once_per_period(user):
    notify(user, Kind.THREAD_REPLY, "A reply")
    assert len(send_digests()) == 1

    notify(user, Kind.THREAD_REPLY, "Another reply", hours_ago=0)
    assert send_digests() == []
    out = StringIO()
    call_command("send_digests", "--period", "daily", stdout=out)
    assert out.getvalue() == "Queued 0 daily digest(s).\n"
    assert email_send_due() == 0
    assert DigestRun.objects.filter(user=user).count() == 1


def test_the_next_digest_starts_where_the_previous_one_ended(user):
    notify(user, Kind.THREAD_REPLY, "Earlier reply", hours_ago=2)
    [first] = send_digests(now=timezone.now() - timedelta(minutes=30))
    notify(user, Kind.THREAD_REPLY, "Later reply", hours_ago=0)

    [second] = send_digests(now=timezone.now() + timedelta(days=1))  # the next day

    assert "Earlier reply" in first.body
    assert "Later reply" not in first.body
    assert "Later reply" in second.body
    assert "Earlier reply" not in second.body


def test_nothing_unread_means_no_email(user):
    read = notify(user, Kind.THREAD_REPLY, "Read already")
    Notification.objects.filter(pk=read.pk).update(is_read=True)
    notify(UserFactory(), Kind.ACHIEVEMENT_UNLOCKED, "Site only")

    assert send_digests() == []
    assert not DigestRun.objects.exists()


def test_no_digest_for_kinds_moved_off_the_digest_or_users_without_email(user):
    NotificationPreference.objects.create(user=user, kind=Kind.THREAD_REPLY, channel=Channel.SITE)
    notify(user, Kind.THREAD_REPLY, "Not in a digest any more")
    no_address = UserFactory(email="")
    notify(no_address, Kind.THREAD_REPLY, "Nowhere to send")
    deleted = UserFactory(deleted_at=timezone.now())
    notify(deleted, Kind.THREAD_REPLY, "Gone")

    assert send_digests() == []


def test_each_user_gets_their_own_digest():
    alice, bob = UserFactory(), UserFactory()
    notify(alice, Kind.THREAD_REPLY, "For Alice")
    notify(bob, Kind.THREAD_REPLY, "For Bob")

    messages = send_digests()

    assert {m.to[0]: m.subject for m in messages} == {
        alice.email: "Your daily digest: 1 unread notification",
        bob.email: "Your daily digest: 1 unread notification",
    }
    assert "For Bob" not in next(m for m in messages if m.to == [alice.email]).body


def test_a_weekly_digest_is_its_own_period(user):
    notify(user, Kind.THREAD_REPLY, "A reply", hours_ago=3 * 24)

    assert send_digests(period="daily") == []  # older than the first day
    [weekly] = send_digests(period="weekly")

    assert weekly.subject == "Your weekly digest: 1 unread notification"


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_one_digest(postgres):
    users = UserFactory.create_batch(5)
    for user in users:
        notify(user, Kind.THREAD_REPLY, "A reply")
    mail.outbox.clear()
    now = timezone.now()
    barrier = threading.Barrier(3)
    queued = []

    def run():
        try:
            barrier.wait(timeout=10)
            queued.append(digests_send(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    email_send_due()

    assert sum(queued) == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert DigestRun.objects.count() == 5

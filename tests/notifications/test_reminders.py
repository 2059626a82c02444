"""Subscription expiry reminders: each once, the most imminent one when run late."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.models import Notification, SubscriptionReminder
from notifications.services import subscription_reminder_due, subscription_reminders_send
from tests.factories import UserFactory
from tests.notifications.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def at(days: float, hours: float = 0):
    return timedelta(days=days, hours=hours)


@pytest.mark.parametrize(
    ("left", "due"),
    [
        (at(8), None),
        (at(7), 7),
        (at(6, 23), 7),
        (at(3), 3),
        (at(2), 3),
        (at(1), 1),
        (at(0, 5), 1),
        (at(0), None),
        (-at(1), None),
    ],
)
def test_the_most_imminent_reminder_is_due(left, due):
    now = timezone.now()
    assert subscription_reminder_due(expires_at=now + left, now=now, days=[7, 3, 1]) == due


def test_a_reminder_goes_out_once():
    now = timezone.now()
    subscription = SubscriptionFactory(expires_at=now + at(6))

    first = subscription_reminders_send(now=now)
    second = subscription_reminders_send(now=now + timedelta(hours=1))

    assert [r.days_before for r in first] == [7]
    assert second == []
    notification = Notification.objects.get(user=subscription.user)
    assert notification.type == "warning"
    assert notification.related_entity_type == "subscription"
    assert notification.related_entity_id == subscription.pk
    assert "6 days" in notification.title


def test_each_threshold_sends_its_own_reminder_as_time_passes():
    now = timezone.now()
    subscription = SubscriptionFactory(expires_at=now + at(10))

    sent = []
    for hours in range(0, 10 * 24, 6):  # cron every 6 hours
        sent += subscription_reminders_send(now=now + timedelta(hours=hours))

    assert [r.days_before for r in sent] == [7, 3, 1]
    assert Notification.objects.filter(user=subscription.user).count() == 3


def test_a_late_run_sends_only_the_most_imminent_reminder():
    now = timezone.now()
    subscription = SubscriptionFactory(expires_at=now + at(0, 20))

    sent = subscription_reminders_send(now=now)
    later = subscription_reminders_send(now=now + timedelta(hours=2))

    assert [r.days_before for r in sent] == [1]
    assert later == []
    titles = list(
        Notification.objects.filter(user=subscription.user).values_list("title", flat=True)
    )
    assert titles == ["Your Standard subscription expires in 1 day"]


def test_a_renewed_subscription_is_reminded_again():
    now = timezone.now()
    subscription = SubscriptionFactory(expires_at=now + at(2))
    subscription_reminders_send(now=now)

    subscription.expires_at = now + at(32)
    subscription.save()
    assert subscription_reminders_send(now=now + at(29)) != []

    assert SubscriptionReminder.objects.filter(subscription=subscription).count() == 2


def test_expired_far_and_inactive_users_get_nothing():
    now = timezone.now()
    SubscriptionFactory(expires_at=now - at(1))
    SubscriptionFactory(expires_at=now + at(20))
    SubscriptionFactory(expires_at=now + at(1), user=UserFactory(is_active=False))

    assert subscription_reminders_send(now=now) == []
    assert not Notification.objects.exists()


def test_command_with_custom_days():
    now = timezone.now()
    SubscriptionFactory(expires_at=now + at(13))
    SubscriptionFactory(expires_at=now + at(5))
    out = StringIO()

    call_command("send_subscription_reminders", "--days", "14", stdout=out)

    assert "Sent 2 subscription reminder(s)." in out.getvalue()
    assert set(SubscriptionReminder.objects.values_list("days_before", flat=True)) == {14}


def test_command_default_days_and_idempotency():
    SubscriptionFactory(expires_at=timezone.now() + at(2, 12))
    out = StringIO()

    call_command("send_subscription_reminders", stdout=out)
    call_command("send_subscription_reminders", stdout=out)

    assert SubscriptionReminder.objects.get().days_before == 3
    assert Notification.objects.count() == 1


@pytest.mark.parametrize("days", ["", "seven", "7,-1", "0"])
def test_command_refuses_bad_days(days):
    with pytest.raises(CommandError):
        call_command("send_subscription_reminders", "--days", days)
    assert not Notification.objects.exists()

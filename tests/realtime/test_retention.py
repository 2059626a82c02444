"""prune_events keeps at least a week of history; replay past it answers reset."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from lms.realtime import replay
from lms.realtime.events import publish
from lms.realtime.models import Event
from tests.realtime import probe  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_prune_removes_only_events_older_than_retention(capsys):
    for n in range(4):
        publish("probe:1", "probe.happened", {"n": n})
    Event.objects.filter(seq__lte=2).update(created_at=timezone.now() - timedelta(days=8))
    Event.objects.filter(seq=3).update(created_at=timezone.now() - timedelta(days=6))

    call_command("prune_events")

    assert list(Event.objects.order_by("seq").values_list("seq", flat=True)) == [3, 4]
    assert "Deleted 2 events" in capsys.readouterr().out
    # A client that saw id 1 can no longer be brought up to date; one that saw 2 can.
    assert replay.events_after("probe:1", 1)[2] is True
    events, last_id, reset = replay.events_after("probe:1", 2)
    assert ([e.seq for e in events], last_id, reset) == ([3, 4], 4, False)


def test_prune_refuses_a_retention_under_a_week():
    with pytest.raises(SystemExit):
        call_command("prune_events", "--days", "3")

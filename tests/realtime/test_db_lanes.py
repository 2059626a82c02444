"""The realtime layer's database calls: made together, each still gets its own answer."""

import asyncio
import threading
from contextvars import ContextVar

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from lms.catalog.models import User
from lms.realtime import db
from lms.realtime.db import in_db_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@in_db_thread
def username(pk: int) -> str:
    return User.objects.get(pk=pk).username


async def test_calls_made_together_each_get_their_own_answer_or_error():
    users = [await sync_to_async(UserFactory)() for _ in range(20)]
    missing = max(u.pk for u in users) + 1000
    pks = [u.pk for u in users]
    pks.insert(7, missing)  # one call fails in the middle of a batch

    answers = await asyncio.gather(*(username(pk) for pk in pks), return_exceptions=True)

    failed = answers.pop(7)
    assert type(failed).__name__ == "DoesNotExist"
    assert answers == [u.username for u in users]


async def test_a_call_runs_in_its_callers_context_off_the_event_loop():
    caller = ContextVar("caller")

    @in_db_thread
    def seen() -> tuple[str, int]:
        return caller.get(), threading.get_ident()

    async def call(name: str):
        caller.set(name)
        return await seen()

    results = await asyncio.gather(call("a"), call("b"), call("c"))
    assert [name for name, _thread in results] == ["a", "b", "c"]
    assert threading.get_ident() not in {thread for _name, thread in results}


async def test_no_thread_of_the_lane_keeps_a_connection(postgres, settings):
    users = [await sync_to_async(UserFactory)() for _ in range(12)]
    await asyncio.gather(*(username(u.pk) for u in users))  # two batches, on two threads

    # One probe on every thread of the lane, each after whatever that thread was doing.
    size = settings.REALTIME_DB_THREADS
    all_there = threading.Barrier(size)

    def holds_a_connection() -> bool:
        all_there.wait(timeout=10)
        return connection.connection is not None

    executor = db._lane(db.JOINS_AND_POLLS).executor
    probes = [executor.submit(holds_a_connection) for _ in range(size)]
    assert [probe.result(timeout=20) for probe in probes] == [False] * size

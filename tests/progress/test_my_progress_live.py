"""The "My progress" page's live data: `stats.updated` on `user:{id}` over a real socket."""

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from progress.services import lesson_activity_record, lesson_complete
from tests.factories import UserFactory
from tests.progress.factories import enrolled_course, lessons_of
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

# What static/js/my-progress.js reads from each `stats.updated`.
PAGE_FIELDS = {
    "total_time_spent",
    "current_streak",
    "longest_streak",
    "average_score",
    "courses_completed",
    "certificates_earned",
}


@database_sync_to_async
def student_with_lessons():
    user = UserFactory()
    return user, lessons_of(enrolled_course(user, modules=2, lessons_per_module=1))


async def test_a_completion_updates_the_figures_and_todays_cell_live():
    user, lessons = await student_with_lessons()
    async with ws_connect(user) as ws:
        assert (await ws.join(f"user:{user.pk}"))["ok"]

        await database_sync_to_async(lesson_complete)(user=user, lesson=lessons[0], score=90)

        frame = await ws.next_event(f"user:{user.pk}", "stats.updated")
        stats = frame["data"]
        assert set(stats) >= PAGE_FIELDS
        assert (stats["current_streak"], stats["longest_streak"]) == (1, 1)
        assert stats["average_score"] == 90
        assert stats["today"] == {
            "date": timezone.localdate().isoformat(),
            "seconds": 0,
            "lessons_completed": 1,
        }


async def test_time_spent_updates_the_figures_and_todays_cell_live():
    user, lessons = await student_with_lessons()
    async with ws_connect(user) as ws:
        await ws.join(f"user:{user.pk}")

        await database_sync_to_async(lesson_activity_record)(
            user=user, lesson=lessons[1], seconds=150
        )

        stats = (await ws.next_event(f"user:{user.pk}", "stats.updated"))["data"]
        assert stats["total_time_spent"] == 2
        assert stats["today"]["seconds"] == 150
        assert stats["today"]["lessons_completed"] == 0


async def test_another_student_hears_nothing_of_it():
    user, lessons = await student_with_lessons()
    other = await database_sync_to_async(UserFactory)()
    async with ws_connect(other) as ws:
        assert (await ws.join(f"user:{user.pk}"))["ok"] is False
        await ws.join(f"user:{other.pk}")

        await database_sync_to_async(lesson_complete)(user=user, lesson=lessons[0])

        await ws.assert_silent(f"user:{other.pk}", within=0.5)

"""Anonymity on live boards: the join snapshot and `leaderboard.updated` frames, and a
toggle of the choice reaching the boards the student is on."""

import pytest
from channels.db import database_sync_to_async

from lms.catalog.models import ANONYMOUS_LEARNER_NAME
from tests.factories import UserFactory, course_with_lessons
from tests.leaderboard.conftest import set_course_progress, set_stats
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

UPDATED = "leaderboard.updated"
AVATAR = "https://images.example.com/ada.png"


@database_sync_to_async
def leader_and_viewer(*, anonymous: bool):
    leader = UserFactory(
        first_name="Ada", last_name="Lovelace", avatar=AVATAR, leaderboard_anonymous=anonymous
    )
    viewer = UserFactory()
    set_stats(leader, courses_completed=2)
    set_stats(viewer, minutes=5)
    return leader, viewer


@database_sync_to_async
def set_anonymous(user, anonymous: bool) -> None:
    user.leaderboard_anonymous = anonymous
    user.save(update_fields=["leaderboard_anonymous"])


def entry_of(entries: list[dict], user) -> dict:
    [entry] = [entry for entry in entries if entry["user_id"] == user.pk]
    return entry


async def next_board_with(ws, topic: str, user, name: str) -> dict:
    """The next frame of `topic` in which `user` goes by `name`."""
    return await ws.receive_until(
        lambda f: (
            f.get("event") == UPDATED
            and f.get("topic") == topic
            and any(e["user_id"] == user.pk and e["name"] == name for e in f["data"]["entries"])
        ),
        timeout=6,
    )


async def test_the_join_snapshot_hides_an_anonymous_student():
    leader, viewer = await leader_and_viewer(anonymous=True)
    async with ws_connect(viewer) as ws:
        reply = await ws.join("leaderboard")

    entry = entry_of(reply["data"]["entries"], leader)
    assert (entry["name"], entry["avatar"], entry["rank"]) == (ANONYMOUS_LEARNER_NAME, "", 1)


async def test_choosing_anonymity_reaches_the_live_boards_and_back():
    leader, viewer = await leader_and_viewer(anonymous=False)
    course = await database_sync_to_async(course_with_lessons)()
    await database_sync_to_async(set_course_progress)(leader, course, completed=True)
    course_topic = f"leaderboard:course:{course.pk}"
    async with ws_connect(viewer) as ws:
        await database_sync_to_async(set_course_progress)(viewer, course)
        joined = await ws.join("leaderboard")
        assert entry_of(joined["data"]["entries"], leader)["name"] == "Ada Lovelace"
        assert (await ws.join(course_topic))["ok"]

        await set_anonymous(leader, True)

        frame = await next_board_with(ws, "leaderboard", leader, ANONYMOUS_LEARNER_NAME)
        assert entry_of(frame["data"]["entries"], leader)["avatar"] == ""
        assert "Lovelace" not in str(frame)
        course_frame = await next_board_with(ws, course_topic, leader, ANONYMOUS_LEARNER_NAME)
        assert AVATAR not in str(course_frame)

        await set_anonymous(leader, False)

        frame = await next_board_with(ws, "leaderboard", leader, "Ada Lovelace")
        assert entry_of(frame["data"]["entries"], leader)["avatar"] == AVATAR


async def test_frames_after_a_score_change_stay_anonymous():
    leader, viewer = await leader_and_viewer(anonymous=True)
    async with ws_connect(viewer) as ws:
        await ws.join("leaderboard")

        await database_sync_to_async(set_stats)(leader, courses_completed=4)

        frame = await ws.next_event("leaderboard", UPDATED, timeout=6)
        entry = entry_of(frame["data"]["entries"], leader)
        assert (entry["name"], entry["avatar"], entry["points"]) == (
            ANONYMOUS_LEARNER_NAME,
            "",
            400.0,
        )

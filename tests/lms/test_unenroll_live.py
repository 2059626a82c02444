"""Leaving a course over the API ends its live topics on the student's sockets, as when staff
unenroll them: `course:{id}`, its threads and its leaderboard."""

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from discussions.models import DiscussionThread
from lms.catalog.models import Module
from tests.factories import EnrollmentFactory, LessonFactory, UserFactory, course_with_lessons
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def classroom():
    course = course_with_lessons(modules=1, lessons_per_module=1)
    leaving, staying = UserFactory(), UserFactory()
    for student in (leaving, staying):
        EnrollmentFactory(user=student, course=course)
    thread = DiscussionThread.objects.create(course=course, title="Week 1", created_by=staying)
    return course, thread, leaving, staying


@database_sync_to_async
def leave(user, course) -> int:
    client = APIClient()
    client.force_authenticate(user)
    return client.delete(f"/api/courses/{course.pk}/enroll/").status_code


@database_sync_to_async
def enroll(user, course) -> int:
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"/api/courses/{course.pk}/enroll/").status_code


async def test_leaving_revokes_the_course_its_threads_and_its_board():
    course, thread, leaving, staying = await classroom()
    topics = [f"course:{course.pk}", f"thread:{thread.pk}", f"leaderboard:course:{course.pk}"]
    async with ws_connect(leaving) as ws, ws_connect(staying) as other:
        for topic in topics:
            assert (await ws.join(topic))["ok"], topic
        await other.join(f"course:{course.pk}")
        await ws.join(f"user:{leaving.pk}")

        assert await leave(leaving, course) == 204

        revoked = set()
        while revoked != set(topics):
            notice = await ws.receive_until(lambda f: f.get("op") == "error")
            assert notice["error"]["code"] == "forbidden"
            revoked.add(notice["topic"])
        module = await database_sync_to_async(Module.objects.get)(course=course)
        await database_sync_to_async(LessonFactory)(module=module)
        created = await other.next_event(f"course:{course.pk}", "lesson.created")
        assert created["data"]["module"] == module.pk
        await ws.assert_silent(f"course:{course.pk}")
        rejoined = await ws.join(f"course:{course.pk}")
        assert rejoined["ok"] is False
        assert rejoined["error"]["code"] == "forbidden"
        # Their own topic stays.
        assert (await ws.join(f"user:{leaving.pk}"))["ok"]


async def test_enrolling_again_opens_the_course_again():
    course, _, leaving, _ = await classroom()
    async with ws_connect(leaving) as ws:
        await ws.join(f"course:{course.pk}")
        await leave(leaving, course)
        await ws.receive_until(lambda f: f.get("op") == "error")

        assert await enroll(leaving, course) == 201

        rejoined = await ws.join(f"course:{course.pk}")
        assert rejoined["ok"] is True
        assert rejoined["data"]["progress"] == 0

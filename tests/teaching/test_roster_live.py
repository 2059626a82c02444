"""`roster:{id}` live: a completion, an enrollment and an unenrollment reach the course's
teachers; a teacher who loses the course loses the topic at once."""

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient

from lms.catalog.models import Enrollment
from tests.factories import EnrollmentFactory, InstructorFactory, UserFactory, course_with_lessons
from tests.progress.factories import lessons_of
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@db
def setup():
    instructor = InstructorFactory()
    course = course_with_lessons(modules=2, lessons_per_module=2, instructor=instructor)
    student = UserFactory(first_name="Ada", last_name="Lovelace")
    EnrollmentFactory(user=student, course=course)
    return instructor, course, student, lessons_of(course)


@db
def complete_over_api(student, lesson, score=None):
    client = APIClient()
    client.force_authenticate(student)
    body = {} if score is None else {"score": score}
    response = client.post(f"/api/lessons/{lesson.pk}/complete/", body, format="json")
    assert response.status_code == 200, response.content


@db
def roster_api_row(instructor, course, student):
    client = APIClient()
    client.force_authenticate(instructor)
    return client.get(f"/api/courses/{course.pk}/roster/{student.pk}/").json()["student"]


async def test_instructor_hears_a_completion_with_the_row():
    instructor, course, student, lessons = await setup()
    topic = f"roster:{course.pk}"
    async with ws_connect(instructor) as ws:
        assert (await ws.join(topic))["ok"]
        await complete_over_api(student, lessons[0], score=70)
        first = await ws.next_event(topic, "roster.updated")
        assert first["data"]["user_id"] == student.pk
        assert first["data"]["progress"] == 0
        assert first["data"]["status"] == "in_progress"
        assert first["data"]["last_active"] == timezone.localdate().isoformat()

        await complete_over_api(student, lessons[1], score=90)
        event = await ws.next_event(topic, "roster.updated")
        row = event["data"]
        assert (row["user_id"], row["progress"]) == (student.pk, 50)
        assert (row["modules_completed"], row["modules_total"]) == (1, 2)
        assert row["partial"] is True
        # The rest of the row is one API read away, and agrees with the event.
        full = await roster_api_row(instructor, course, student)
        assert (full["progress"], full["modules_completed"], full["score"]) == (50, 1, 80.0)
        assert full["name"] == "Ada Lovelace"


async def test_enrollment_and_unenrollment_reach_the_roster():
    instructor, course, _student, _lessons = await setup()
    newcomer = await db(UserFactory)(first_name="New", last_name="Comer")
    topic = f"roster:{course.pk}"
    async with ws_connect(instructor) as ws:
        assert (await ws.join(topic))["ok"]
        await db(EnrollmentFactory)(user=newcomer, course=course)
        event = await ws.next_event(topic, "roster.updated")
        assert event["data"]["user_id"] == newcomer.pk
        # Who it is, the page and the API say: stored events keep no name nor address.
        assert not {"name", "username", "email"} & set(event["data"])
        assert event["data"]["status"] == "not_started"

        await db(Enrollment.objects.filter(user=newcomer, course=course).delete)()
        removed = await ws.next_event(topic, "roster.removed")
        assert removed["data"] == {"user_id": newcomer.pk}


async def test_replay_of_the_roster_after_a_reconnect():
    instructor, course, student, lessons = await setup()
    topic = f"roster:{course.pk}"
    await complete_over_api(student, lessons[0])  # while no teacher is connected
    async with ws_connect(instructor) as ws:
        assert (await ws.join(topic, since=0))["ok"]
        event = await ws.next_event(topic, "roster.updated")
        assert event["data"]["user_id"] == student.pk


async def test_instructor_given_away_the_course_loses_the_roster_at_once():
    instructor, course, student, lessons = await setup()
    successor = await db(InstructorFactory)()
    topic = f"roster:{course.pk}"

    @db
    def give_away():
        course.instructor = successor
        course.save()

    async with ws_connect(instructor) as ws:
        assert (await ws.join(topic))["ok"]
        await give_away()
        notice = await ws.receive_until(lambda f: f["op"] == "error" and f.get("topic") == topic)
        assert notice["error"]["code"] == "forbidden"
        await complete_over_api(student, lessons[0])
        await ws.assert_silent(topic)
        again = await ws.join(topic)
        assert again["ok"] is False and again["error"]["code"] == "forbidden"
    async with ws_connect(successor) as ws:
        assert (await ws.join(topic))["ok"]


@db
def report_activity(student, lesson, seconds):
    client = APIClient()
    client.force_authenticate(student)
    response = client.post(
        f"/api/lessons/{lesson.pk}/activity/", {"seconds": seconds}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


async def test_time_on_a_day_already_active_leaves_the_roster_alone():
    """The roster shows no time spent: only the first activity of the day in the course
    changes a row (last active, started); later reports that day publish nothing."""
    instructor, course, student, lessons = await setup()
    topic = f"roster:{course.pk}"
    async with ws_connect(instructor) as ws:
        assert (await ws.join(topic))["ok"]
        await report_activity(student, lessons[0], 60)
        started = await ws.next_event(topic, "roster.updated")
        # What the write holds already, no query more; the page reads the rest of the row.
        assert started["data"] == {
            "user_id": student.pk,
            "partial": True,
            "progress": 0,
            "status": "in_progress",
            "enrolled_at": started["data"]["enrolled_at"],
            "completed_at": None,
            "last_active": timezone.localdate().isoformat(),
        }
        row = await roster_api_row(instructor, course, student)
        # Times as the API writes them, to the microsecond.
        same = ("progress", "status", "enrolled_at", "completed_at", "last_active")
        assert {key: row[key] for key in same} == {key: started["data"][key] for key in same}

        later = await report_activity(student, lessons[0], 60)
        assert later["credited"] > 0  # time was added, the row did not change
        await complete_over_api(student, lessons[0])
        completed = await ws.next_event(topic, "roster.updated")
        assert completed["id"] == started["id"] + 1
        assert completed["data"]["partial"] is True

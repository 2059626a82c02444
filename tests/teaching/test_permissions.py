"""Who sees a course's teaching pages, API, `roster:{id}` topic and its polls: the course's
instructor and staff; 404 for another instructor, 403 for its students, login for anonymous."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
)
from tests.wsclient import ws_connect

ROLES = ["anonymous", "student", "other_instructor", "instructor", "staff"]


@pytest.fixture
def cast(db):
    instructor = InstructorFactory()
    course = CourseFactory(instructor=instructor)
    student = UserFactory()
    EnrollmentFactory(user=student, course=course)
    return {
        "course": course,
        "anonymous": None,
        "student": student,
        "other_instructor": InstructorFactory(),
        "instructor": instructor,
        "staff": StaffFactory(),
    }


def course_paths(cast):
    course, student = cast["course"], cast["student"]
    return [
        f"/teach/courses/{course.pk}/",
        f"/teach/courses/{course.pk}/students/{student.pk}/",
        f"/teach/courses/{course.pk}/gradebook.csv",
    ], [
        f"/api/courses/{course.pk}/roster/",
        f"/api/courses/{course.pk}/roster/{student.pk}/",
        f"/api/courses/{course.pk}/gradebook/",
    ]


PAGE_STATUS = {"student": 403, "other_instructor": 404, "instructor": 200, "staff": 200}
API_STATUS = {"anonymous": 401, **PAGE_STATUS}


@pytest.mark.parametrize("role", ROLES)
def test_course_pages_and_api_per_role(cast, role):
    user = cast[role]
    pages, apis = course_paths(cast)
    client, api = Client(), APIClient()
    if user is not None:
        client.force_login(user)
        api.force_authenticate(user)
    for path in pages:
        response = client.get(path)
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response["Location"], path
        else:
            assert response.status_code == PAGE_STATUS[role], path
    for path in apis:
        assert api.get(path).status_code == API_STATUS[role], path


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_per_role(cast, role):
    user = cast[role]
    client, api = Client(), APIClient()
    if user is not None:
        client.force_login(user)
        api.force_authenticate(user)
    page = client.get("/teach/")
    listed = api.get("/api/teaching/courses/")
    if role == "anonymous":
        assert page.status_code == 302 and listed.status_code == 401
        return
    if role == "student":
        assert page.status_code == 403
        assert listed.json()["results"] == []
        return
    assert page.status_code == 200
    ids = [row["id"] for row in listed.json()["results"]]
    assert (cast["course"].pk in ids) == (role in {"instructor", "staff"})


@pytest.mark.django_db(transaction=True)  # the poll reads the session in another thread
@pytest.mark.parametrize("role", ROLES)
def test_poll_of_the_roster_topic_per_role(cast, role):
    user = cast[role]
    client = Client()
    if user is not None:
        client.force_login(user)
    topic = f"roster:{cast['course'].pk}"
    response = client.post(
        "/api/realtime/poll/",
        {"topics": {topic: 0}, "wait": 0},
        content_type="application/json",
    )
    if role == "anonymous":
        assert response.status_code == 401
    elif role in {"instructor", "staff"}:
        assert response.status_code == 200, response.content
        # The student's enrollment, replayed from the start of the topic.
        [event] = response.json()["events"]
        assert event["event"] == "roster.updated"
        assert event["data"]["user_id"] == cast["student"].pk
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["student", "other_instructor", "instructor", "staff"])
async def test_join_of_the_roster_topic_per_role(role):
    @database_sync_to_async
    def make():
        instructor = InstructorFactory()
        course = CourseFactory(instructor=instructor)
        student = UserFactory()
        EnrollmentFactory(user=student, course=course)
        users = {
            "student": student,
            "other_instructor": InstructorFactory(),
            "instructor": instructor,
            "staff": StaffFactory(),
        }
        return course, users[role]

    course, user = await make()
    async with ws_connect(user) as ws:
        reply = await ws.join(f"roster:{course.pk}")
    if role in {"instructor", "staff"}:
        assert reply["ok"] is True
    else:
        assert reply["ok"] is False and reply["error"]["code"] == "forbidden"

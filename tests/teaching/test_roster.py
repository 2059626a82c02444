"""The roster: page and API, filters, sorting, online now, bounded queries."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from lms.realtime import presence
from progress.models import CourseActivity, QuizAttempt
from progress.services import lesson_complete
from tests.factories import (
    EnrollmentFactory,
    UserFactory,
    course_with_lessons,
)
from tests.progress.factories import lessons_of

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enroll(course, **names):
    student = UserFactory(**names)
    EnrollmentFactory(user=student, course=course)
    return student


def roster(user, course, **params):
    response = api_for(user).get(f"/api/courses/{course.pk}/roster/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_roster_row_shows_progress_modules_score_and_last_activity(instructor, course):
    student = enroll(course, first_name="Ada", last_name="Lovelace")
    lessons = lessons_of(course)
    lesson_complete(user=student, lesson=lessons[0], score=80)
    lesson_complete(user=student, lesson=lessons[1], score=91)

    row = roster(instructor, course)["results"][0]

    assert row["user_id"] == student.pk
    assert row["name"] == "Ada Lovelace"
    assert (row["progress"], row["status"]) == (50, "in_progress")
    assert (row["modules_completed"], row["modules_total"]) == (1, 2)
    assert row["lessons_completed"] == 2
    assert row["score"] == 85.5
    assert row["last_active"] == timezone.localdate().isoformat()
    assert row["online"] is False
    assert row["completed_at"] is None


def test_a_student_without_activity_was_last_active_when_enrolling(instructor, course):
    enroll(course)
    row = roster(instructor, course)["results"][0]
    assert row["status"] == "not_started"
    assert row["score"] is None
    assert row["last_active"] == timezone.localdate().isoformat()


def test_roster_is_sorted_by_name_and_by_progress(instructor, course):
    zed = enroll(course, first_name="Zed", last_name="Z")
    amy = enroll(course, first_name="amy", last_name="A")
    for lesson in lessons_of(course)[:2]:
        lesson_complete(user=zed, lesson=lesson)

    assert [r["user_id"] for r in roster(instructor, course)["results"]] == [amy.pk, zed.pk]
    by_progress = roster(instructor, course, sort="-progress")["results"]
    assert [r["user_id"] for r in by_progress] == [zed.pk, amy.pk]
    by_activity = roster(instructor, course, sort="last_active")["results"]
    assert {r["user_id"] for r in by_activity} == {zed.pk, amy.pk}


def test_status_filters(instructor, course):
    idle = enroll(course)
    started = enroll(course)
    done = enroll(course)
    lesson_complete(user=started, lesson=lessons_of(course)[0])
    for lesson in lessons_of(course):
        lesson_complete(user=done, lesson=lesson)

    def ids(status):
        return [r["user_id"] for r in roster(instructor, course, status=status)["results"]]

    assert ids("not_started") == [idle.pk]
    assert ids("in_progress") == [started.pk]
    assert ids("completed") == [done.pk]


def test_inactive_days_filter(instructor, course):
    recent = enroll(course)
    stale = enroll(course)
    never = enroll(course)
    today = timezone.localdate()
    CourseActivity.objects.create(user=recent, course=course, day=today - timedelta(days=2))
    CourseActivity.objects.create(user=stale, course=course, day=today - timedelta(days=10))

    inactive = roster(instructor, course, inactive_days=7)
    assert {r["user_id"] for r in inactive["results"]} == {stale.pk, never.pk}
    row = next(r for r in inactive["results"] if r["user_id"] == stale.pk)
    assert row["last_active"] == (today - timedelta(days=10)).isoformat()
    assert recent.pk in {
        r["user_id"] for r in roster(instructor, course, inactive_days=2)["results"]
    }
    assert recent.pk not in {
        r["user_id"] for r in roster(instructor, course, inactive_days=3)["results"]
    }


def test_name_search(instructor, course):
    grace = enroll(course, first_name="Grace", last_name="Hopper")
    enroll(course, first_name="Alan", last_name="Turing")
    result = roster(instructor, course, q="grace hop")
    assert [r["user_id"] for r in result["results"]] == [grace.pk]
    assert result["count"] == 1


def test_invalid_filter_is_a_400(instructor, course):
    response = api_for(instructor).get(f"/api/courses/{course.pk}/roster/", {"status": "nope"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_online_now_lists_and_filters_students_online(instructor, course, settings):
    settings.REDIS_URL = ""  # presence in this process's memory
    online = enroll(course, first_name="On", last_name="Line")
    offline = enroll(course, first_name="Off", last_name="Line")
    for student in (online, offline):
        CourseActivity.objects.create(user=student, course=course, day=timezone.localdate())
    store = presence._memory_store()
    store.topics[f"~sockets:{online.pk}"] = {
        "p:1": {"user": {"id": online.pk}, "meta": {}, "ts": __import__("time").time()}
    }

    result = roster(instructor, course)
    assert result["online_now"] == [{"user_id": online.pk, "name": "On Line"}]
    online_flags = {r["user_id"]: r["online"] for r in result["results"]}
    assert online_flags == {online.pk: True, offline.pk: False}
    filtered = roster(instructor, course, online=1)
    assert [r["user_id"] for r in filtered["results"]] == [online.pk]

    html = page_for(instructor).get(f"/teach/courses/{course.pk}/").content.decode()
    assert "On Line" in html and 'data-online="1"' in html


def test_roster_pages_of_fifty(instructor, course):
    for n in range(55):
        enroll(course, first_name=f"Student{n:03d}", last_name="X")
    first = roster(instructor, course, page_size=50)
    assert first["count"] == 55 and len(first["results"]) == 50
    assert first["previous"] is None and "page=2" in first["next"]
    second = api_for(instructor).get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None

    html = page_for(instructor).get(f"/teach/courses/{course.pk}/?page=2").content.decode()
    assert html.count('<tr data-user-id="') == 5
    assert "Page 2 of 2" in html


@pytest.mark.parametrize("students", [3, 60])
def test_roster_queries_are_bounded(instructor, course, students, django_assert_max_num_queries):
    lessons = lessons_of(course)
    for n in range(students):
        student = enroll(course)
        lesson_complete(user=student, lesson=lessons[n % len(lessons)], score=70)
    api = api_for(instructor)
    page = page_for(instructor)
    with django_assert_max_num_queries(10):
        response = api.get(f"/api/courses/{course.pk}/roster/", {"page_size": 100})
    assert len(response.json()["results"]) == students
    with django_assert_max_num_queries(10):
        api.get(
            f"/api/courses/{course.pk}/roster/",
            {"status": "in_progress", "inactive_days": 3, "q": "user", "sort": "-last_active"},
        )
    with django_assert_max_num_queries(14):
        response = page.get(f"/teach/courses/{course.pk}/")
    assert response.content.decode().count('<tr data-user-id="') == min(students, 50)


def test_roster_page_escapes_names(instructor, course):
    enroll(course, first_name="<script>x</script>", last_name="Y")
    html = page_for(instructor).get(f"/teach/courses/{course.pk}/").content.decode()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_dashboard_lists_courses_with_counts(instructor, course):
    other = course_with_lessons(modules=1, lessons_per_module=1)  # another instructor's
    done = enroll(course)
    enroll(course)
    for lesson in lessons_of(course):
        lesson_complete(user=done, lesson=lesson)

    response = api_for(instructor).get("/api/teaching/courses/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == course.pk
    assert (row["enrolled_count"], row["completed_count"], row["average_progress"]) == (2, 1, 50)
    assert row["online_count"] == 0

    html = page_for(instructor).get("/teach/").content.decode()
    assert course.title in html and other.title not in html
    assert f"/teach/courses/{course.pk}/analytics/" in html
    assert f"/teach/courses/{course.pk}/gradebook.csv" in html
    assert ">Teaching</a>" in html


def test_student_detail_shows_lessons_quiz_attempts_and_time(instructor, course):
    from lms.catalog.models import Quiz

    student = enroll(course)
    lessons = lessons_of(course)
    quiz = Quiz.objects.create(lesson=lessons[1])
    QuizAttempt.objects.create(
        user=student, quiz=quiz, number=1, score=40, passed=False, submitted_at=timezone.now()
    )
    lesson_complete(user=student, lesson=lessons[0], score=77)

    body = api_for(instructor).get(f"/api/courses/{course.pk}/roster/{student.pk}/").json()
    assert body["student"]["user_id"] == student.pk
    first = body["modules"][0]["lessons"][0]
    assert (first["id"], first["score"]) == (lessons[0].pk, 77)
    assert first["completed_at"] is not None
    assert body["modules"][0]["lessons"][1]["completed_at"] is None
    [attempt] = body["quiz_attempts"]
    assert (attempt["number"], attempt["score"], attempt["passed"]) == (1, 40, False)
    assert attempt["lesson_title"] == lessons[1].title
    assert body["activity"][0]["lessons_completed"] == 1

    html = page_for(instructor).get(f"/teach/courses/{course.pk}/students/{student.pk}/")
    assert html.status_code == 200
    assert lessons[1].title in html.content.decode()


def test_student_detail_of_a_user_not_enrolled_is_404(instructor, course):
    outsider = UserFactory()
    assert (
        api_for(instructor).get(f"/api/courses/{course.pk}/roster/{outsider.pk}/").status_code
        == 404
    )
    assert (
        page_for(instructor).get(f"/teach/courses/{course.pk}/students/{outsider.pk}/").status_code
        == 404
    )


def test_roster_api_is_in_the_schema():
    from django.test import Client as PlainClient

    schema = PlainClient().get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/teaching/courses/",
        "/api/courses/{course_id}/roster/",
        "/api/courses/{course_id}/roster/{user_id}/",
        "/api/courses/{course_id}/gradebook/",
    ):
        assert path in schema

"""The catalog REST API: token login, /api/me/, courses, enrolling."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from lms.catalog.models import Enrollment
from progress.models import LearningStats
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
    course_with_lessons,
)
from tests.lms.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for():
    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


# Token


def test_token_for_valid_credentials_authenticates_later_calls(student):
    response = APIClient().post(
        "/api/auth/token/", {"username": student.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=student).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/me/")
    assert me.status_code == 200
    assert me.json()["username"] == student.username


def test_token_is_stable_across_logins(student):
    body = {"username": student.username, "password": PASSWORD}
    first = APIClient().post("/api/auth/token/", body, format="json").json()["token"]
    second = APIClient().post("/api/auth/token/", body, format="json").json()["token"]
    assert first == second


def test_token_with_wrong_password_is_400_with_clear_message(student):
    response = APIClient().post(
        "/api/auth/token/", {"username": student.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Unable to log in with the given username and password."}
    assert not Token.objects.exists()


def test_token_for_inactive_user_is_400(db):
    user = UserFactory(is_active=False)
    response = APIClient().post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400


def test_token_with_missing_fields_reports_each_field(db):
    response = APIClient().post("/api/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_token_endpoint_is_rate_limited_with_retry_after(student, monkeypatch):
    # Throttle rates are read once at import; lower the login rate for this test.
    rates = dict(ScopedRateThrottle.THROTTLE_RATES, login="3/min")
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    client = APIClient()
    body = {"username": student.username, "password": "wrong"}
    statuses = [client.post("/api/auth/token/", body, format="json") for _ in range(4)]
    assert [r.status_code for r in statuses] == [400, 400, 400, 429]
    assert int(statuses[-1]["Retry-After"]) > 0
    metrics = client.get("/metrics").content.decode()
    assert 'lms_rate_limited_total{scope="login"}' in metrics
    assert "detail" in statuses[-1].json()


def test_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("path", ["/api/me/", "/api/courses/", "/api/courses/1/"])
def test_anonymous_calls_are_401(db, path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_enroll_is_401(course):
    assert APIClient().post(f"/api/courses/{course.id}/enroll/").status_code == 401
    assert not Enrollment.objects.exists()


# /api/me/


def test_me_returns_user_with_zero_stats_when_none_recorded(student, api_for):
    data = api_for(student).get("/api/me/").json()
    assert {k: data[k] for k in ("id", "username", "first_name", "last_name", "role")} == {
        "id": student.id,
        "username": student.username,
        "first_name": "Alice",
        "last_name": "Anderson",
        "role": "student",
    }
    assert data["avatar"] == ""
    assert data["stats"]["courses_completed"] == 0
    assert data["stats"]["total_time_spent"] == 0
    assert data["stats"]["average_score"] is None


def test_me_includes_recorded_stats(student, api_for):
    LearningStats.objects.create(
        user=student, total_time_spent=90, courses_completed=2, certificates_earned=2
    )
    stats = api_for(student).get("/api/me/").json()["stats"]
    assert stats["total_time_spent"] == 90
    assert stats["courses_completed"] == 2
    assert stats["certificates_earned"] == 2


def test_me_works_with_session_login(student):
    client = APIClient()
    client.force_login(student)
    assert client.get("/api/me/").json()["id"] == student.id


# Courses


def test_course_list_is_paginated_and_lists_published_only(student, api_for):
    published = [CourseFactory(title=f"Course {n:02d}") for n in range(21)]
    CourseFactory(title="Draft", is_published=False)
    client = api_for(student)
    page = client.get("/api/courses/").json()
    assert set(page) >= {"results", "next", "previous", "count"}
    assert page["count"] == 21
    assert len(page["results"]) == 20
    assert page["previous"] is None and page["next"]
    second = client.get(page["next"]).json()
    titles = [c["title"] for c in page["results"] + second["results"]]
    assert titles == sorted(c.title for c in published)
    assert "Draft" not in titles


def test_course_list_search(student, api_for):
    CourseFactory(title="Cooking basics", description="Knife skills")
    CourseFactory(title="Astronomy", description="Looking at stars")
    client = api_for(student)
    assert [c["title"] for c in client.get("/api/courses/?search=knife").json()["results"]] == [
        "Cooking basics"
    ]
    assert [c["title"] for c in client.get("/api/courses/?search=STARS").json()["results"]] == [
        "Astronomy"
    ]
    assert client.get("/api/courses/?search=zzz").json()["count"] == 0


def test_course_list_entry_shape(student, course, api_for):
    entry = api_for(student).get("/api/courses/").json()["results"][0]
    assert entry["id"] == course.id
    assert entry["instructor"] == course.instructor_id
    assert entry["instructor_detail"]["name"] == "Grace Hopper"
    assert entry["module_count"] == 2
    assert entry["lesson_count"] == 4


def test_course_list_query_count_is_constant(student, api_for, django_assert_max_num_queries):
    for _ in range(15):
        course_with_lessons(modules=2)
    client = api_for(student)
    with django_assert_max_num_queries(3):
        response = client.get("/api/courses/")
    assert response.json()["count"] == 15


def test_course_detail_shape_with_ordered_modules_and_lessons(student, instructor, api_for):
    course = CourseFactory(instructor=instructor, title="Ordered", description="Desc")
    second = ModuleFactory(course=course, title="Second", order=2)
    first = ModuleFactory(course=course, title="First", order=1)
    b = LessonFactory(module=first, title="B", order=2, duration_minutes=7)
    a = LessonFactory(module=first, title="A", order=1, duration_minutes=5)
    data = api_for(student).get(f"/api/courses/{course.id}/").json()
    assert data["id"] == course.id
    assert data["title"] == "Ordered"
    assert data["description"] == "Desc"
    assert data["instructor"] == instructor.id
    assert [m["id"] for m in data["modules"]] == [first.id, second.id]
    assert data["modules"][0] == {
        "id": first.id,
        "title": "First",
        "description": "",
        "order": 1,
        "lessons": [
            {"id": a.id, "title": "A", "order": 1, "duration_minutes": 5},
            {"id": b.id, "title": "B", "order": 2, "duration_minutes": 7},
        ],
    }
    assert data["modules"][1]["lessons"] == []


def test_course_detail_has_no_n_plus_one(student, api_for, django_assert_max_num_queries):
    course = course_with_lessons(modules=6, lessons_per_module=5)
    client = api_for(student)
    with django_assert_max_num_queries(4):
        data = client.get(f"/api/courses/{course.id}/").json()
    assert sum(len(m["lessons"]) for m in data["modules"]) == 30


def test_course_detail_unknown_or_unpublished_is_404(student, instructor, staff, api_for):
    draft = CourseFactory(is_published=False, instructor=instructor)
    assert api_for(student).get("/api/courses/999999/").status_code == 404
    assert api_for(student).get("/api/courses/abc/").status_code == 404
    assert api_for(student).get(f"/api/courses/{draft.id}/").status_code == 404
    assert api_for(instructor).get(f"/api/courses/{draft.id}/").status_code == 200
    assert api_for(staff).get(f"/api/courses/{draft.id}/").status_code == 200


# Enrolling


def test_enroll_creates_then_reports_existing_enrollment(student, course, api_for):
    client = api_for(student)
    first = client.post(f"/api/courses/{course.id}/enroll/")
    assert first.status_code == 201
    body = first.json()
    assert set(body) >= {"id", "course", "progress", "enrolled_at", "completed_at"}
    assert body["course"] == course.id
    assert body["progress"] == 0
    assert body["completed_at"] is None
    again = client.post(f"/api/courses/{course.id}/enroll/")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Enrollment.objects.filter(user=student, course=course).count() == 1


def test_enrollment_appears_in_my_enrollments(student, course, api_for):
    client = api_for(student)
    enrollment_id = client.post(f"/api/courses/{course.id}/enroll/").json()["id"]
    listing = client.get("/api/enrollments/").json()
    assert [e["id"] for e in listing["results"]] == [enrollment_id]


def test_enroll_unknown_or_unpublished_course_is_404(student, api_for):
    draft = CourseFactory(is_published=False)
    client = api_for(student)
    assert client.post("/api/courses/999999/enroll/").status_code == 404
    assert client.post(f"/api/courses/{draft.id}/enroll/").status_code == 404
    assert not Enrollment.objects.exists()


def test_enroll_with_session_requires_csrf(student, course):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post(f"/api/courses/{course.id}/enroll/")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Enrollment.objects.exists()


def test_enroll_with_token_needs_no_csrf(student, course):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=student).key}")
    assert client.post(f"/api/courses/{course.id}/enroll/").status_code == 201


def test_enroll_rejects_get(student, course, api_for):
    assert api_for(student).get(f"/api/courses/{course.id}/enroll/").status_code == 405


def test_other_users_enrollment_is_404(student, course, api_for):
    theirs = EnrollmentFactory(course=course)
    mine = EnrollmentFactory(user=student, course=CourseFactory())
    client = api_for(student)
    assert client.get(f"/api/enrollments/{theirs.id}/").status_code == 404
    assert client.get(f"/api/enrollments/{mine.id}/").status_code == 200


def test_courses_are_read_only(student, course, api_for):
    client = api_for(student)
    assert client.post("/api/courses/", {"title": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/courses/{course.id}/").status_code == 405


# Schema and docs


def test_schema_and_docs_are_served_without_external_resources(student, api_for):
    client = api_for(student)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ["/api/auth/token/", "/api/me/", "/api/courses/", "/api/courses/{id}/enroll/"]:
        assert f"{path}:" in text
    docs = APIClient().get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_unknown_api_path_is_a_json_404(auth_client):
    response = auth_client.get("/api/courses/null/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    # Without the trailing slash the usual redirect still applies.
    assert auth_client.get("/api/courses").status_code == 301

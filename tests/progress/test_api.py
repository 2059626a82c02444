"""REST endpoints of progress: complete, activity, certificates, achievements."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from lms.catalog.models import Enrollment, Lesson
from progress.models import Certificate, LearningStats, LessonActivity, LessonCompletion
from progress.services import lesson_complete
from tests.factories import course_with_lessons
from tests.progress.factories import (
    AchievementFactory,
    CertificateFactory,
    enrolled_course,
    lessons_of,
)

pytestmark = pytest.mark.django_db


def complete_url(lesson) -> str:
    return f"/api/lessons/{lesson.pk}/complete/"


def activity_url(lesson) -> str:
    return f"/api/lessons/{lesson.pk}/activity/"


@pytest.fixture
def course(user):
    return enrolled_course(user, modules=2, lessons_per_module=1)


def test_complete_returns_the_enrollment(auth_client, user, course):
    lesson = lessons_of(course)[0]

    response = auth_client.post(complete_url(lesson), {}, format="json")

    assert response.status_code == 200
    enrollment = Enrollment.objects.get(user=user, course=course)
    assert response.json() == {
        "id": enrollment.pk,
        "course": course.pk,
        "progress": 50,
        "enrolled_at": response.json()["enrolled_at"],
        "completed_at": None,
    }


def test_complete_twice_returns_the_same_enrollment_and_adds_nothing(auth_client, course):
    lesson = lessons_of(course)[0]
    first = auth_client.post(complete_url(lesson), {"score": 70}, format="json")

    second = auth_client.post(complete_url(lesson), {}, format="json")

    assert second.status_code == 200
    assert second.json() == first.json()
    assert LessonCompletion.objects.count() == 1
    assert LessonCompletion.objects.get().score == 70


def test_completing_every_lesson_through_the_api_completes_the_course(auth_client, user, course):
    for lesson in lessons_of(course):
        response = auth_client.post(complete_url(lesson), {"score": 100}, format="json")

    assert response.json()["progress"] == 100
    assert response.json()["completed_at"] is not None
    certificates = auth_client.get("/api/certificates/").json()
    assert certificates["count"] == 1
    assert certificates["results"][0]["course"] == course.pk
    assert certificates["results"][0]["verify_url"].startswith("/certificates/")
    me = LearningStats.objects.get(user=user)
    assert (me.courses_completed, me.certificates_earned, me.average_score) == (1, 1, 100)


@pytest.mark.parametrize("score", [-1, 101, "abc", 50.5, [1]])
def test_bad_score_is_400_and_changes_nothing(auth_client, course, score):
    response = auth_client.post(
        complete_url(lessons_of(course)[0]), {"score": score}, format="json"
    )

    assert response.status_code == 400
    assert "score" in response.json()
    assert not LessonCompletion.objects.exists()


def test_score_accepts_the_bounds(auth_client, course):
    low, high = lessons_of(course)
    assert auth_client.post(complete_url(low), {"score": 0}, format="json").status_code == 200
    assert auth_client.post(complete_url(high), {"score": 100}, format="json").status_code == 200
    assert sorted(LessonCompletion.objects.values_list("score", flat=True)) == [0, 100]


def test_complete_unknown_lesson_is_404(auth_client):
    assert auth_client.post("/api/lessons/999999/complete/", {}, format="json").status_code == 404


def test_complete_when_not_enrolled_is_403(auth_client):
    lesson = lessons_of(course_with_lessons(modules=1, lessons_per_module=1))[0]

    response = auth_client.post(complete_url(lesson), {}, format="json")

    assert response.status_code == 403
    assert "detail" in response.json()
    assert not LessonCompletion.objects.exists()


def test_complete_requires_authentication(api_client, course):
    response = api_client.post(complete_url(lessons_of(course)[0]), {}, format="json")
    assert response.status_code == 401


def test_complete_with_a_token(user, course):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = client.post(complete_url(lessons_of(course)[0]), {}, format="json")

    assert response.status_code == 200


def test_session_clients_need_the_csrf_token(user, course):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(complete_url(lessons_of(course)[0]), {}, format="json")

    assert response.status_code == 403
    assert not LessonCompletion.objects.exists()


# Activity


def test_activity_adds_seconds_and_minutes(auth_client, user, course):
    lesson = lessons_of(course)[0]

    response = auth_client.post(activity_url(lesson), {"seconds": 150}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "credited": 150,
        "lesson_seconds": 150,
        "total_time_spent": 2,
        "total_seconds_spent": 150,
    }
    stats = LearningStats.objects.get(user=user)
    assert (stats.total_seconds_spent, stats.total_time_spent) == (150, 2)


@pytest.mark.parametrize("seconds", [0, -5, 301, 10_000, "ten", 1.5, None])
def test_activity_outside_1_to_300_is_400(auth_client, course, seconds):
    response = auth_client.post(
        activity_url(lessons_of(course)[0]), {"seconds": seconds}, format="json"
    )

    assert response.status_code == 400
    assert "seconds" in response.json()
    assert not LessonActivity.objects.exists()


def test_activity_without_seconds_is_400(auth_client, course):
    response = auth_client.post(activity_url(lessons_of(course)[0]), {}, format="json")
    assert response.status_code == 400


def test_activity_cannot_claim_more_than_the_time_elapsed(auth_client, user, course):
    lesson = lessons_of(course)[0]
    auth_client.post(activity_url(lesson), {"seconds": 300}, format="json")

    again = auth_client.post(activity_url(lesson), {"seconds": 300}, format="json")

    assert again.status_code == 200
    assert again.json()["credited"] <= 3
    assert LearningStats.objects.get(user=user).total_seconds_spent <= 303


def test_activity_after_real_time_passed_is_credited(auth_client, user, course):
    lesson = lessons_of(course)[0]
    auth_client.post(activity_url(lesson), {"seconds": 30}, format="json")
    LessonActivity.objects.filter(user=user, lesson=lesson).update(
        updated_at=LessonActivity.objects.get(user=user, lesson=lesson).updated_at
        - timedelta(seconds=45)
    )

    again = auth_client.post(activity_url(lesson), {"seconds": 30}, format="json")

    assert again.json()["credited"] == 30
    assert again.json()["lesson_seconds"] == 60


def test_activity_from_a_form_post_is_accepted(user, course):
    """What navigator.sendBeacon sends: a urlencoded body with the CSRF token."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(f"/lessons/{lessons_of(course)[0].pk}/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = client.post(
        activity_url(lessons_of(course)[0]),
        {"seconds": "30", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 200
    assert response.json()["credited"] == 30


def test_activity_unknown_lesson_is_404(auth_client):
    response = auth_client.post("/api/lessons/999999/activity/", {"seconds": 5}, format="json")
    assert response.status_code == 404


def test_activity_when_not_enrolled_is_403(auth_client):
    lesson = lessons_of(course_with_lessons(modules=1, lessons_per_module=1))[0]

    response = auth_client.post(activity_url(lesson), {"seconds": 5}, format="json")

    assert response.status_code == 403
    assert not LessonActivity.objects.exists()


# Certificates and achievements


def test_certificates_and_achievements_list_only_mine(auth_client, user):
    mine = CertificateFactory(user=user)
    CertificateFactory()
    AchievementFactory(user=user, kind="first_lesson")
    AchievementFactory(kind="first_course")

    certificates = auth_client.get("/api/certificates/").json()
    achievements = auth_client.get("/api/achievements/").json()

    assert set(certificates) == {"count", "next", "previous", "results"}
    assert [c["verification_code"] for c in certificates["results"]] == [mine.verification_code]
    assert certificates["results"][0]["course_title"] == mine.course.title
    assert [a["kind"] for a in achievements["results"]] == ["first_lesson"]
    assert achievements["results"][0]["title"] == "First lesson completed"


def test_another_users_certificate_is_404(auth_client):
    other = CertificateFactory()
    assert auth_client.get(f"/api/certificates/{other.pk}/").status_code == 404


def test_certificate_list_queries_do_not_grow(auth_client, user, django_assert_max_num_queries):
    for _ in range(15):
        CertificateFactory(user=user)

    with django_assert_max_num_queries(4):
        response = auth_client.get("/api/certificates/")

    assert response.json()["count"] == 15


def test_achievements_and_certificates_need_authentication(api_client):
    assert api_client.get("/api/certificates/").status_code == 401
    assert api_client.get("/api/achievements/").status_code == 401


def test_complete_endpoint_query_count_is_bounded(auth_client, user, django_assert_max_num_queries):
    course = enrolled_course(user, modules=2, lessons_per_module=15)
    lessons = lessons_of(course)
    for lesson in lessons[:-1]:
        lesson_complete(user=user, lesson=lesson)

    # The last lesson: course, certificate, stats, achievements, notifications, leaderboard.
    with django_assert_max_num_queries(40):
        response = auth_client.post(complete_url(lessons[-1]), {}, format="json")

    assert response.json()["progress"] == 100
    assert Certificate.objects.filter(user=user).count() == 1
    assert Lesson.objects.count() == 30

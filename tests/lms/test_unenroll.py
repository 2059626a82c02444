"""Leaving a course: DELETE /api/courses/{id}/enroll/, the course page's button and its
confirmation, the leaderboards, and enrolling again."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from leaderboard.selectors import leaderboard_top
from lms.catalog.models import Enrollment
from notifications.models import Notification
from progress.models import Certificate, LessonCompletion
from progress.services import lesson_complete
from tests.factories import CourseFactory, EnrollmentFactory
from tests.progress.factories import lessons_of
from tests.security.test_csp import assert_no_inline_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for():
    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def enroll_url(course) -> str:
    return f"/api/courses/{course.pk}/enroll/"


# The API.


def test_a_student_leaves_a_course_with_delete(api_for, student, course, enrollment):
    response = api_for(student).delete(enroll_url(course))

    assert response.status_code == 204
    assert not response.content
    assert not Enrollment.objects.filter(user=student, course=course).exists()
    assert api_for(student).get("/api/enrollments/").json()["count"] == 0


def test_leaving_twice_or_a_course_never_joined_is_404(api_for, student, course, enrollment):
    client = api_for(student)
    assert client.delete(enroll_url(course)).status_code == 204

    second = client.delete(enroll_url(course))

    assert second.status_code == 404
    assert "detail" in second.json()
    assert client.delete(enroll_url(CourseFactory())).status_code == 404


def test_leaving_an_unknown_course_is_404(api_for, student):
    assert api_for(student).delete("/api/courses/999999/enroll/").status_code == 404


def test_leaving_needs_a_sign_in(api_for, course, enrollment):
    response = api_for(None).delete(enroll_url(course))

    assert response.status_code == 401
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()


def test_leaving_takes_only_my_enrollment(api_for, student, course, enrollment):
    classmate = EnrollmentFactory(course=course).user

    api_for(student).delete(enroll_url(course))

    assert Enrollment.objects.filter(user=classmate, course=course).exists()


def test_a_course_unpublished_since_can_still_be_left(api_for, student, course, enrollment):
    course.is_published = False
    course.save()

    assert api_for(student).delete(enroll_url(course)).status_code == 204


def test_leaving_is_in_the_schema(api_for, student):
    schema = api_for(student).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/courses/{id}/enroll/"]["delete"]
    assert {"204", "401", "404"} <= set(operation["responses"])
    assert "post" in schema["paths"]["/api/courses/{id}/enroll/"]


def test_the_course_leaderboard_drops_a_student_who_left(api_for, student, course, enrollment):
    lesson_complete(user=student, lesson=lessons_of(course)[0])
    assert student.pk in [entry["user_id"] for entry in leaderboard_top(course=course)]

    api_for(student).delete(enroll_url(course))

    assert student.pk not in [entry["user_id"] for entry in leaderboard_top(course=course)]
    assert student.pk in [entry["user_id"] for entry in leaderboard_top()]
    board = api_for(student).get(f"/api/leaderboard/?course={course.pk}")
    assert board.status_code == 403


# Enrolling again.


def test_enrolling_again_restores_the_progress(api_for, student, course, enrollment):
    client = api_for(student)
    first_module = lessons_of(course)[:2]
    for lesson in first_module:
        lesson_complete(user=student, lesson=lesson)
    client.delete(enroll_url(course))

    response = client.post(enroll_url(course))

    assert response.status_code == 201
    assert response.json()["progress"] == 50
    assert response.json()["completed_at"] is None
    assert Enrollment.objects.get(user=student, course=course).progress == 50
    assert LessonCompletion.objects.filter(user=student).count() == 2


def test_enrolling_again_in_a_finished_course_restores_it_without_new_notices(
    api_for, student, course, enrollment
):
    client = api_for(student)
    for lesson in lessons_of(course):
        lesson_complete(user=student, lesson=lesson)
    certificate = Certificate.objects.get(user=student, course=course)
    notices = Notification.objects.filter(user=student).count()
    client.delete(enroll_url(course))

    enrollment = client.post(enroll_url(course)).json()

    assert enrollment["progress"] == 100
    assert enrollment["completed_at"] is not None
    restored = Enrollment.objects.get(user=student, course=course)
    assert restored.completed_at == certificate.issued_at
    assert Certificate.objects.filter(user=student).count() == 1
    assert Notification.objects.filter(user=student).count() == notices
    me = client.get("/api/me/").json()["stats"]
    assert (me["courses_completed"], me["certificates_earned"]) == (1, 1)
    [entry] = [e for e in leaderboard_top(course=course) if e["user_id"] == student.pk]
    assert entry["points"] == 150.0


def test_a_new_student_enrolls_at_zero(api_for, student, course):
    response = api_for(student).post(enroll_url(course))

    assert response.status_code == 201
    assert response.json()["progress"] == 0


# The pages.


def test_the_course_page_offers_leaving_to_enrolled_students(client_for, student, course):
    html = client_for(student).get(course.get_absolute_url()).content.decode()
    assert "Leave this course" not in html

    EnrollmentFactory(user=student, course=course)
    html = client_for(student).get(course.get_absolute_url()).content.decode()

    assert f'action="/courses/{course.pk}/leave/"' in html
    assert "Leave this course" in html
    assert "csrfmiddlewaretoken" in html


def test_leaving_from_the_page_asks_first_then_leaves(client_for, student, course, enrollment):
    client = client_for(student)

    # The course page's button posts without confirming: the confirmation comes back.
    asked = client.post(f"/courses/{course.pk}/leave/")

    assert asked.status_code == 200
    html = asked.content.decode()
    assert f"Leave {course.title}?" in html
    assert 'name="confirm" value="yes"' in html
    assert "csrfmiddlewaretoken" in html
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()

    left = client.post(f"/courses/{course.pk}/leave/", {"confirm": "yes"}, follow=True)

    assert left.redirect_chain[-1][0] == course.get_absolute_url()
    assert not Enrollment.objects.filter(user=student, course=course).exists()
    page = left.content.decode()
    assert f"You left {course.title}" in page
    assert "Enroll</button>" in page


def test_the_confirmation_page_opens_by_link_too(client_for, student, course, enrollment):
    response = client_for(student).get(f"/courses/{course.pk}/leave/")

    assert response.status_code == 200
    assert_no_inline_code("/courses/{id}/leave/", response)
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()


def test_leaving_a_course_one_is_not_in_goes_back_to_it(client_for, student, course):
    response = client_for(student).post(f"/courses/{course.pk}/leave/", {"confirm": "yes"})

    assert response.status_code == 302
    assert response["Location"] == course.get_absolute_url()


def test_leaving_an_unknown_or_hidden_course_is_404(client_for, student):
    client = client_for(student)
    hidden = CourseFactory(is_published=False)

    assert client.get("/courses/999999/leave/").status_code == 404
    assert client.post(f"/courses/{hidden.pk}/leave/", {"confirm": "yes"}).status_code == 404


def test_leaving_an_unpublished_course_goes_to_the_dashboard(client_for, student):
    course = CourseFactory(is_published=False)
    EnrollmentFactory(user=student, course=course)

    response = client_for(student).post(f"/courses/{course.pk}/leave/", {"confirm": "yes"})

    assert response["Location"] == "/"
    assert not Enrollment.objects.filter(user=student, course=course).exists()


def test_the_leave_page_needs_a_sign_in(client_for, course):
    response = client_for(None).post(f"/courses/{course.pk}/leave/", {"confirm": "yes"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_leave_form_is_csrf_protected(student, course, enrollment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)

    response = client.post(f"/courses/{course.pk}/leave/", {"confirm": "yes"})

    assert response.status_code == 403
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()

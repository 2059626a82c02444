"""Pages of progress: the lesson page's "Mark complete", the dashboard extras, certificates."""

import pytest
from django.test import Client

from progress.models import LessonCompletion
from progress.services import lesson_complete
from tests.factories import StaffFactory, UserFactory, course_with_lessons
from tests.progress.factories import (
    AchievementFactory,
    CertificateFactory,
    enrolled_course,
    lessons_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def student_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_lesson_page_has_the_mark_complete_form_and_the_timer(student_client, user):
    lesson = lessons_of(enrolled_course(user))[0]

    html = student_client.get(lesson.get_absolute_url()).content.decode()

    assert f'action="/lessons/{lesson.pk}/complete/"' in html
    assert "csrfmiddlewaretoken" in html
    assert "Mark complete" in html
    assert f'data-activity-url="/api/lessons/{lesson.pk}/activity/"' in html
    assert "js/lesson.js" in html


def test_staff_see_the_lesson_without_the_form():
    course = course_with_lessons(modules=1, lessons_per_module=1)
    client = Client()
    client.force_login(StaffFactory())

    html = client.get(lessons_of(course)[0].get_absolute_url()).content.decode()

    assert "Mark complete" not in html
    assert "js/lesson.js" not in html


def test_mark_complete_form_completes_and_comes_back(student_client, user):
    course = enrolled_course(user, modules=2, lessons_per_module=1)
    lesson = lessons_of(course)[0]

    response = student_client.post(f"/lessons/{lesson.pk}/complete/", follow=True)

    assert response.redirect_chain[-1][0] == lesson.get_absolute_url()
    html = response.content.decode()
    assert "Lesson completed. Course progress: 50%." in html
    assert "✓ Lesson completed" in html
    assert LessonCompletion.objects.filter(user=user, lesson=lesson).count() == 1


def test_mark_complete_twice_says_so(student_client, user):
    lesson = lessons_of(enrolled_course(user))[0]
    student_client.post(f"/lessons/{lesson.pk}/complete/")

    response = student_client.post(f"/lessons/{lesson.pk}/complete/", follow=True)

    assert "already completed" in response.content.decode()
    assert LessonCompletion.objects.count() == 1


def test_finishing_the_course_from_the_form_congratulates(student_client, user):
    course = enrolled_course(user, modules=1, lessons_per_module=1)

    response = student_client.post(f"/lessons/{lessons_of(course)[0].pk}/complete/", follow=True)

    assert f"You completed {course.title}" in response.content.decode()


def test_mark_complete_needs_the_csrf_token(user):
    lesson = lessons_of(enrolled_course(user))[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(f"/lessons/{lesson.pk}/complete/").status_code == 403
    assert not LessonCompletion.objects.exists()


def test_mark_complete_when_not_enrolled_goes_to_the_course(student_client):
    course = course_with_lessons(modules=1, lessons_per_module=1)

    response = student_client.post(f"/lessons/{lessons_of(course)[0].pk}/complete/")

    assert response.status_code == 302
    assert response.url == course.get_absolute_url()
    assert not LessonCompletion.objects.exists()


def test_mark_complete_is_post_only_and_needs_login(student_client, user):
    lesson = lessons_of(enrolled_course(user))[0]

    assert student_client.get(f"/lessons/{lesson.pk}/complete/").status_code == 405
    assert student_client.post("/lessons/999999/complete/").status_code == 404
    anonymous = Client().post(f"/lessons/{lesson.pk}/complete/")
    assert anonymous.status_code == 302
    assert anonymous.url.startswith("/login/")


def test_certificate_page_is_public_and_shows_who_what_and_when():
    student = UserFactory(first_name="Ada", last_name="Lovelace")
    certificate = CertificateFactory(user=student)

    response = Client().get(f"/certificates/{certificate.verification_code}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in html
    assert certificate.course.title in html
    assert certificate.issued_at.strftime("%B") in html
    assert certificate.verification_code in html


def test_certificate_codes_are_not_case_sensitive():
    certificate = CertificateFactory()

    response = Client().get(f"/certificates/{certificate.verification_code.lower()}/")

    assert response.status_code == 200


def test_unknown_certificate_is_404():
    assert Client().get("/certificates/NOPE1234/").status_code == 404


def test_certificate_page_escapes_names():
    certificate = CertificateFactory(user=UserFactory(first_name="<script>x</script>"))

    html = Client().get(certificate.get_absolute_url()).content.decode()

    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_dashboard_shows_achievements_and_certificates(student_client, user):
    course = enrolled_course(user, modules=1, lessons_per_module=1)
    lesson_complete(user=user, lesson=lessons_of(course)[0])
    AchievementFactory(kind="streak_7")  # someone else's

    html = student_client.get("/").content.decode()

    assert "First lesson completed" in html
    assert "First course completed" in html
    assert "7-day learning streak" not in html
    assert f"/certificates/{user.certificates.get().verification_code}/" in html
    assert f'data-course-progress="{course.pk}"' in html
    assert "js/progress.js" in html


def test_dashboard_queries_stay_bounded(student_client, user, django_assert_max_num_queries):
    for _ in range(6):
        course = enrolled_course(user, modules=1, lessons_per_module=1)
        lesson_complete(user=user, lesson=lessons_of(course)[0])

    with django_assert_max_num_queries(12):
        response = student_client.get("/")

    assert response.status_code == 200

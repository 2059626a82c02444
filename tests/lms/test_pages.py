"""The server-rendered pages: accounts, dashboard, catalog, course and lesson pages."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from lms.catalog.models import Enrollment, User
from notifications.models import Announcement
from progress.models import LessonCompletion
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


def text_of(response) -> str:
    return response.content.decode()


# Layout


def test_signed_in_page_carries_user_id_status_indicator_and_realtime_client(student, client_for):
    html = text_of(client_for(student).get(reverse("dashboard")))
    assert f'<body data-user-id="{student.id}"' in html
    assert (
        '<span id="rt-status" class="rt-status" data-state="offline" aria-live="polite">'
        "offline</span>" in html
    )
    assert '<script src="/static/js/realtime.js" defer></script>' in html
    for label, href in [
        ("Dashboard", "/"),
        ("Catalog", "/courses/"),
        ("Leaderboard", "/leaderboard/"),
    ]:
        assert f'href="{href}"' in html and label in html
    assert "/messages/" in html and "/notifications/" in html
    assert 'href="/static/css/app.css"' in html
    assert (
        "https://" not in re.sub(r'href="https?://[^"]*example[^"]*"', "", html).split("<body")[0]
    ), "no external resources in the head"


def test_pages_name_their_icon_and_favicon_ico_leads_to_it(db):
    # Without one, every page load logs a 404 for /favicon.ico in the browser console.
    html = text_of(Client().get(reverse("login")))
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
    icon = Client().get("/static/img/favicon.svg")
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"


def test_anonymous_page_has_no_user_id_and_no_realtime_client(db):
    html = text_of(Client().get(reverse("login")))
    assert "data-user-id" not in html
    assert "realtime.js" not in html
    assert 'id="rt-status"' not in html


def test_logout_form_in_nav_posts_with_csrf_token(student, client_for):
    html = text_of(client_for(student).get(reverse("catalog")))
    form = re.search(r'<form method="post" action="/logout/".*?</form>', html, re.S).group(0)
    assert 'name="csrfmiddlewaretoken"' in form


# Login, logout, signup


def test_login_with_valid_credentials_redirects_to_dashboard(student):
    client = Client()
    response = client.post(reverse("login"), {"username": student.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_login_with_wrong_password_shows_error_and_signs_nobody_in(student):
    client = Client()
    response = client.post(reverse("login"), {"username": student.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in text_of(response)
    assert "_auth_user_id" not in client.session


def test_login_honours_next_parameter(student, course):
    client = Client()
    response = client.post(
        reverse("login") + f"?next=/courses/{course.id}/",
        {"username": student.username, "password": PASSWORD, "next": f"/courses/{course.id}/"},
    )
    assert response["Location"] == f"/courses/{course.id}/"


def test_login_form_requires_csrf_token(student):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": student.username, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(student, client_for):
    client = client_for(student)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("dashboard")).status_code == 302


def test_signup_creates_a_student_and_signs_them_in(db):
    client = Client()
    response = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "first_name": "New",
            "last_name": "Bie",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.role == User.Role.STUDENT
    assert not user.is_staff
    assert user.check_password("a-long-pass-phrase-42")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_lands_on_the_dashboard_with_a_welcome_and_the_way_to_the_catalog(db):
    response = Client().post(
        reverse("signup"),
        {
            "username": "lander",
            "email": "lander@example.com",
            "password1": "another-pass-99",
            "password2": "another-pass-99",
        },
        follow=True,
    )
    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    html = text_of(response)
    assert "Welcome, lander! Pick a course to get started." in html
    assert "not enrolled in any course yet" in html
    assert 'href="/courses/"' in html


def test_signup_with_only_username_email_and_passwords_works(db):
    response = Client().post(
        reverse("signup"),
        {
            "username": "minimal",
            "email": "minimal@example.com",
            "password1": "another-pass-99",
            "password2": "another-pass-99",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="minimal").email == "minimal@example.com"


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"username": "x1", "password1": "a-long-pass-42", "password2": "different-42"},
            "password fields didn",
        ),
        ({"username": "x2", "password1": "short", "password2": "short"}, "too short"),
        (
            {"username": "", "password1": "a-long-pass-42", "password2": "a-long-pass-42"},
            "required",
        ),
        (
            {"username": "bad name!", "password1": "a-long-pass-42", "password2": "a-long-pass-42"},
            "valid username",
        ),
        (
            {
                "username": "x3",
                "email": "not-an-email",
                "password1": "a-long-pass-42",
                "password2": "a-long-pass-42",
            },
            "valid email",
        ),
        (
            {"username": "x4", "password1": "a-long-pass-42", "password2": "a-long-pass-42"},
            "This field is required",
        ),
        (
            {
                "username": "deleted-12",
                "email": "x5@example.com",
                "password1": "a-long-pass-42",
                "password2": "a-long-pass-42",
            },
            "This username is reserved",
        ),
    ],
)
def test_signup_rejects_invalid_input_and_creates_nothing(data, message):
    before = User.objects.count()
    response = Client().post(reverse("signup"), data)
    assert response.status_code == 200
    assert message in text_of(response).replace("&#x27;", "'")
    assert User.objects.count() == before


def test_signup_rejects_taken_username_and_email(student):
    response = Client().post(
        reverse("signup"),
        {
            "username": student.username.upper(),
            "email": student.email.upper(),
            "password1": "a-long-pass-42",
            "password2": "a-long-pass-42",
        },
    )
    html = text_of(response)
    assert "already exists" in html
    assert "An account with this email address already exists." in html
    assert User.objects.filter(username__iexact=student.username).count() == 1


def test_signup_form_requires_csrf_token(db):
    response = Client(enforce_csrf_checks=True).post(
        reverse("signup"),
        {"username": "csrf", "password1": "a-long-pass-42", "password2": "a-long-pass-42"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="csrf").exists()


def test_signed_in_user_visiting_signup_goes_to_dashboard(student, client_for):
    response = client_for(student).get(reverse("signup"))
    assert response["Location"] == reverse("dashboard")


# Dashboard


def test_dashboard_redirects_anonymous_to_login(db):
    response = Client().get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/")


def test_dashboard_empty_state_links_to_catalog(student, client_for):
    html = text_of(client_for(student).get(reverse("dashboard")))
    assert "not enrolled in any course yet" in html
    assert 'href="/courses/"' in html


def test_dashboard_lists_my_courses_with_progress_bars(student, course, client_for):
    Enrollment.objects.create(user=student, course=course, progress=50)
    other_course = CourseFactory(title="Not mine")
    html = text_of(client_for(student).get(reverse("dashboard")))
    assert course.title in html
    assert other_course.title not in html
    assert (
        f'<div class="progress" data-course-progress="{course.id}" role="progressbar" '
        'aria-valuenow="50" aria-valuemin="0" aria-valuemax="100">'
        '<div class="progress-bar" data-progress="50"></div></div>'
        f'<span data-course-progress-label="{course.id}">50%</span>'
    ) in html


def test_dashboard_escapes_course_titles(student, client_for):
    course = CourseFactory(title="<script>alert(1)</script>")
    EnrollmentFactory(user=student, course=course)
    html = text_of(client_for(student).get(reverse("dashboard")))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_dashboard_query_count_does_not_grow_with_courses(
    student, client_for, django_assert_max_num_queries
):
    for _ in range(8):
        EnrollmentFactory(user=student, course=course_with_lessons(modules=2))
    client = client_for(student)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("dashboard"))
    assert text_of(response).count("data-course-progress=") == 8


def test_instructor_dashboard_lists_courses_taught(instructor, course, client_for):
    html = text_of(client_for(instructor).get(reverse("dashboard")))
    assert "Courses I teach" in html
    assert course.title in html


# Catalog


def test_catalog_lists_published_courses_only(student, client_for):
    published = CourseFactory(title="Published course")
    draft = CourseFactory(title="Draft course", is_published=False)
    html = text_of(client_for(student).get(reverse("catalog")))
    assert published.title in html
    assert draft.title not in html


def test_catalog_marks_enrolled_courses(student, client_for):
    mine = CourseFactory(title="Mine")
    CourseFactory(title="Other")
    EnrollmentFactory(user=student, course=mine)
    html = text_of(client_for(student).get(reverse("catalog")))
    card = re.search(rf'data-course-id="{mine.id}".*?</article>', html, re.S).group(0)
    assert "Enrolled" in card
    assert html.count('class="badge badge-success">Enrolled<') == 1


def test_catalog_search_filters_by_title_and_description(student, client_for):
    CourseFactory(title="Cooking basics", description="Knife skills")
    CourseFactory(title="Astronomy", description="Stars")
    html = text_of(client_for(student).get(reverse("catalog"), {"q": "knife"}))
    assert "Cooking basics" in html and "Astronomy" not in html
    html = text_of(client_for(student).get(reverse("catalog"), {"q": "nothing like it"}))
    assert "No course matches" in html


def test_catalog_is_paginated(student, client_for):
    for n in range(15):
        CourseFactory(title=f"Course {n:02d}")
    client = client_for(student)
    first = text_of(client.get(reverse("catalog")))
    second = text_of(client.get(reverse("catalog"), {"page": 2}))
    assert first.count('class="card course-card"') == 12
    assert second.count('class="card course-card"') == 3
    assert "Page 2 of 2" in second


def test_catalog_query_count_does_not_grow_with_courses(
    student, client_for, django_assert_max_num_queries
):
    for _ in range(10):
        EnrollmentFactory(user=student, course=course_with_lessons(modules=1))
    client = client_for(student)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("catalog"))
    assert text_of(response).count('class="card course-card"') == 10


def test_catalog_is_open_to_visitors(course):
    response = Client().get(reverse("catalog"))
    assert response.status_code == 200
    assert course.title in text_of(response)


# Course page


def test_course_page_lists_modules_and_lessons_with_data_attributes(student, course, client_for):
    html = text_of(client_for(student).get(course.get_absolute_url()))
    assert f'<div id="course-content" data-course-id="{course.id}">' in html
    for module in course.modules.all():
        assert f'data-module-id="{module.id}"' in html
        for lesson in module.lessons.all():
            assert f'data-lesson-id="{lesson.id}"' in html
            assert lesson.title in html


def test_course_page_offers_enroll_form_with_csrf_to_non_enrolled(student, course, client_for):
    html = text_of(client_for(student).get(course.get_absolute_url()))
    form = re.search(
        rf'<form method="post" action="/courses/{course.id}/enroll/".*?</form>', html, re.S
    )
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in form.group(0)
    assert ">Enroll<" in form.group(0)
    assert "data-course-progress=" not in html
    # Lesson titles are listed but not linked before enrolling.
    lesson = course.modules.first().lessons.first()
    assert f'href="/lessons/{lesson.id}/"' not in html


def test_course_page_shows_continue_and_progress_when_enrolled(student, course, client_for):
    Enrollment.objects.create(user=student, course=course, progress=25)
    first_lesson = course.modules.first().lessons.first()
    LessonCompletion.objects.create(user=student, lesson=first_lesson)
    html = text_of(client_for(student).get(course.get_absolute_url()))
    assert "Continue" in html
    assert "/enroll/" not in html
    assert f'data-course-progress="{course.id}"' in html
    assert f'<span data-course-progress-label="{course.id}">25%</span>' in html
    assert f'href="/lessons/{first_lesson.id}/"' in html
    assert f'class="lesson-item is-completed" data-lesson-id="{first_lesson.id}"' in html
    assert f'href="/courses/{course.id}/discussions/"' in html
    assert f'href="/courses/{course.id}/leaderboard/"' in html


def test_course_discussions_are_linked_for_members_only(student, course, client_for):
    html = text_of(client_for(student).get(course.get_absolute_url()))
    assert f"/courses/{course.id}/discussions/" not in html


def test_course_page_for_visitor_asks_to_log_in(course):
    html = text_of(Client().get(course.get_absolute_url()))
    assert "Log in to enroll" in html
    assert f"/login/?next=/courses/{course.id}/" in html


def test_unknown_course_page_is_404(student, client_for):
    assert client_for(student).get("/courses/999999/").status_code == 404


def test_unpublished_course_page_is_404_for_students_but_visible_to_instructor_and_staff(
    student, instructor, staff, client_for
):
    draft = course_with_lessons(is_published=False, instructor=instructor)
    assert client_for(student).get(draft.get_absolute_url()).status_code == 404
    assert Client().get(draft.get_absolute_url()).status_code == 404
    assert client_for(instructor).get(draft.get_absolute_url()).status_code == 200
    assert client_for(staff).get(draft.get_absolute_url()).status_code == 200


def test_course_page_query_count_does_not_grow_with_lessons(
    student, client_for, django_assert_max_num_queries
):
    course = course_with_lessons(modules=5, lessons_per_module=6)
    EnrollmentFactory(user=student, course=course)
    for n in range(12):
        Announcement.objects.create(course=course, title=f"Note {n}", message="m")
    client = client_for(student)
    with django_assert_max_num_queries(11):  # one of them lists the announcements
        response = client.get(course.get_absolute_url())
    assert text_of(response).count("data-lesson-id=") == 30
    assert text_of(response).count("data-announcement-id=") == 10


# Enrolling from the course page


def test_enroll_button_enrolls_once(student, course, client_for):
    client = client_for(student)
    response = client.post(f"/courses/{course.id}/enroll/")
    assert response.status_code == 302
    assert response["Location"] == course.get_absolute_url()
    page = text_of(client.get(response["Location"]))
    assert f"You are enrolled in {course.title}." in page
    assert ">Continue<" in page
    response = client.post(f"/courses/{course.id}/enroll/", follow=True)
    assert f"You are already enrolled in {course.title}." in text_of(response)
    assert Enrollment.objects.filter(user=student, course=course).count() == 1


def test_enroll_requires_csrf_token(student, course):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post(f"/courses/{course.id}/enroll/")
    assert response.status_code == 403
    assert not Enrollment.objects.filter(user=student).exists()


def test_enroll_is_post_only(student, course, client_for):
    assert client_for(student).get(f"/courses/{course.id}/enroll/").status_code == 405
    assert not Enrollment.objects.filter(user=student).exists()


def test_enroll_anonymous_is_sent_to_login(course):
    response = Client().post(f"/courses/{course.id}/enroll/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not Enrollment.objects.exists()


def test_enroll_in_unknown_or_unpublished_course_is_404(student, client_for):
    draft = CourseFactory(is_published=False)
    client = client_for(student)
    assert client.post("/courses/999999/enroll/").status_code == 404
    assert client.post(f"/courses/{draft.id}/enroll/").status_code == 404
    assert not Enrollment.objects.exists()


# Lesson page


def test_lesson_page_shows_escaped_content_with_line_breaks(student, client_for):
    module = ModuleFactory()
    lesson = LessonFactory(module=module, content="Hello <b>world</b>\n\nSecond paragraph")
    EnrollmentFactory(user=student, course=module.course)
    html = text_of(client_for(student).get(lesson.get_absolute_url()))
    assert "<p>Hello &lt;b&gt;world&lt;/b&gt;</p>" in html
    assert "<p>Second paragraph</p>" in html
    assert "<b>world</b>" not in html


def test_lesson_page_links_previous_and_next_across_modules(student, course, client_for):
    EnrollmentFactory(user=student, course=course)
    lessons = [lesson for module in course.modules.all() for lesson in module.lessons.all()]
    client = client_for(student)
    first = text_of(client.get(lessons[0].get_absolute_url()))
    assert 'rel="prev"' not in first
    assert f'rel="next" href="/lessons/{lessons[1].id}/"' in first
    # Last lesson of module 1 leads to the first lesson of module 2.
    second = text_of(client.get(lessons[1].get_absolute_url()))
    assert f'rel="prev" href="/lessons/{lessons[0].id}/"' in second
    assert f'rel="next" href="/lessons/{lessons[2].id}/"' in second
    last = text_of(client.get(lessons[-1].get_absolute_url()))
    assert 'rel="next"' not in last
    assert "Back to the course" in last


def test_lesson_page_includes_lesson_actions_block(student, course, client_for):
    EnrollmentFactory(user=student, course=course)
    lesson = course.modules.first().lessons.first()
    html = text_of(client_for(student).get(lesson.get_absolute_url()))
    assert f'data-lesson-id="{lesson.id}"' in html
    assert 'class="lesson-actions"' in html


def test_lesson_page_redirects_non_enrolled_student_to_course_with_message(
    student, course, client_for
):
    lesson = course.modules.first().lessons.first()
    client = client_for(student)
    response = client.get(lesson.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == course.get_absolute_url()
    page = client.get(response["Location"])
    assert "Enroll in this course to open its lessons." in text_of(page)
    assert lesson.content not in text_of(page)


def test_lesson_page_open_to_instructor_and_staff(instructor, staff, course, client_for):
    lesson = course.modules.first().lessons.first()
    for user in (instructor, staff):
        response = client_for(user).get(lesson.get_absolute_url())
        assert response.status_code == 200
        assert lesson.title in text_of(response)


def test_lesson_page_redirects_anonymous_to_login(course):
    lesson = course.modules.first().lessons.first()
    response = Client().get(lesson.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_unknown_lesson_is_404(student, client_for):
    assert client_for(student).get("/lessons/999999/").status_code == 404


def test_lesson_of_unpublished_course_is_404_for_outsiders(student, instructor, client_for):
    draft = course_with_lessons(is_published=False, instructor=instructor)
    lesson = draft.modules.first().lessons.first()
    assert client_for(student).get(lesson.get_absolute_url()).status_code == 404
    assert client_for(instructor).get(lesson.get_absolute_url()).status_code == 200


def test_deactivated_user_loses_lesson_access(course):
    user = UserFactory(is_active=False)
    EnrollmentFactory(user=user, course=course)
    client = Client()
    client.force_login(user)
    lesson = course.modules.first().lessons.first()
    assert client.get(lesson.get_absolute_url()).status_code == 302

"""Staff tools in the Django admin."""

import pytest
from django.test import Client

from lms.catalog.models import Course, User
from tests.factories import EnrollmentFactory, course_with_lessons

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for_staff(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_admin_lists_and_pages_load(admin_client_for_staff, course, enrollment):
    module = course.modules.first()
    lesson = module.lessons.first()
    for path in [
        "/admin/",
        "/admin/lms/user/",
        "/admin/lms/user/?role__exact=student",
        f"/admin/lms/user/{enrollment.user_id}/change/",
        "/admin/lms/user/add/",
        "/admin/lms/course/",
        "/admin/lms/course/?is_published__exact=1&q=Course",
        f"/admin/lms/course/{course.id}/change/",
        "/admin/lms/course/add/",
        "/admin/lms/module/",
        f"/admin/lms/module/{module.id}/change/",
        "/admin/lms/lesson/",
        f"/admin/lms/lesson/{lesson.id}/change/",
        "/admin/lms/enrollment/",
        f"/admin/lms/enrollment/?course__id__exact={course.id}",
        f"/admin/lms/enrollment/?q={enrollment.user.username}",
        f"/admin/lms/enrollment/{enrollment.id}/change/",
    ]:
        assert admin_client_for_staff.get(path).status_code == 200, path


def test_user_change_page_edits_role_and_avatar(admin_client_for_staff, student):
    html = admin_client_for_staff.get(f"/admin/lms/user/{student.id}/change/").content.decode()
    assert 'name="role"' in html
    assert 'name="avatar"' in html


def test_course_page_has_module_inline_and_links_to_every_module_and_lesson(
    admin_client_for_staff, course
):
    html = admin_client_for_staff.get(f"/admin/lms/course/{course.id}/change/").content.decode()
    assert "modules-TOTAL_FORMS" in html
    for module in course.modules.all():
        assert f'href="/admin/lms/module/{module.id}/change/"' in html
        for lesson in module.lessons.all():
            assert f'href="/admin/lms/lesson/{lesson.id}/change/"' in html


def test_module_page_has_lesson_inline(admin_client_for_staff, course):
    module = course.modules.first()
    html = admin_client_for_staff.get(f"/admin/lms/module/{module.id}/change/").content.decode()
    assert "lessons-TOTAL_FORMS" in html


def test_enrollment_search_by_username(admin_client_for_staff, course):
    wanted = EnrollmentFactory(course=course)
    other = EnrollmentFactory(course=course)
    html = admin_client_for_staff.get(
        f"/admin/lms/enrollment/?q={wanted.user.username}"
    ).content.decode()
    assert f"/admin/lms/enrollment/{wanted.id}/change/" in html
    assert f"/admin/lms/enrollment/{other.id}/change/" not in html


def test_course_list_query_count_is_constant(admin_client_for_staff, django_assert_max_num_queries):
    for _ in range(10):
        course_with_lessons()
    with django_assert_max_num_queries(12):
        response = admin_client_for_staff.get("/admin/lms/course/")
    assert response.status_code == 200


def test_publish_and_unpublish_actions(admin_client_for_staff, instructor):
    draft = course_with_lessons(is_published=False, instructor=instructor)
    response = admin_client_for_staff.post(
        "/admin/lms/course/", {"action": "publish", "_selected_action": [draft.id]}, follow=True
    )
    assert "1 course(s) published." in response.content.decode()
    assert Course.objects.get(pk=draft.pk).is_published
    admin_client_for_staff.post(
        "/admin/lms/course/", {"action": "unpublish", "_selected_action": [draft.id]}
    )
    assert not Course.objects.get(pk=draft.pk).is_published


def test_admin_refuses_non_staff(student, client_for):
    response = client_for(student).get("/admin/lms/course/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_can_create_instructor(admin_client_for_staff):
    response = admin_client_for_staff.post(
        "/admin/lms/user/add/",
        {
            "username": "newteacher",
            "password1": "a-long-pass-phrase-1",
            "password2": "a-long-pass-phrase-1",
            "usable_password": "true",
            "role": "instructor",
            "first_name": "New",
            "last_name": "Teacher",
            "email": "new@example.com",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="newteacher").role == "instructor"

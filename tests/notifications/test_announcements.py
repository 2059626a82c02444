"""Announcements: kept and listed on the course page and in the API, posted by the course's
instructor and staff only, sent to its students per their preferences, rate limited."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from notifications.models import (
    MESSAGE_MAX,
    TITLE_MAX,
    Announcement,
    Channel,
    Kind,
    Notification,
    NotificationPreference,
    OutboundEmail,
)
from notifications.services import ANNOUNCEMENT_RATE_LIMIT, announcement_send
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
)
from tests.progress.factories import events_on

pytestmark = pytest.mark.django_db


def api(path: str) -> str:
    return f"/api/courses/{path}/announcements/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def course():
    return CourseFactory()


@pytest.fixture
def student(course):
    return EnrollmentFactory(course=course).user


def post_form(client, course, title="Exam on Friday", message="Room 4.\nBring a pen."):
    return client.post(f"/courses/{course.pk}/announcements/", {"title": title, "message": message})


# The service.


def test_an_announcement_is_stored_and_its_event_has_the_api_shape(course, student):
    announcement, sent = announcement_send(
        course=course, author=course.instructor, title=" Exam ", message=" Friday. "
    )

    stored = Announcement.objects.get()
    assert (stored.pk, stored.course, stored.author, stored.title, stored.message) == (
        announcement.pk,
        course,
        course.instructor,
        "Exam",
        "Friday.",
    )
    assert [n.user_id for n in sent] == [student.pk]
    ((event, data),) = [e for e in events_on(f"course:{course.pk}") if e[0] == "announcement"]
    assert data == {
        "id": stored.pk,
        "course": course.pk,
        "title": "Exam",
        "message": "Friday.",
        "author": {"id": course.instructor.pk, "name": course.instructor.display_name},
        "created_at": data["created_at"],
    }
    listed = api_client(student).get(api(course.pk)).json()["results"]
    assert listed == [data]


def test_students_who_turned_announcements_off_get_nothing_and_email_choosers_get_mail(
    course, django_capture_on_commit_callbacks
):
    off, by_email, on_site = (EnrollmentFactory(course=course).user for _ in range(3))
    for user, channel in ((off, Channel.OFF), (by_email, Channel.EMAIL), (on_site, Channel.SITE)):
        NotificationPreference.objects.create(user=user, kind=Kind.ANNOUNCEMENT, channel=channel)

    with django_capture_on_commit_callbacks(execute=True):
        announcement_send(course=course, author=course.instructor, title="Exam", message="Fri.")

    assert set(Notification.objects.values_list("user_id", flat=True)) == {
        by_email.pk,
        on_site.pk,
    }
    assert list(OutboundEmail.objects.values_list("to", flat=True)) == [by_email.email]
    assert [m.to for m in mail.outbox] == [[by_email.email]]
    assert Announcement.objects.count() == 1  # kept for the course page all the same


def test_a_deleted_author_leaves_the_announcement_without_one(course, student):
    author = InstructorFactory()
    course.instructor = author
    course.save()
    announcement, _ = announcement_send(course=course, author=author, title="T", message="M")
    course.instructor = InstructorFactory()
    course.save()
    author.delete()

    [listed] = api_client(student).get(api(course.pk)).json()["results"]
    assert listed["id"] == announcement.pk
    assert listed["author"] is None


# The course page.


def test_members_see_the_announcements_newest_first_and_visitors_do_not(course, student):
    for n in range(3):
        announcement_send(
            course=course, author=course.instructor, title=f"Note {n}", message="Text"
        )

    page = signed_in(student).get(course.get_absolute_url()).content.decode()
    assert 'id="announcements"' in page
    assert page.index("Note 2") < page.index("Note 1") < page.index("Note 0")
    assert "Post announcement" not in page  # students read, they do not post
    assert "Edit course" not in page

    visitor = signed_in(UserFactory()).get(course.get_absolute_url()).content.decode()
    anonymous = Client().get(course.get_absolute_url()).content.decode()
    for html in (visitor, anonymous):
        assert "Note 0" not in html
        assert 'id="announcements"' not in html


def test_the_course_page_lists_the_latest_ten_and_links_to_the_older(course, student):
    Announcement.objects.bulk_create(
        Announcement(course=course, author=course.instructor, title=f"Old {n:02}", message="m")
        for n in range(12)
    )
    latest = list(Announcement.objects.filter(course=course).order_by("-created_at", "-id"))

    page = signed_in(student).get(course.get_absolute_url()).content.decode()
    assert sum(f'data-announcement-id="{a.pk}"' in page for a in latest) == 10
    assert f'data-announcement-id="{latest[-1].pk}"' not in page
    assert "Older announcements" in page

    all_of_them = signed_in(student).get(f"/courses/{course.pk}/announcements/")
    assert all_of_them.status_code == 200
    html = all_of_them.content.decode()
    assert all(f'data-announcement-id="{a.pk}"' in html for a in latest)


def test_the_instructor_posts_from_the_course_page_and_lands_back_on_it(course, student):
    client = signed_in(course.instructor)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Post announcement" in page
    assert "csrfmiddlewaretoken" in page
    assert f"/teach/admin/lms/course/{course.pk}/change/" in page  # "Edit course"

    response = post_form(client, course)

    assert response.status_code == 302
    assert response["Location"] == f"{course.get_absolute_url()}#announcements"
    followed = client.get(response["Location"]).content.decode()
    assert "Your announcement is posted." in followed
    assert "Exam on Friday" in followed
    assert Notification.objects.get(user=student).title == "Exam on Friday"


def test_staff_post_from_the_course_page(course, student):
    response = post_form(signed_in(StaffFactory()), course)

    assert response.status_code == 302
    assert Announcement.objects.get().course == course


def test_the_form_needs_csrf(course):
    client = Client(enforce_csrf_checks=True)
    client.force_login(course.instructor)

    assert post_form(client, course).status_code == 403
    assert not Announcement.objects.exists()


@pytest.mark.parametrize(
    ("title", "message", "field"),
    [("   ", "text", "title"), ("Title", "", "message"), ("x" * (TITLE_MAX + 1), "m", "title")],
)
def test_a_bad_form_is_shown_again_with_its_errors(course, title, message, field):
    response = post_form(signed_in(course.instructor), course, title=title, message=message)

    assert response.status_code == 400
    assert field in response.context["announcement_form"].errors
    assert not Announcement.objects.exists()


def test_students_other_instructors_and_visitors_cannot_post_from_the_page(course, student):
    assert post_form(signed_in(student), course).status_code == 403
    assert post_form(signed_in(InstructorFactory()), course).status_code == 404
    assert post_form(signed_in(UserFactory()), course).status_code == 404
    anonymous = post_form(Client(), course)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert not Announcement.objects.exists()


def test_a_title_with_a_script_is_shown_as_text(course, student):
    announcement_send(
        course=course,
        author=course.instructor,
        title="<script>alert(1)</script>",
        message='<img src=x onerror="alert(2)">',
    )

    for path in (course.get_absolute_url(), f"/courses/{course.pk}/announcements/"):
        html = signed_in(student).get(path).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x" not in html


# The API.


def test_the_api_creates_and_lists(course, student):
    response = api_client(course.instructor).post(
        api(course.pk), {"title": "Quiz", "message": "Tomorrow."}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["message"], body["course"]) == ("Quiz", "Tomorrow.", course.pk)
    assert body["author"] == {"id": course.instructor.pk, "name": course.instructor.display_name}
    listed = api_client(student).get(api(course.pk)).json()
    assert listed["count"] == 1
    assert listed["results"] == [body]
    assert set(listed) >= {"results", "next", "previous", "count"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "message": "m"}, "title"),
        ({"title": "   ", "message": "m"}, "title"),
        ({"title": "t", "message": ""}, "message"),
        ({"title": "t"}, "message"),
        ({"title": "x" * (TITLE_MAX + 1), "message": "m"}, "title"),
        ({"title": "t", "message": "x" * (MESSAGE_MAX + 1)}, "message"),
    ],
)
def test_the_api_answers_400_per_field(course, body, field):
    response = api_client(course.instructor).post(api(course.pk), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Announcement.objects.exists()


def test_who_may_read_and_post_through_the_api(course, student):
    draft = CourseFactory(is_published=False)
    EnrollmentFactory(course=draft, user=student)
    outsider = UserFactory()
    other_instructor = InstructorFactory()
    body = {"title": "Hello", "message": "World"}

    assert api_client(student).get(api(course.pk)).status_code == 200
    assert api_client(course.instructor).get(api(course.pk)).status_code == 200
    assert api_client(StaffFactory()).get(api(course.pk)).status_code == 200
    assert api_client(outsider).get(api(course.pk)).status_code == 403
    assert api_client(other_instructor).get(api(draft.pk)).status_code == 404
    assert APIClient().get(api(course.pk)).status_code == 401
    assert api_client(student).get(api(987654)).status_code == 404

    assert api_client(student).post(api(course.pk), body, format="json").status_code == 403
    assert api_client(outsider).post(api(course.pk), body, format="json").status_code == 404
    assert api_client(other_instructor).post(api(draft.pk), body, format="json").status_code == 404
    assert api_client(other_instructor).post(api(course.pk), body, format="json").status_code == 404
    assert APIClient().post(api(course.pk), body, format="json").status_code == 401
    assert not Announcement.objects.exists()
    assert api_client(StaffFactory()).post(api(draft.pk), body, format="json").status_code == 201


def test_the_api_is_in_the_schema(course):
    schema = api_client(course.instructor).get("/api/schema/?format=json").json()

    operations = schema["paths"]["/api/courses/{course_id}/announcements/"]
    assert {"get", "post"} <= set(operations)
    assert "429" in operations["post"]["responses"]


# The rate limit.


def test_an_author_posts_at_most_the_limit_per_hour(course, student):
    client = api_client(course.instructor)
    for n in range(ANNOUNCEMENT_RATE_LIMIT):
        body = {"title": f"Note {n}", "message": "m"}
        assert client.post(api(course.pk), body, format="json").status_code == 201

    refused = client.post(api(course.pk), {"title": "One more", "message": "m"}, format="json")

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "detail" in refused.json()
    page = post_form(signed_in(course.instructor), course, title="From the page")
    assert page.status_code == 429
    assert 0 < int(page["Retry-After"]) <= 3600
    assert Announcement.objects.count() == ANNOUNCEMENT_RATE_LIMIT
    # Another author has a limit of their own.
    staff = api_client(StaffFactory())
    assert (
        staff.post(api(course.pk), {"title": "S", "message": "m"}, format="json").status_code == 201
    )


# The admin action.


def test_the_admin_action_stores_an_announcement_per_course_by_the_staff_member(student, course):
    staff = StaffFactory()
    other = CourseFactory()

    response = signed_in(staff).post(
        "/admin/lms/course/",
        {
            "action": "announce_to_course",
            ACTION_CHECKBOX_NAME: [course.pk, other.pk],
            "apply": "1",
            "title": "Holiday",
            "message": "No class on Monday.",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert b"Announcement sent to 1 student in 2 courses." in response.content
    stored = Announcement.objects.order_by("course_id")
    assert [(a.course_id, a.author, a.title) for a in stored] == sorted(
        [(course.pk, staff, "Holiday"), (other.pk, staff, "Holiday")]
    )
    assert Notification.objects.get(user=student).title == "Holiday"

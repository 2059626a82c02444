"""An announcement posted on the course page reaches its students' sockets live, in the
shape of the API's announcement, and not the sockets of anyone outside the course."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from notifications.models import Announcement
from notifications.serializers import AnnouncementSerializer
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def classroom():
    course = CourseFactory()
    student = EnrollmentFactory(course=course).user
    return course, course.instructor, student, UserFactory()


@database_sync_to_async
def post_from_the_page(author, course):
    client = Client()
    client.force_login(author)
    return client.post(
        f"/courses/{course.pk}/announcements/", {"title": "<b>Live</b>", "message": "Now."}
    )


async def test_a_posted_announcement_reaches_the_students_socket_in_its_api_shape():
    course, instructor, student, outsider = await classroom()
    async with ws_connect(student) as student_ws, ws_connect(outsider) as outsider_ws:
        assert (await student_ws.join(f"course:{course.pk}"))["ok"] is True
        await outsider_ws.join(f"user:{outsider.pk}")

        response = await post_from_the_page(instructor, course)
        assert response.status_code == 302

        frame = await student_ws.next_event(f"course:{course.pk}", "announcement")
        stored = await database_sync_to_async(
            lambda: dict(AnnouncementSerializer(Announcement.objects.get()).data)
        )()
        assert frame["data"] == stored
        assert frame["data"]["title"] == "<b>Live</b>"
        assert frame["data"]["author"] == {"id": instructor.pk, "name": instructor.display_name}
        await outsider_ws.assert_silent()

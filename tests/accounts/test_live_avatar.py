"""A new avatar reaches other students' screens: the next live message carries it, and
a reload of the thread shows it."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.conftest import image_bytes, upload
from tests.discussions.factories import ThreadFactory
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@db
def classroom():
    course = CourseFactory()
    author, reader = UserFactory(), UserFactory()
    EnrollmentFactory(user=author, course=course)
    EnrollmentFactory(user=reader, course=course)
    return author, reader, ThreadFactory(course=course, created_by=reader)


@db
def new_avatar_then_post(author, thread) -> str:
    client = APIClient()
    client.force_authenticate(author)
    uploaded = client.post(
        "/api/me/avatar/", {"avatar": upload(image_bytes("PNG"))}, format="multipart"
    )
    assert uploaded.status_code == 200
    posted = client.post(
        f"/api/threads/{thread.pk}/messages/", {"content": "New look!"}, format="json"
    )
    assert posted.status_code == 201
    return uploaded.json()["avatar"]


async def test_the_next_message_after_an_upload_carries_the_new_avatar_live_and_on_reload():
    author, reader, thread = await classroom()
    async with ws_connect(reader) as ws:
        assert (await ws.join(f"thread:{thread.pk}"))["ok"]
        avatar = await new_avatar_then_post(author, thread)
        event = await ws.next_event(f"thread:{thread.pk}", "thread.message")
    assert avatar.startswith(f"/media/avatars/{author.pk}/")
    assert event["data"]["sender"] == {
        "id": author.pk,
        "name": author.display_name,
        "avatar": avatar,
    }

    @db
    def reload_page():
        client = Client()
        client.force_login(reader)
        html = client.get(f"/threads/{thread.pk}/").content.decode()
        image = client.get(avatar)
        return html, image.status_code, image["Content-Type"]

    html, status, content_type = await reload_page()
    assert f'src="{avatar}"' in html
    assert (status, content_type) == (200, "image/webp")

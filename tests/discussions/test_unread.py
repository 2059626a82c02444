"""What is new for me in a course's threads: counts, the first unread message, the read
position that only the read endpoint (or the page's no-script image) moves, forward only."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import reading, services
from discussions.models import ThreadMessage, ThreadReadState
from tests.discussions.factories import ThreadFactory, ThreadMessageFactory
from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db


def thread_row(client, course, thread):
    response = client.get(f"/api/threads/?course={course.pk}")
    assert response.status_code == 200
    return next(item for item in response.json()["results"] if item["id"] == thread.pk)


def post(thread, sender, content="Hello"):
    return services.thread_message_post(thread=thread, sender=sender, content=content)


def read(client, thread, last_read_id):
    return client.post(f"/api/threads/{thread.pk}/read/", {"last_read_id": last_read_id})


def test_new_messages_of_others_are_unread_per_role(cast, active_thread):
    first = post(active_thread, cast.creator, "Question")
    second = post(active_thread, cast.instructor, "Answer")
    # The other student sees both; the creator only the answer; the instructor the question.
    row = thread_row(cast.client("enrolled"), cast.course, active_thread)
    assert (row["unread_count"], row["first_unread_id"]) == (2, first.pk)
    assert row["is_following"] is False
    row = thread_row(cast.client("creator"), cast.course, active_thread)
    assert (row["unread_count"], row["first_unread_id"]) == (1, second.pk)
    assert row["is_following"] is True
    row = thread_row(cast.client("instructor"), cast.course, active_thread)
    assert (row["unread_count"], row["first_unread_id"]) == (1, first.pk)


def test_hidden_messages_are_not_unread(cast, active_thread):
    message = post(active_thread, cast.creator)
    ThreadMessage.objects.filter(pk=message.pk).update(hidden_at=timezone.now())
    row = thread_row(cast.client("enrolled"), cast.course, active_thread)
    assert (row["unread_count"], row["first_unread_id"]) == (0, None)


def test_what_came_before_i_joined_the_course_is_read(cast, active_thread):
    old = post(active_thread, cast.creator, "Before you came")
    ThreadMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    newcomer = EnrollmentFactory(course=cast.course).user
    new = post(active_thread, cast.creator, "Welcome")
    client = cast.client("enrolled")
    client.force_authenticate(newcomer)
    row = thread_row(client, cast.course, active_thread)
    assert (row["unread_count"], row["first_unread_id"]) == (1, new.pk)


def test_reading_moves_forward_only_and_counts_what_is_left(cast, active_thread):
    messages = [post(active_thread, cast.creator, f"m{n}") for n in range(3)]
    client = cast.client("enrolled")
    answer = read(client, active_thread, messages[1].pk)
    assert answer.status_code == 200
    assert answer.json() == {
        "thread": active_thread.pk,
        "course": cast.course.pk,
        "last_read_id": messages[1].pk,
        "unread": 1,
        "first_unread_id": messages[2].pk,
    }
    # Backward: nothing moves.
    assert read(client, active_thread, messages[0].pk).json()["last_read_id"] == messages[1].pk
    # Beyond the last message: clamped to it.
    assert read(client, active_thread, 10**12).json()["last_read_id"] == messages[2].pk
    row = thread_row(client, cast.course, active_thread)
    assert (row["unread_count"], row["first_unread_id"]) == (0, None)
    # A new message is unread again.
    fresh = post(active_thread, cast.instructor)
    row = thread_row(client, cast.course, active_thread)
    assert (row["unread_count"], row["first_unread_id"]) == (1, fresh.pk)


def test_loading_messages_or_posting_does_not_move_the_position(cast, active_thread):
    message = post(active_thread, cast.creator)
    client = cast.client("enrolled")
    assert client.get(f"/api/threads/{active_thread.pk}/messages/").status_code == 200
    client.force_login(cast.enrolled)
    assert client.get(f"/threads/{active_thread.pk}/").status_code == 200
    post(active_thread, cast.enrolled, "Me too")
    assert not ThreadReadState.objects.filter(user=cast.enrolled).exists()
    row = thread_row(client, cast.course, active_thread)
    assert (row["unread_count"], row["first_unread_id"]) == (1, message.pk)


def test_the_no_script_image_marks_the_page_read(cast, active_thread, client):
    post(active_thread, cast.creator)
    last = post(active_thread, cast.instructor)
    client.force_login(cast.enrolled)
    page = client.get(f"/threads/{active_thread.pk}/").content.decode()
    beacon = re.search(r'<noscript>.*?<img class="read-beacon" src="([^"]+)"', page, re.S)
    assert beacon, "the page carries a no-script image"
    url = beacon.group(1).replace("&amp;", "&")
    image = client.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/gif"
    assert ThreadReadState.objects.get(user=cast.enrolled).last_read_id == last.pk
    # Another user's token moves nothing of theirs, nor of mine.
    client.force_login(cast.creator)
    client.get(url)
    assert not ThreadReadState.objects.filter(user=cast.creator).exists()


def test_a_forged_beacon_moves_nothing(cast, active_thread, client):
    post(active_thread, cast.creator)
    client.force_login(cast.enrolled)
    response = client.get(f"/threads/{active_thread.pk}/read.gif?t=forged")
    assert response.status_code == 200
    assert not ThreadReadState.objects.exists()


@pytest.mark.parametrize(
    "role,expected", [("unenrolled", 404), ("staff", 200), ("instructor", 200), ("anonymous", 401)]
)
def test_read_endpoint_follows_the_thread_rules(cast, active_thread, role, expected):
    post(active_thread, cast.creator)
    assert read(cast.client(role), active_thread, 1).status_code == expected


def test_a_closed_thread_is_403_to_its_students(cast, closed_thread):
    assert read(cast.client("enrolled"), closed_thread, 1).status_code == 403
    assert read(cast.client("instructor"), closed_thread, 1).status_code == 200


@pytest.mark.parametrize("body", [{}, {"last_read_id": -1}, {"last_read_id": "x"}])
def test_bad_positions_are_400_and_change_nothing(cast, active_thread, body):
    response = cast.client("enrolled").post(f"/api/threads/{active_thread.pk}/read/", body)
    assert response.status_code == 400
    assert not ThreadReadState.objects.exists()


def test_the_course_list_page_shows_counts_and_links_to_the_first_unread(
    cast, active_thread, client
):
    first = post(active_thread, cast.creator)
    post(active_thread, cast.creator)
    quiet = ThreadFactory(course=cast.course, created_by=cast.creator)
    client.force_login(cast.enrolled)
    page = client.get(f"/courses/{cast.course.pk}/discussions/").content.decode()
    assert f'href="/threads/{active_thread.pk}/#message-{first.pk}"' in page
    assert "2 new" in page
    assert f'href="/threads/{quiet.pk}/"' in page


def test_the_list_costs_the_same_queries_for_many_threads(
    cast, client, django_assert_max_num_queries
):
    def page_and_api():
        client.force_login(cast.enrolled)
        with django_assert_max_num_queries(12):
            assert client.get(f"/courses/{cast.course.pk}/discussions/").status_code == 200
        api = cast.client("enrolled")
        with django_assert_max_num_queries(6):
            assert api.get(f"/api/threads/?course={cast.course.pk}").status_code == 200

    for _ in range(2):
        thread = ThreadFactory(course=cast.course, created_by=cast.creator)
        ThreadMessageFactory(thread=thread, sender=cast.creator)
    page_and_api()
    for _ in range(15):
        thread = ThreadFactory(course=cast.course, created_by=cast.creator)
        ThreadMessageFactory(thread=thread, sender=cast.creator)
    page_and_api()


def test_unread_per_course_for_the_navigation(cast, active_thread, django_assert_max_num_queries):
    other_course = CourseFactory()
    EnrollmentFactory(course=other_course, user=cast.enrolled)
    post(active_thread, cast.creator)
    post(active_thread, cast.creator)
    second = ThreadFactory(course=cast.course, created_by=cast.creator)
    post(second, cast.instructor)
    client = cast.client("enrolled")
    with django_assert_max_num_queries(4):
        response = client.get("/api/discussions/unread/")
    assert response.status_code == 200
    assert sorted(response.json(), key=lambda row: row["course"]) == sorted(
        [
            {"course": cast.course.pk, "unread_threads": 2, "unread_messages": 3},
            {"course": other_course.pk, "unread_threads": 0, "unread_messages": 0},
        ],
        key=lambda row: row["course"],
    )
    # The instructor's course counts the students' messages; a stranger has none.
    rows = cast.client("instructor").get("/api/discussions/unread/").json()
    assert rows == [{"course": cast.course.pk, "unread_threads": 1, "unread_messages": 2}]
    assert (
        cast.client("unenrolled").get("/api/discussions/unread/").json()[0]["unread_messages"] == 0
    )


def test_closed_threads_do_not_count_for_students(cast, closed_thread):
    post(closed_thread, cast.instructor)
    rows = cast.client("enrolled").get("/api/discussions/unread/").json()
    assert rows == [{"course": cast.course.pk, "unread_threads": 0, "unread_messages": 0}]


def test_the_unread_page_lists_courses_with_new_messages(cast, active_thread, client):
    post(active_thread, cast.creator)
    client.force_login(cast.enrolled)
    page = client.get("/discussions/unread/").content.decode()
    assert f'href="/courses/{cast.course.pk}/discussions/"' in page
    assert "1 new message in 1 thread" in page


def test_the_course_page_and_navigation_carry_the_badges(cast, client):
    client.force_login(cast.enrolled)
    page = client.get(cast.course.get_absolute_url()).content.decode()
    assert f'data-discussions-unread-course="{cast.course.pk}"' in page
    assert 'id="nav-discussions"' in page
    assert "js/unread.js" in page


def test_thread_unread_selector(cast, active_thread):
    message = post(active_thread, cast.creator)
    assert reading.thread_unread(user=cast.enrolled, thread=active_thread) == reading.ThreadUnread(
        unread=1, first_unread_id=message.pk
    )

"""GET /api/threads/{id}/members/?q=: whom an @mention may name, for the message box."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.discussions.factories import ThreadFactory
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(thread, q=None):
    base = f"/api/threads/{thread.pk}/members/"
    return base if q is None else f"{base}?q={q}"


def usernames(response):
    assert response.status_code == 200, response.content
    return [member["username"] for member in response.json()]


class TestAccess:
    def test_anonymous_is_401(self, active_thread):
        assert APIClient().get(url(active_thread)).status_code == 401

    def test_a_non_member_gets_404_like_for_the_thread(self, cast, active_thread):
        response = cast.client("unenrolled").get(url(active_thread))
        assert response.status_code == 404
        assert cast.client("unenrolled").get(f"/api/threads/{active_thread.pk}/").status_code == (
            404
        )

    def test_an_unknown_thread_is_404(self, cast):
        assert cast.client("enrolled").get("/api/threads/999999/members/").status_code == 404

    def test_a_student_of_the_course_asking_for_a_closed_thread_gets_403(self, cast, closed_thread):
        response = cast.client("enrolled").get(url(closed_thread))
        assert response.status_code == 403
        assert "closed" in response.json()["detail"]

    @pytest.mark.parametrize("role", ["enrolled", "instructor", "staff"])
    def test_members_may_ask(self, cast, active_thread, role):
        assert cast.client(role).get(url(active_thread)).status_code == 200

    def test_the_instructor_may_ask_in_a_closed_thread_which_students_cannot_read(
        self, cast, closed_thread
    ):
        found = usernames(cast.client("instructor").get(url(closed_thread)))
        assert cast.staff.username in found
        assert cast.enrolled.username not in found

    def test_a_too_long_prefix_is_400(self, cast, active_thread):
        response = cast.client("enrolled").get(url(active_thread, "x" * 151))
        assert response.status_code == 400
        assert "q" in response.json()


class TestMatching:
    @pytest.fixture
    def people(self, cast):
        def student(username, first="", last=""):
            user = UserFactory(username=username, first_name=first, last_name=last)
            EnrollmentFactory(user=user, course=cast.course)
            return user

        # Prefixes no generated name starts with.
        return {
            "alice": student("zqalice", "Zqalice", "Smith"),
            "first": student("m-first", "Zqarbert", "Young"),
            "last": student("m-last", "Robert", "Zqalvarez"),
            "other": student("zqbcarol", "Carol", "King"),
        }

    def test_the_prefix_matches_username_first_or_last_name_ignoring_case(
        self, cast, active_thread, people
    ):
        found = usernames(cast.client("enrolled").get(url(active_thread, "ZQA")))
        assert found == ["m-first", "m-last", "zqalice"]

    def test_a_leading_at_sign_is_ignored(self, cast, active_thread, people):
        found = usernames(cast.client("enrolled").get(url(active_thread, "%40zqb")))
        assert found == ["zqbcarol"]

    def test_the_shape(self, cast, active_thread, people):
        alice = people["alice"]
        body = cast.client("enrolled").get(url(active_thread, "zqali")).json()
        assert body == [
            {"id": alice.pk, "username": "zqalice", "name": "Zqalice Smith", "avatar": ""}
        ]

    def test_at_most_eight(self, cast, active_thread):
        for n in range(12):
            EnrollmentFactory(user=UserFactory(username=f"zqzed{n:02d}"), course=cast.course)
        found = usernames(cast.client("enrolled").get(url(active_thread, "zqzed")))
        assert found == [f"zqzed{n:02d}" for n in range(8)]

    def test_no_prefix_lists_members(self, cast, active_thread):
        found = usernames(cast.client("enrolled").get(url(active_thread)))
        assert len(found) == len(set(found)) <= 8
        assert cast.creator.username in found

    def test_only_readers_of_the_thread_and_never_myself(self, cast, active_thread):
        inactive = UserFactory(username="zqgone-inactive", is_active=False)
        EnrollmentFactory(user=inactive, course=cast.course)
        deleted = UserFactory(username="zqgone-deleted", deleted_at=timezone.now())
        EnrollmentFactory(user=deleted, course=cast.course)
        elsewhere = UserFactory(username="zqgone-elsewhere")
        EnrollmentFactory(user=elsewhere)
        client = cast.client("enrolled")
        assert usernames(client.get(url(active_thread, "zqgone"))) == []
        assert usernames(client.get(url(active_thread, cast.enrolled.username))) == []
        assert usernames(client.get(url(active_thread, cast.unenrolled.username))) == []
        found = usernames(client.get(url(active_thread, cast.instructor.username)))
        assert found == [cast.instructor.username]

    def test_queries_do_not_grow_with_the_course(
        self, cast, active_thread, django_assert_max_num_queries
    ):
        client = cast.client("enrolled")
        for n in range(30):
            EnrollmentFactory(user=UserFactory(username=f"zqmany{n}"), course=cast.course)
        with django_assert_max_num_queries(8):
            assert len(usernames(client.get(url(active_thread, "zqmany")))) == 8


def test_suggestions_are_throttled(cast, monkeypatch):
    from discussions import api

    monkeypatch.setattr(api.MemberSearchThrottle, "rate", "3/min")
    thread = ThreadFactory(course=cast.course, created_by=cast.creator)
    client = cast.client("enrolled")
    answers = [client.get(url(thread, "a")).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert client.get(url(thread, "a")).has_header("Retry-After")


def test_the_schema_documents_the_endpoint(cast):
    schema = cast.client("enrolled").get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/threads/{thread_id}/members/"]["get"]
    assert {"200", "401", "403", "404", "429"} <= set(operation["responses"])
    assert any(parameter["name"] == "q" for parameter in operation["parameters"])

"""Bad input over HTTP is a 4xx with a `detail`, never a 500 or a request held for nothing.

NUL bytes (which PostgreSQL text cannot hold), JSON nested past the parser's
recursion limit, and the NaN/Infinity literals Python's json module accepts but
JSON does not.
"""

import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import EnrollmentFactory, UserFactory, course_with_lessons
from tests.progress.factories import lessons_of

POLL = "/api/realtime/poll/"
DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
def token_user(transactional_db):
    user = UserFactory()
    return user, Token.objects.create(user=user).key


def post_poll(key: str, body: str | bytes):
    return Client().post(
        POLL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )


def assert_detail(response, status: int = 400) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert isinstance(response.json()["detail"], str)


# The polling fallback


@pytest.mark.parametrize(
    "wait",
    ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400, '"25"', "[]", "{}", "true"],
)
def test_poll_refuses_a_wait_that_is_not_a_finite_number(token_user, wait):
    user, key = token_user
    body = f'{{"topics": {{"user:{user.pk}": null}}, "wait": {wait}}}'
    assert_detail(post_poll(key, body))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_poll_refuses_non_finite_constants_anywhere_in_the_body(token_user, constant):
    user, key = token_user
    body = f'{{"topics": {{"user:{user.pk}": null}}, "wait": 0, "extra": [{constant}]}}'
    assert_detail(post_poll(key, body))


def test_poll_refuses_json_nested_past_the_parser_limit(token_user):
    user, key = token_user
    body = f'{{"topics": {{"user:{user.pk}": null}}, "wait": 0, "extra": {DEEP}}}'
    assert_detail(post_poll(key, body))
    assert_detail(post_poll(key, DEEP))


def test_poll_refuses_a_last_seen_id_beyond_a_database_integer(token_user):
    user, key = token_user
    body = json.dumps({"topics": {f"user:{user.pk}": 2**63}, "wait": 0})
    assert_detail(post_poll(key, body))


def test_poll_still_answers_a_valid_body(token_user):
    user, key = token_user
    body = json.dumps({"topics": {f"user:{user.pk}": None}, "wait": 0})
    response = post_poll(key, body)
    assert response.status_code == 200
    assert set(response.json()) == {"events", "last_ids", "reset"}


# NUL bytes


@pytest.fixture
def student_client(db):
    client = Client()
    client.force_login(UserFactory())
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/courses/?q=%00",
        "/courses/?q=a%00b",
        "/courses/?%00=1",
        "/messages/?to=%00",
        "/certificates/%00/",
        "/certificates/abc%00def/",
        "/leaderboard/?course=%00",
        "/notifications/?page=%00",
    ],
)
def test_nul_in_a_page_url_is_a_plain_400_page(student_client, url):
    response = student_client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"Bad request" in response.content


@pytest.mark.parametrize(
    "url",
    ["/api/courses/?search=%00", "/api/threads/?course=%00", "/api/courses/%00/"],
)
def test_nul_in_an_api_url_is_a_json_400(student_client, url):
    assert_detail(student_client.get(url))


@pytest.mark.parametrize(
    "form",
    [
        {"username": "alice\x00", "password": "x"},
        {"username\x00": "alice", "password": "x"},
    ],
)
def test_nul_in_a_posted_form_is_a_400(db, form):
    for body in (urlencode(form), urlencode(form).replace("%00", "\x00")):
        response = Client().post("/login/", body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
        assert b"Bad request" in response.content


def test_text_that_merely_mentions_percent_zero_zero_is_fine(student_client):
    # "%2500" is the text "%00", not a NUL byte.
    assert student_client.get("/courses/?q=%2500").status_code == 200


# JSON bodies of the REST API


@pytest.fixture
def api_user(db):
    user = UserFactory()
    return user, Token.objects.create(user=user).key


@pytest.mark.parametrize(
    "path",
    ["/api/auth/token/", "/api/threads/", "/api/messages/", "/api/lessons/{lesson}/complete/"],
)
def test_json_nested_past_the_parser_limit_is_a_400_on_the_api(api_user, path):
    user, key = api_user
    course = course_with_lessons(modules=1, lessons_per_module=1)
    EnrollmentFactory(user=user, course=course)
    response = Client().post(
        path.format(lesson=lessons_of(course)[0].pk),
        DEEP,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert_detail(response)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_a_400_on_the_api(api_user, constant):
    user, key = api_user
    course = course_with_lessons(modules=1, lessons_per_module=1)
    EnrollmentFactory(user=user, course=course)
    lesson = lessons_of(course)[0]
    response = Client().post(
        f"/api/lessons/{lesson.pk}/complete/",
        f'{{"score": {constant}}}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert_detail(response)


def test_forms_and_multipart_are_still_parsed_by_the_api(db):
    user = UserFactory()
    credentials = {"username": user.username, "password": "secret-pass-1"}
    multipart = Client().post("/api/auth/token/", credentials)  # the test client's default
    assert multipart.status_code == 200, multipart.content
    encoded = Client().post(
        "/api/auth/token/",
        f"username={user.username}&password=secret-pass-1",
        content_type="application/x-www-form-urlencoded",
    )
    assert encoded.status_code == 200, encoded.content

"""The account API: /api/me/ and what hangs off it, and the password reset request."""

import re

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import Avatar
from lms.catalog.models import User
from tests.accounts.conftest import PASSWORD, image_bytes, upload
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

ME_FIELDS = {"id", "username", "first_name", "last_name", "role", "avatar", "stats"}


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0]}")
    return client


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/me/"),
        ("patch", "/api/me/"),
        ("delete", "/api/me/"),
        ("post", "/api/me/avatar/"),
        ("delete", "/api/me/avatar/"),
        ("post", "/api/me/password/"),
        ("get", "/api/me/export/"),
    ],
)
def test_anonymous_clients_get_401(method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")
    assert response.status_code == 401
    assert "detail" in response.json()


# GET /api/me/


def test_me_keeps_its_shape_and_adds_email_and_leaderboard_choice(student, api):
    data = api.get("/api/me/").json()
    assert set(data) >= ME_FIELDS
    assert data["email"] == "ada@example.com"
    assert data["leaderboard_anonymous"] is False
    assert data["stats"]["courses_completed"] == 0


# PATCH /api/me/


def test_patch_me_changes_the_profile(student, api):
    response = api.patch(
        "/api/me/",
        {"first_name": "Grace", "email": "grace@example.com", "leaderboard_anonymous": True},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["first_name"], body["last_name"], body["email"]) == (
        "Grace",
        "Lovelace",
        "grace@example.com",
    )
    assert body["leaderboard_anonymous"] is True
    student.refresh_from_db()
    assert student.first_name == "Grace" and student.leaderboard_anonymous


def test_patch_me_with_form_data_leaves_absent_fields_alone(student):
    student.leaderboard_anonymous = True
    student.save()
    client = token_client(student)
    response = client.patch("/api/me/", {"last_name": "Byron"}, format="multipart")
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.last_name == "Byron" and student.leaderboard_anonymous is True


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "TAKEN@example.com"}, "email"),
        ({"email": "not an email"}, "email"),
        ({"email": ""}, "email"),
        ({"first_name": "x" * 151}, "first_name"),
        ({"leaderboard_anonymous": "perhaps"}, "leaderboard_anonymous"),
        ({"first_name": "Fine", "email": "taken@example.com"}, "email"),
    ],
)
def test_patch_me_with_bad_input_is_400_and_changes_nothing(student, api, body, field):
    UserFactory(email="taken@example.com")
    response = api.patch("/api/me/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    student.refresh_from_db()
    assert (student.first_name, student.email, student.leaderboard_anonymous) == (
        "Ada",
        "ada@example.com",
        False,
    )


def test_patch_me_ignores_fields_it_does_not_own(student, api):
    response = api.patch(
        "/api/me/", {"role": "admin", "is_staff": True, "username": "boss"}, format="json"
    )
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.role == "student" and not student.is_staff and student.username != "boss"


# POST/DELETE /api/me/avatar/


def test_avatar_upload_answers_the_user_with_the_new_avatar(student, api):
    response = api.post(
        "/api/me/avatar/", {"avatar": upload(image_bytes("GIF"), name="x.gif")}, format="multipart"
    )
    assert response.status_code == 200
    avatar = Avatar.objects.get(user=student)
    assert response.json()["avatar"] == default_storage.url(avatar.file_256)
    assert api.get("/api/me/").json()["avatar"] == response.json()["avatar"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"avatar": upload(b"hello" * 100, name="x.png")}, "not a JPEG, PNG, GIF or WebP"),
        ({"avatar": upload(image_bytes("PNG", size=(10, 10)))}, "32 to 4096 pixels"),
        ({}, "No file was submitted."),
        ({"avatar": "just text"}, "The submitted data was not a file"),
    ],
)
def test_avatar_upload_of_a_bad_file_is_400_with_a_message(student, api, body, message):
    response = api.post("/api/me/avatar/", body, format="multipart")
    assert response.status_code == 400
    assert message in str(response.json())
    student.refresh_from_db()
    assert student.avatar == "" and not Avatar.objects.exists()


def test_avatar_upload_too_large_is_400(student, api, settings):
    settings.AVATAR_MAX_BYTES = 100
    response = api.post("/api/me/avatar/", {"avatar": upload(image_bytes("PNG"))})
    assert response.status_code == 400
    assert "larger than" in str(response.json())


def test_avatar_upload_as_json_is_415(api):
    response = api.post("/api/me/avatar/", {"avatar": "x"}, format="json")
    assert response.status_code == 415


def test_avatar_delete_removes_it(student, api):
    api.post("/api/me/avatar/", {"avatar": upload(image_bytes("PNG"))}, format="multipart")
    assert api.delete("/api/me/avatar/").status_code == 204
    assert api.get("/api/me/").json()["avatar"] == ""
    assert not Avatar.objects.exists()


# POST /api/me/password/


def test_password_change_through_the_api_keeps_the_token_working(student):
    client = token_client(student)
    response = client.post(
        "/api/me/password/",
        {"old_password": PASSWORD, "new_password": "another-strong-phrase-8"},
        format="json",
    )
    assert response.status_code == 204
    student.refresh_from_db()
    assert student.check_password("another-strong-phrase-8")
    assert client.get("/api/me/").status_code == 200


def test_password_change_through_the_api_keeps_the_session_signed_in(student):
    client = APIClient()
    client.force_login(student)
    response = client.post(
        "/api/me/password/",
        {"old_password": PASSWORD, "new_password": "another-strong-phrase-8"},
        format="json",
    )
    assert response.status_code == 204
    assert client.get("/api/me/").status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"old_password": "wrong", "new_password": "another-strong-phrase-8"}, "old_password"),
        ({"old_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"old_password": PASSWORD, "new_password": "12345678901"}, "new_password"),
        ({"old_password": PASSWORD, "new_password": "password"}, "new_password"),
        ({"old_password": PASSWORD}, "new_password"),
    ],
)
def test_password_change_with_bad_input_is_400_and_changes_nothing(student, api, body, field):
    response = api.post("/api/me/password/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


# POST /api/auth/password-reset/


def test_password_reset_request_is_202_and_sends_djangos_email(student):
    response = APIClient().post(
        "/api/auth/password-reset/", {"email": "ada@example.com"}, format="json"
    )
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    assert re.search(r"http://testserver/reset/[^/\s]+/[^/\s]+/", mail.outbox[0].body)


def test_password_reset_request_for_an_unknown_address_is_the_same_202(student):
    known = APIClient().post("/api/auth/password-reset/", {"email": "ada@example.com"})
    unknown = APIClient().post("/api/auth/password-reset/", {"email": "who@example.com"})
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert len(mail.outbox) == 1


def test_password_reset_request_with_a_malformed_address_is_400(db):
    response = APIClient().post("/api/auth/password-reset/", {"email": "nope"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


def test_password_reset_request_is_throttled_like_sign_in(db, monkeypatch):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "login": "3/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    codes = [
        APIClient().post("/api/auth/password-reset/", {"email": "a@example.com"}).status_code
        for _ in range(4)
    ]
    assert codes == [202, 202, 202, 429]


def test_password_reset_request_ignores_a_bad_token(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.post("/api/auth/password-reset/", {"email": "a@example.com"}).status_code == 202


# GET /api/me/export/


def test_export_through_the_api(student, api):
    response = api.get("/api/me/export/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json()["profile"]["email"] == "ada@example.com"


# DELETE /api/me/


def test_delete_me_with_a_wrong_or_missing_password_is_400(student, api):
    for body in ({"password": "wrong"}, {}):
        response = api.delete("/api/me/", body, format="json")
        assert response.status_code == 400
        assert "password" in response.json()
    student.refresh_from_db()
    assert student.is_active and student.deleted_at is None


def test_delete_me_is_204_and_the_token_stops_working(student):
    client = token_client(student)
    response = client.delete("/api/me/", {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    assert client.get("/api/me/").status_code == 401
    assert not Token.objects.filter(user=student).exists()
    assert User.objects.get(pk=student.pk).deleted_at is not None


def test_delete_me_by_session_signs_the_browser_out(student):
    client = APIClient()
    client.force_login(student)
    assert client.delete("/api/me/", {"password": PASSWORD}, format="json").status_code == 204
    assert "_auth_user_id" not in client.session
    assert client.get("/api/me/").status_code == 401


def test_delete_me_as_an_instructor_is_403_with_the_reason(db):
    teacher = UserFactory(role="instructor")
    CourseFactory(instructor=teacher)
    client = token_client(teacher)
    response = client.delete("/api/me/", {"password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert "instructor of a course" in response.json()["detail"]
    teacher.refresh_from_db()
    assert teacher.is_active and teacher.deleted_at is None
    assert client.get("/api/me/").status_code == 200


# Rate limits and the schema


def test_account_writes_use_the_writes_throttle(student, api, monkeypatch):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "writes": "2/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    codes = [
        api.patch("/api/me/", {"first_name": f"N{n}"}, format="json").status_code for n in range(2)
    ]
    codes.append(api.post("/api/me/password/", {}, format="json").status_code)
    reads = [api.get("/api/me/").status_code for _ in range(3)]
    assert reads == [200, 200, 200]


def test_the_schema_lists_the_account_operations(student, api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert set(paths["/api/me/"]) >= {"get", "patch", "delete"}
    assert set(paths["/api/me/avatar/"]) >= {"post", "delete"}
    assert "post" in paths["/api/me/password/"]
    assert "get" in paths["/api/me/export/"]
    assert "post" in paths["/api/auth/password-reset/"]
    assert "multipart/form-data" in paths["/api/me/avatar/"]["post"]["requestBody"]["content"]
    account = schema["components"]["schemas"]["Account"]["properties"]
    assert ME_FIELDS | {"email", "leaderboard_anonymous"} <= set(account)

"""The account pages, without JavaScript: every form posts and answers with a page."""

import json
import re

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Avatar
from lms.catalog.models import User
from tests.accounts.conftest import PASSWORD, image_bytes, upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


def forms_of(html: str) -> list[str]:
    return re.findall(r"<form\b.*?</form>", html, flags=re.S)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# The account page


def test_account_page_needs_a_signed_in_user(db):
    response = Client().get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/account/")


def test_account_page_shows_the_profile_avatar_and_links(student, page_client):
    response = page_client.get(reverse("account"))
    assert response.status_code == 200
    html = text_of(response)
    assert 'value="Ada"' in html and 'value="Lovelace"' in html
    assert 'value="ada@example.com"' in html
    assert "Hide my name on leaderboards" in html
    assert 'name="leaderboard_anonymous"' in html
    for link in (
        "/account/password/",
        "/account/notifications/",
        "/progress/",
        "/account/export/",
        "/account/delete/",
    ):
        assert f'href="{link}"' in html, link
    assert 'enctype="multipart/form-data"' in html
    assert "You have no picture yet." in html
    assert "Remove picture" not in html  # nothing to remove yet
    assert '<script src="/static/js/account.js" defer></script>' in html
    # Every form posts, with a CSRF token.
    for form in forms_of(html):
        assert 'method="post"' in form
        assert 'name="csrfmiddlewaretoken"' in form


def test_profile_form_saves_and_confirms(student, page_client):
    response = page_client.post(
        "/account/",
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "leaderboard_anonymous": "on",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/account/", 302)]
    assert "Your profile is saved." in messages_of(response)
    student.refresh_from_db()
    assert (student.first_name, student.last_name, student.email) == (
        "Grace",
        "Hopper",
        "grace@example.com",
    )
    assert student.leaderboard_anonymous is True
    # Unticked: the box is absent from the post.
    page_client.post(
        "/account/", {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}
    )
    student.refresh_from_db()
    assert student.leaderboard_anonymous is False


@pytest.mark.parametrize(
    "email, message",
    [
        ("TAKEN@example.com", "An account with this email address already exists."),
        ("nope", "Enter a valid email address."),
        ("", "This field is required."),
    ],
)
def test_profile_form_shows_errors_and_changes_nothing(student, page_client, email, message):
    UserFactory(email="taken@example.com")
    response = page_client.post(
        "/account/", {"first_name": "Changed", "last_name": "Name", "email": email}
    )
    assert response.status_code == 200
    assert message in text_of(response)
    student.refresh_from_db()
    assert (student.first_name, student.email) == ("Ada", "ada@example.com")


def test_profile_form_needs_the_csrf_token(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post("/account/", {"first_name": "X", "email": "x@example.com"})
    assert response.status_code == 403
    student.refresh_from_db()
    assert student.first_name == "Ada"


# Avatar


def test_avatar_upload_form_stores_and_shows_the_picture(student, page_client):
    response = page_client.post(
        "/account/avatar/", {"avatar": upload(image_bytes("JPEG"), name="me.jpg")}, follow=True
    )
    assert response.redirect_chain == [("/account/", 302)]
    assert "Your new picture is in place." in messages_of(response)
    student.refresh_from_db()
    avatar = Avatar.objects.get(user=student)
    html = text_of(response)
    assert f'src="{student.avatar}"' in html
    assert f"/media/{avatar.file_64}" in html
    assert "Remove picture" in html
    # The site serves the file itself (SERVE_MEDIA), with DEBUG off too.
    served = page_client.get(student.avatar)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/webp"
    assert b"".join(served.streaming_content)[:4] == b"RIFF"


def test_avatar_upload_form_refuses_a_renamed_text_file(student, page_client):
    response = page_client.post(
        "/account/avatar/",
        {"avatar": upload(b"<?php echo 'hi'; ?>" * 20, name="me.png", content_type="image/png")},
    )
    assert response.status_code == 200
    assert "This file is not a JPEG, PNG, GIF or WebP image." in text_of(response)
    student.refresh_from_db()
    assert student.avatar == ""


def test_avatar_upload_form_without_a_file_says_so(student, page_client):
    response = page_client.post("/account/avatar/", {})
    assert response.status_code == 200
    assert "No file was submitted" in text_of(response) or "This field is required." in text_of(
        response
    )


def test_avatar_remove_form_clears_the_picture(student, page_client):
    page_client.post("/account/avatar/", {"avatar": upload(image_bytes("PNG"))})
    response = page_client.post("/account/avatar/remove/", follow=True)
    assert "Your picture is removed." in messages_of(response)
    student.refresh_from_db()
    assert student.avatar == ""
    assert "You have no picture yet." in text_of(response)


def test_avatar_forms_only_take_posts(page_client):
    assert page_client.get("/account/avatar/").status_code == 405
    assert page_client.get("/account/avatar/remove/").status_code == 405


# Password change


def test_password_change_page_changes_the_password_and_keeps_me_signed_in(student, page_client):
    page = page_client.get("/account/password/")
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in text_of(page)
    response = page_client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-phrase-77",
            "new_password2": "a-brand-new-phrase-77",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/account/password/done/", 302)]
    assert "Your password is changed." in text_of(response)
    student.refresh_from_db()
    assert student.check_password("a-brand-new-phrase-77")
    assert page_client.get("/account/").status_code == 200  # still signed in


def test_password_change_page_refuses_a_wrong_current_password(student, page_client):
    response = page_client.post(
        "/account/password/",
        {
            "old_password": "wrong",
            "new_password1": "a-brand-new-phrase-77",
            "new_password2": "a-brand-new-phrase-77",
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in text_of(response)
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


# Password reset by email


def reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_login_page_leads_to_the_password_reset(db):
    html = text_of(Client().get("/login/"))
    assert '<a href="/password-reset/">Forgot your password?</a>' in html


def test_password_reset_by_email_end_to_end(student):
    client = Client()
    page = client.get("/password-reset/")
    assert page.status_code == 200
    response = client.post("/password-reset/", {"email": "ADA@example.com"}, follow=True)
    assert response.redirect_chain == [("/password-reset/done/", 302)]
    assert "Check your email" in text_of(response)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Reset your password on testserver"
    assert "http://testserver/reset/" in message.body  # absolute, from the request
    assert student.username in message.body
    # Follow the link: Django moves the token out of the URL, then asks for a password.
    form_page = client.get(reset_link(message), follow=True)
    assert "Choose a new password" in text_of(form_page)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "my-fresh-phrase-2024", "new_password2": "my-fresh-phrase-2024"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/reset/done/"
    assert "Your new password is in place." in text_of(done)
    # Sign in with it through the login page.
    signed_in = Client().post(
        "/login/", {"username": student.username, "password": "my-fresh-phrase-2024"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    # The link works once.
    again = Client().get(reset_link(message), follow=True)
    assert "This link does not work" in text_of(again)


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(db):
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/done/"
    assert mail.outbox == []


def test_password_reset_sends_at_most_one_email_a_minute_per_address(student):
    client = Client()
    for _ in range(3):
        client.post("/password-reset/", {"email": "ada@example.com"})
    assert len(mail.outbox) == 1


def test_password_reset_lifts_the_sign_in_lockout_of_the_account(student, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        Client().post("/login/", {"username": student.username, "password": "wrong"})
    locked = Client().post("/login/", {"username": student.username, "password": PASSWORD})
    assert locked.status_code == 429
    Client().post("/password-reset/", {"email": "ada@example.com"})
    client = Client()
    set_url = client.get(reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "my-fresh-phrase-2024", "new_password2": "my-fresh-phrase-2024"}
    )
    signed_in = Client().post(
        "/login/", {"username": student.username, "password": "my-fresh-phrase-2024"}
    )
    assert signed_in.status_code == 302


# Sign-up asks for an email


def test_signup_page_asks_for_an_email(db):
    html = text_of(Client().get("/signup/"))
    assert 'type="email" name="email"' in html
    assert 'name="email"' in html and "required" in re.search(
        r"<input[^>]*name=\"email\"[^>]*>", html
    ).group(0)


def test_signup_without_an_email_creates_nothing(db):
    response = Client().post(
        "/signup/",
        {"username": "noemail", "password1": "a-long-pass-42", "password2": "a-long-pass-42"},
    )
    assert response.status_code == 200
    assert "This field is required." in text_of(response)
    assert not User.objects.filter(username="noemail").exists()


def test_signup_refuses_an_email_in_use_in_another_case(student):
    response = Client().post(
        "/signup/",
        {
            "username": "another",
            "email": "Ada@EXAMPLE.com",
            "password1": "a-long-pass-42",
            "password2": "a-long-pass-42",
        },
    )
    assert "An account with this email address already exists." in text_of(response)
    assert not User.objects.filter(username="another").exists()


# Download my data


def test_download_my_data_is_a_json_attachment(student, page_client):
    response = page_client.get("/account/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["profile"]["username"] == student.username
    assert "password" not in json.dumps(data)


def test_download_my_data_needs_a_signed_in_user(db):
    assert Client().get("/account/export/").status_code == 302


# Delete my account (the effects are in test_deletion.py)


def test_delete_page_explains_and_asks_for_the_password(page_client):
    response = page_client.get("/account/delete/")
    html = text_of(response)
    assert response.status_code == 200
    assert "This cannot be undone." in html
    assert 'type="password" name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_delete_page_with_a_wrong_password_deletes_nothing(student, page_client):
    response = page_client.post("/account/delete/", {"password": "wrong"})
    assert response.status_code == 200
    assert "That is not your current password." in text_of(response)
    student.refresh_from_db()
    assert student.is_active and student.deleted_at is None


def test_delete_page_deletes_signs_out_and_says_goodbye(student, page_client):
    response = page_client.post("/account/delete/", {"password": PASSWORD}, follow=True)
    assert response.redirect_chain == [("/login/", 302)]
    assert "Your account is deleted. Thank you for learning with us." in text_of(response)
    assert "_auth_user_id" not in page_client.session
    student.refresh_from_db()
    assert student.deleted_at is not None and not student.is_active
    assert page_client.get("/account/").status_code == 302
    # The old password signs nobody in.
    request = RequestFactory().post("/login/")
    assert not Client().login(username=f"deleted-{student.pk}", password=PASSWORD, request=request)

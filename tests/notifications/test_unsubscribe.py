"""The unsubscribe link of every email: a page with one button, and one-click (RFC 8058)."""

import re

import pytest
from django.core import mail
from django.test import Client

from notifications.emails import unsubscribe_token
from notifications.models import Channel, Kind, NotificationPreference
from notifications.services import notification_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://lms.example.org"


def channel_of(user, kind) -> str | None:
    return (
        NotificationPreference.objects.filter(user=user, kind=kind)
        .values_list("channel", flat=True)
        .first()
    )


def url_for(user, kind) -> str:
    return f"/unsubscribe/{unsubscribe_token(user_id=user.pk, kind=kind)}/"


def test_the_link_in_an_email_leads_to_a_page_with_one_button(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(user=user, kind=Kind.MENTION, title="You were mentioned")
    [message] = mail.outbox
    link = re.search(r"https://lms\.example\.org(/unsubscribe/[^/\s]+/)", message.body).group(1)

    page = Client().get(link)

    assert page.status_code == 200
    html = page.content.decode()
    assert "@mention of me" in html
    assert f'<form method="post" action="{link}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'href="/account/notifications/"' in html
    assert channel_of(user, Kind.MENTION) is None  # a GET changes nothing


def test_the_button_switches_that_kind_to_the_site(user):
    NotificationPreference.objects.create(user=user, kind=Kind.THREAD_REPLY, channel=Channel.EMAIL)

    response = Client().post(url_for(user, Kind.MENTION))

    assert response.status_code == 200
    assert "Unsubscribed" in response.content.decode()
    assert channel_of(user, Kind.MENTION) == Channel.SITE
    assert channel_of(user, Kind.THREAD_REPLY) == Channel.EMAIL


def test_one_click_from_a_mail_client_needs_no_session_or_csrf(user):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        url_for(user, Kind.ANNOUNCEMENT),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert channel_of(user, Kind.ANNOUNCEMENT) == Channel.SITE


def test_the_digest_link_moves_every_digest_kind_to_the_site(user):
    NotificationPreference.objects.create(user=user, kind=Kind.MENTION, channel=Channel.DIGEST)
    NotificationPreference.objects.create(user=user, kind=Kind.ANNOUNCEMENT, channel=Channel.OFF)

    page = Client().get(url_for(user, "digest"))
    assert "digest" in page.content.decode()
    response = Client().post(url_for(user, "digest"))

    assert response.status_code == 200
    assert channel_of(user, Kind.MENTION) == Channel.SITE
    assert channel_of(user, Kind.THREAD_REPLY) == Channel.SITE  # digest by default
    assert channel_of(user, Kind.ANNOUNCEMENT) == Channel.OFF
    assert channel_of(user, Kind.CERTIFICATE_ISSUED) is None  # email: not the digest


def test_a_kind_already_off_stays_off(user):
    NotificationPreference.objects.create(user=user, kind=Kind.MENTION, channel=Channel.OFF)

    page = Client().get(url_for(user, Kind.MENTION))
    assert "no longer get" in page.content.decode()
    Client().post(url_for(user, Kind.MENTION))

    assert channel_of(user, Kind.MENTION) == Channel.OFF


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "WzEsIm1lbnRpb24iXQ:1tampered0signature0000000000000000000",
    ],
)
def test_a_bad_token_is_a_400_and_changes_nothing(user, token):
    for response in (
        Client().get(f"/unsubscribe/{token}/"),
        Client().post(f"/unsubscribe/{token}/"),
    ):
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_a_token_for_another_user_or_kind_cannot_be_forged(user):
    other = UserFactory()
    signature = unsubscribe_token(user_id=user.pk, kind=Kind.MENTION).rsplit(":", 1)[1]
    forged_payload = unsubscribe_token(user_id=other.pk, kind=Kind.MENTION).rsplit(":", 1)[0]

    response = Client().post(f"/unsubscribe/{forged_payload}:{signature}/")

    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_a_token_signed_for_something_else_is_refused(user):
    from django.core import signing

    token = signing.dumps([user.pk, Kind.MENTION], salt="something.else")

    assert Client().post(f"/unsubscribe/{token}/").status_code == 400
    assert not NotificationPreference.objects.exists()


def test_a_token_of_a_user_who_no_longer_exists_is_refused():
    user = UserFactory()
    url = url_for(user, Kind.MENTION)
    user.delete()

    assert Client().post(url).status_code == 400


def test_a_link_checker_fetching_the_link_changes_nothing(user):
    url = url_for(user, Kind.MENTION)

    assert Client().head(url).status_code == 200
    assert Client().get(url).status_code == 200
    assert channel_of(user, Kind.MENTION) is None

"""Notification preferences: the page and the API, a channel per kind."""

import re

import pytest
from django.test import Client

from notifications.models import DEFAULT_CHANNELS, Channel, Kind, NotificationPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/account/notifications/"
API = "/api/me/notification-preferences/"


@pytest.fixture
def client(user):
    client = Client()
    client.force_login(user)
    return client


def stored(user) -> dict[str, str]:
    return dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))


def checked(html: str) -> dict[str, str]:
    """The channel whose radio is checked, per kind, as a browser would submit the form."""
    return dict(
        re.findall(r'<input type="radio" name="([a-z_]+)" value="([a-z]+)"[^>]*\schecked', html)
    )


# The page.


def test_the_page_lists_every_kind_with_its_default_preselected(client):
    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert checked(html) == {
        kind.value: channel.value for kind, channel in DEFAULT_CHANNELS.items()
    }
    for kind, label in Kind.choices:
        assert label in html
        for channel in Channel.values:
            assert f'name="{kind}" value="{channel}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_saving_the_form_stores_only_what_changed(client, user):
    choices = checked(client.get(PAGE).content.decode())
    choices.update({Kind.ANNOUNCEMENT: Channel.DIGEST, Kind.LESSON_COMPLETED: Channel.OFF})

    response = client.post(PAGE, choices, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "Your notification preferences are saved." in response.content.decode()
    assert stored(user) == {Kind.ANNOUNCEMENT: Channel.DIGEST, Kind.LESSON_COMPLETED: Channel.OFF}
    assert checked(response.content.decode())[Kind.ANNOUNCEMENT] == Channel.DIGEST


def test_saving_again_changes_a_stored_choice(client, user):
    NotificationPreference.objects.create(user=user, kind=Kind.MENTION, channel=Channel.OFF)

    client.post(PAGE, {Kind.MENTION: Channel.EMAIL})

    assert stored(user) == {Kind.MENTION: Channel.EMAIL}


def test_an_unknown_channel_is_refused_and_changes_nothing(client, user):
    response = client.post(PAGE, {Kind.MENTION: Channel.OFF, Kind.ANNOUNCEMENT: "pigeon"})

    assert response.status_code == 400
    assert stored(user) == {}


def test_the_form_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(PAGE, {Kind.MENTION: Channel.OFF}).status_code == 403
    assert stored(user) == {}


def test_the_page_needs_login():
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_queries_stay_bounded(client, user, django_assert_max_num_queries):
    for kind in (Kind.MENTION, Kind.ANNOUNCEMENT, Kind.THREAD_REPLY):
        NotificationPreference.objects.create(user=user, kind=kind, channel=Channel.OFF)

    with django_assert_max_num_queries(6):
        assert client.get(PAGE).status_code == 200


# The API.


def test_the_api_lists_every_kind_with_channel_and_default(auth_client, user):
    NotificationPreference.objects.create(user=user, kind=Kind.MENTION, channel=Channel.OFF)

    response = auth_client.get(API)

    assert response.status_code == 200
    body = response.json()
    assert body["channels"] == ["site", "email", "digest", "off"]
    assert [row["kind"] for row in body["preferences"]] == Kind.values
    mention = next(row for row in body["preferences"] if row["kind"] == "mention")
    assert mention == {
        "kind": "mention",
        "label": "@mention of me",
        "channel": "off",
        "default": "email",
    }
    reply = next(row for row in body["preferences"] if row["kind"] == "thread_reply")
    assert reply["channel"] == reply["default"] == "digest"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_the_api_changes_the_kinds_given(auth_client, user, method):
    response = getattr(auth_client, method)(
        API, {"preferences": {"announcement": "off", "thread_reply": "email"}}, format="json"
    )

    assert response.status_code == 200
    channels = {row["kind"]: row["channel"] for row in response.json()["preferences"]}
    assert channels["announcement"] == "off"
    assert channels["thread_reply"] == "email"
    assert channels["mention"] == "email"  # untouched: its default
    assert stored(user) == {"announcement": "off", "thread_reply": "email"}


@pytest.mark.parametrize(
    "body",
    [
        {"preferences": {"announcement": "off", "carrier_pigeon": "email"}},
        {"preferences": {"announcement": "off", "mention": "sms"}},
        {"preferences": {"announcement": "off", "mention": 3}},
        {"preferences": ["announcement"]},
        {},
    ],
)
def test_the_api_refuses_unknown_kinds_and_channels_and_changes_nothing(auth_client, user, body):
    response = auth_client.patch(API, body, format="json")

    assert response.status_code == 400
    assert "preferences" in response.json()
    assert stored(user) == {}


def test_the_api_needs_a_signed_in_user(api_client):
    assert api_client.get(API).status_code == 401
    assert api_client.patch(API, {"preferences": {}}, format="json").status_code == 401


def test_each_user_sees_and_changes_only_their_own(auth_client, user):
    other = UserFactory()
    NotificationPreference.objects.create(user=other, kind=Kind.MENTION, channel=Channel.OFF)

    auth_client.patch(API, {"preferences": {"mention": "digest"}}, format="json")

    assert stored(other) == {"mention": "off"}
    assert stored(user) == {"mention": "digest"}


def test_the_api_is_in_the_schema(auth_client):
    schema = auth_client.get("/api/schema/?format=json").json()

    operations = schema["paths"]["/api/me/notification-preferences/"]
    assert {"get", "put", "patch"} <= set(operations)

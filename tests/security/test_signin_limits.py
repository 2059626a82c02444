"""Password guessing is slowed on every sign-in path: per account and per client address.

The limits run with django-axes on, as in production: only the failure count and
the login throttle are set here, from the settings a deployment would use.
"""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.test import AsyncClient, Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import StaffFactory, UserFactory
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ATTEMPTS = 40
LOCKED_TEXT = "Too many failed sign-in attempts"


def forwarded(index: int) -> str:
    """A different made-up X-Forwarded-For on every attempt."""
    return f"203.0.113.{index % 250 + 1}, 198.51.100.{index % 200 + 7}"


@pytest.fixture
def generous_login_throttle(monkeypatch):
    """The DRF login throttle out of the way, so the lockout itself is what answers."""
    rates = dict(ScopedRateThrottle.THROTTLE_RATES, login="1000/min")
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)


def expected_statuses(failure_status: int) -> list[int]:
    limit = django_settings.AXES_FAILURE_LIMIT
    return [failure_status] * (limit - 1) + [429] * (ATTEMPTS - limit + 1)


def page_attempts(client: Client, path: str, username: str) -> list[int]:
    return [
        client.post(
            path,
            {"username": username, "password": f"guess-{i}"},
            HTTP_X_FORWARDED_FOR=forwarded(i),
        ).status_code
        for i in range(ATTEMPTS)
    ]


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_limits_are_configured_for_account_and_address():
    assert django_settings.AXES_FAILURE_LIMIT == 10
    assert django_settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert django_settings.AXES_LOCKOUT_PARAMETERS == ["ip_address", "username"]
    assert django_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert django_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


@pytest.mark.parametrize(
    ("path", "make_user"),
    [("/login/", UserFactory), ("/admin/login/", StaffFactory)],
    ids=["login-page", "admin-login"],
)
def test_login_page_locks_after_the_limit_despite_rotating_forwarded_for(path, make_user):
    user = make_user()
    client = Client()
    assert page_attempts(client, path, user.username) == expected_statuses(200)

    locked = client.post(path, {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert LOCKED_TEXT in locked.content.decode()
    assert locked["Content-Type"].startswith("text/html")
    assert int(locked["Retry-After"]) == 15 * 60
    assert not signed_in(client)

    other = make_user()
    elsewhere = Client(REMOTE_ADDR="192.0.2.44")
    response = elsewhere.post(path, {"username": other.username, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in(elsewhere)


def test_token_endpoint_locks_after_the_limit_despite_rotating_forwarded_for(
    generous_login_throttle,
):
    user = UserFactory()
    client = APIClient()
    responses = [
        client.post(
            "/api/auth/token/",
            {"username": user.username, "password": f"guess-{i}"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded(i),
        )
        for i in range(ATTEMPTS)
    ]
    assert [r.status_code for r in responses] == expected_statuses(400)

    locked = client.post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert LOCKED_TEXT in locked.json()["detail"]
    assert int(locked["Retry-After"]) == 15 * 60
    assert not Token.objects.filter(user=user).exists()

    other = UserFactory()
    elsewhere = APIClient(REMOTE_ADDR="192.0.2.45")
    response = elsewhere.post(
        "/api/auth/token/", {"username": other.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=other).key


def test_login_throttle_counts_the_connecting_address_not_the_forwarded_header(monkeypatch):
    rates = dict(ScopedRateThrottle.THROTTLE_RATES, login="3/min")
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    user = UserFactory()
    client = APIClient()
    statuses = [
        client.post(
            "/api/auth/token/",
            {"username": user.username, "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded(i),
        ).status_code
        for i in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


def test_an_account_locks_whatever_address_the_guesses_come_from(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory()
    # Behind a trusted proxy each guess really comes from another address.
    assert page_attempts(Client(), "/login/", user.username) == expected_statuses(200)
    fresh = Client(REMOTE_ADDR="192.0.2.60")
    response = fresh.post(
        "/login/",
        {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.61",
    )
    assert response.status_code == 429
    assert not signed_in(fresh)


def test_an_address_locks_whatever_accounts_it_guesses():
    victims = [UserFactory() for _ in range(3)]
    client = Client(REMOTE_ADDR="192.0.2.70")
    statuses = [
        client.post("/login/", {"username": f"nobody-{i}", "password": "guess"}).status_code
        for i in range(ATTEMPTS)
    ]
    assert statuses == expected_statuses(200)
    for victim in victims:
        response = client.post("/login/", {"username": victim.username, "password": PASSWORD})
        assert response.status_code == 429
    assert not signed_in(client)
    # Those accounts are fine from anywhere else.
    elsewhere = Client(REMOTE_ADDR="192.0.2.71")
    assert (
        elsewhere.post(
            "/login/", {"username": victims[0].username, "password": PASSWORD}
        ).status_code
        == 302
    )


def test_failures_on_one_path_count_on_the_others(generous_login_throttle):
    user = UserFactory()
    limit = django_settings.AXES_FAILURE_LIMIT
    client = Client()
    for i in range(limit):
        client.post("/login/", {"username": user.username, "password": f"guess-{i}"})
    response = APIClient().post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert not Token.objects.filter(user=user).exists()


def test_a_few_wrong_passwords_then_the_right_one_signs_in():
    user = UserFactory()
    client = Client()
    for i in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert (
            client.post("/login/", {"username": user.username, "password": f"x{i}"}).status_code
            == 200
        )
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db(transaction=True)
async def test_lockout_page_on_the_async_stack_is_a_429_page():
    from asgiref.sync import sync_to_async

    user = await sync_to_async(UserFactory)()
    client = AsyncClient()
    statuses = []
    for i in range(django_settings.AXES_FAILURE_LIMIT + 1):
        response = await client.post(
            "/login/", {"username": user.username, "password": f"guess-{i}"}
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert LOCKED_TEXT in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_staff_see_sign_in_failures_in_the_admin():
    user = UserFactory()
    Client().post("/login/", {"username": user.username, "password": "wrong"})
    staff = Client()
    staff.force_login(StaffFactory())
    page = staff.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert user.username in page.content.decode()

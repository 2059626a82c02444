"""Nothing internal leaks: /healthz reports status only, /metrics is served to whom it may be."""

import logging
import re
from pathlib import Path

import pytest
from django.db import utils as db_utils
from django.test import Client, RequestFactory
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle

from lms.platform.client_address import client_ip
from tests.lms.test_database_unavailable import every_query_fails_with, unreachable_error

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

# What a driver error names: where the database is and who connects to it.
SECRET_DETAILS = ["db-secret.internal", "10.9.8.7", "6543", "lms_owner"]


def revealing_error() -> Exception:
    """An error whose message names the host, address, port and role, as drivers' do."""
    return db_utils.OperationalError(
        'connection to server at "db-secret.internal" (10.9.8.7), port 6543 failed: '
        'FATAL:  password authentication failed for user "lms_owner"'
    )


def failing_health(error: Exception, monkeypatch):
    with every_query_fails_with(error, monkeypatch):
        return Client().get("/healthz")


def test_healthz_reports_a_database_outage_without_its_details(monkeypatch, caplog):
    with caplog.at_level(logging.WARNING):
        response = failing_health(revealing_error(), monkeypatch)
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["database"]["ok"] is False
    assert "error" not in body["database"]
    text = response.content.decode()
    for detail in SECRET_DETAILS:
        assert detail not in text
    # The operator still finds the cause in the log.
    assert "db-secret.internal" in caplog.text


def test_healthz_hides_the_real_driver_error_too(monkeypatch):
    error = unreachable_error()
    response = failing_health(error, monkeypatch)
    assert response.status_code == 503
    assert str(error)[:40] not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_still_reports_health():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["database"]["ok"] is True


# /metrics


def get_metrics(remote_addr: str = "127.0.0.1", **headers):
    return Client(REMOTE_ADDR=remote_addr).get("/metrics", **headers)


def test_metrics_are_served_to_the_local_host():
    for address in ("127.0.0.1", "::1"):
        response = get_metrics(address)
        assert response.status_code == 200
        assert b"lms_" in response.content


def test_metrics_are_refused_to_other_addresses():
    response = get_metrics("203.0.113.5")
    assert response.status_code == 403
    assert b"lms_" not in response.content


def test_a_forwarded_header_does_not_open_metrics_without_a_trusted_proxy():
    response = get_metrics("203.0.113.5", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403


def test_behind_a_trusted_proxy_the_forwarded_address_decides(settings):
    """nginx connects from 127.0.0.1: what counts is the address it forwards."""
    settings.TRUSTED_PROXY_COUNT = 1
    assert get_metrics(HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    # A client's own X-Forwarded-For, appended to by the proxy, is not believed.
    assert get_metrics(HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9").status_code == 403
    # A scrape straight to Daphne carries no header: the connecting address counts.
    assert get_metrics().status_code == 200


def test_metrics_allow_list_takes_addresses_and_networks(settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.0.2.7"]
    assert get_metrics("10.1.2.3").status_code == 200
    assert get_metrics("192.0.2.7").status_code == 200
    assert get_metrics("192.0.2.8").status_code == 403
    assert get_metrics("127.0.0.1").status_code == 403


def test_metrics_token_opens_metrics_from_anywhere(settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert (
        get_metrics("203.0.113.5", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code
        == 200
    )
    for wrong in ("Bearer wrong", "Bearer ", "s3cret-scrape-token", "Token s3cret-scrape-token"):
        assert get_metrics("203.0.113.5", HTTP_AUTHORIZATION=wrong).status_code == 403


def test_without_a_configured_token_no_bearer_opens_metrics(settings):
    settings.METRICS_TOKEN = ""
    assert get_metrics("203.0.113.5", HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert get_metrics("203.0.113.5", HTTP_AUTHORIZATION="Bearer").status_code == 403


def test_metrics_settings_default_to_the_local_host_and_no_token(settings):
    assert settings.METRICS_ALLOWED_IPS == ["127.0.0.1/32", "::1/128"]
    assert settings.METRICS_TOKEN == ""


# One client address for sign-in limits, /metrics and API throttles


class AnyThrottle(SimpleRateThrottle):
    rate = "1/min"


@pytest.mark.parametrize("proxies", [0, 1, 2])
@pytest.mark.parametrize(
    "forwarded",
    [None, "198.51.100.1", "198.51.100.1, 203.0.113.2", "10.0.0.1, 198.51.100.1, 203.0.113.2"],
)
def test_throttles_and_lockouts_see_the_same_client_address(settings, proxies, forwarded):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **headers)
    drf_request = APIRequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **headers)
    assert client_ip(request) == AnyThrottle().get_ident(drf_request)


def test_settings_feed_drf_the_trusted_proxy_count(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT == 0


def test_a_malformed_forwarded_address_falls_back_to_the_connecting_one(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="nonsense")
    assert client_ip(request) == "192.0.2.1"


# The shipped deployment


def test_nginx_never_proxies_metrics_and_overwrites_the_forwarded_address():
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"location = /metrics \{\s*return 404;\s*\}", nginx)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    assert "$proxy_add_x_forwarded_for" not in nginx


def test_the_example_environment_trusts_nginx_as_the_one_proxy():
    example = (ROOT / "deploy" / "lms.env.example").read_text().splitlines()
    assert "TRUSTED_PROXY_COUNT=1" in example

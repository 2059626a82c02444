"""The realtime health API and page: staff only, fed by the snapshots of every process."""

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from lms.realtime import health
from lms.realtime.presence import PROCESS_ID
from tests.factories import InstructorFactory, StaffFactory, UserFactory

API = "/api/realtime/health/"
PAGE = "/staff/realtime/"


def constructed(process: str, ts: float, **figures) -> dict:
    record = {
        "process": process,
        "hostname": "web-9",
        "pid": 4242,
        "started_at": ts - 600,
        "ts": ts,
        "open_connections": 0,
        "held_polls": 0,
        "joins": 0,
        "rejected_joins": 0,
        "events_published": 0,
        "events_delivered": 0,
        "polls": 0,
        "consumer_errors": 0,
        "failed_handshakes": {"anonymous": 0, "origin": 0},
        "latency_buckets": [["0.01", 0], ["+Inf", 0]],
        "serves": ["websockets"],
    }
    record.update(figures)
    return record


@pytest.fixture(params=["redis", "memory"])
def health_store(request, settings, db):
    """Each store, with this test's own namespace (Redis) or an empty ring (memory)."""
    if request.param == "redis":
        request.getfixturevalue("redis_url")
        settings.REDIS_URL = request.getfixturevalue("redis_url")
    else:
        settings.REDIS_URL = ""
        health._memory.rings.clear()
    return health.store()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_gets_401_and_non_staff_403(db):
    assert APIClient().get(API).status_code == 401
    assert as_user(UserFactory()).get(API).status_code == 403
    assert as_user(InstructorFactory()).get(API).status_code == 403


def test_staff_sees_this_process_once_it_has_reported(health_store):
    health.report()
    body = as_user(StaffFactory()).get(API).json()
    assert set(body) >= {"processes", "totals", "generated_at"}
    (mine,) = [p for p in body["processes"] if p["id"] == PROCESS_ID]
    assert set(mine["failed_handshakes"]) >= {"anonymous", "origin", "too_many_sockets", "error"}
    assert body["totals"]["processes"] == len(body["processes"])


def test_rates_and_totals_come_from_each_processes_ring(health_store):
    now = time.time()
    for process, joins in (("proc-a", 60), ("proc-b", 120)):
        health_store.add(constructed(process, now - 62))
        health_store.add(constructed(process, now - 2, joins=joins, open_connections=5))
    body = as_user(StaffFactory()).get(API).json()
    rows = {p["id"]: p for p in body["processes"] if p["id"].startswith("proc-")}
    assert rows["proc-a"]["joins_per_minute"] == 60
    assert rows["proc-b"]["joins_per_minute"] == 120
    assert rows["proc-a"]["open_connections"] == 5
    assert body["totals"]["joins_per_minute"] >= 180
    assert body["totals"]["open_connections"] >= 10


def test_a_process_silent_for_three_intervals_drops_off(health_store, settings):
    now = time.time()
    silent_for = 3 * settings.REALTIME_HEALTH_INTERVAL + 1
    health_store.add(constructed("proc-gone", now - silent_for))
    health_store.add(constructed("proc-live", now))
    ids = {p["id"] for p in as_user(StaffFactory()).get(API).json()["processes"]}
    assert "proc-live" in ids
    assert "proc-gone" not in ids


def test_another_namespace_does_not_see_the_processes(settings, redis_url):
    settings.REDIS_URL = redis_url
    health.store().add(constructed("proc-elsewhere", time.time()))
    settings.REALTIME_NAMESPACE = settings.REALTIME_NAMESPACE + "-other-site"
    assert "proc-elsewhere" not in health.store().rings_since(0)


def test_health_is_in_the_api_schema(db):
    schema = as_user(StaffFactory()).get("/api/schema/", {"format": "json"}).json()
    assert "get" in schema["paths"]["/api/realtime/health/"]


def test_page_redirects_anonymous_to_sign_in_and_refuses_non_staff(db):
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert "next=/staff/realtime/" in response["Location"]
    for user in (UserFactory(), InstructorFactory()):
        client = Client()
        client.force_login(user)
        assert client.get(PAGE).status_code == 403


def test_the_page_is_linked_only_where_it_opens(db):
    """Staff find it on the admin's index; an instructor's course authoring, which shows
    the same index, does not lead to a page that refuses them."""
    staff = Client()
    staff.force_login(StaffFactory(is_superuser=True))
    assert f'href="{PAGE}"' in staff.get("/admin/").content.decode()
    assert staff.get(PAGE).status_code == 200
    instructor = Client()
    instructor.force_login(InstructorFactory())
    index = instructor.get("/teach/admin/").content.decode()
    assert 'href="/teach/admin/lms/course/"' in index  # the index, with its app list
    assert PAGE not in index


def test_page_shows_a_row_per_process_and_the_totals(health_store):
    health_store.add(constructed("proc-page", time.time(), open_connections=7))
    client = Client()
    client.force_login(StaffFactory())
    response = client.get(PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-process="proc-page"' in page
    assert "web-9 · pid 4242 · proc-page" in page
    assert "Total" in page
    assert "js/health.js" in page


def test_admin_index_links_to_the_page(db):
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    assert f'href="{PAGE}"' in client.get("/admin/").content.decode()

"""The "My progress" page in a real Chromium against a real Daphne seeded with seed_demo:
carol learns through the API while the page is open, and the figures and today's cell of
the heat map change without a reload, under the site's Content-Security-Policy."""

import json
import re
import urllib.request

import pytest

from tests.lms.servers import seeded_site

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with seeded_site(tmp_path_factory.mktemp("site")) as base_url:
        yield base_url


def call(site: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        f"{site}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Token {token}"} if token else {}),
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def test_the_page_follows_learning_live(site, browser):
    from playwright.sync_api import expect

    token = call(site, "/api/auth/token/", {"username": "carol", "password": "carol"})["token"]
    call(site, "/api/courses/1/enroll/", {}, token)
    course = call(site, "/api/courses/1/", token=token)
    lesson = course["modules"][0]["lessons"][0]["id"]

    context = browser.new_context(base_url=site)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/login/")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", "carol")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto("/progress/")
    expect(page.locator("#rt-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.__notReloaded = true")
    today = page.locator("#activity-chart rect.is-today")
    expect(today).to_have_class(re.compile(r"\blevel-0\b"))
    assert page.locator("#activity-chart rect.day").count() == 84

    call(site, f"/api/lessons/{lesson}/complete/", {"score": 90}, token)

    expect(page.locator('[data-stat="current_streak"]')).to_have_text("1")
    expect(page.locator('[data-stat="longest_streak"]')).to_have_text("1")
    expect(page.locator('[data-stat="average_score"]')).to_have_text("90")
    expect(today).to_have_class(re.compile(r"\blevel-1\b"))
    expect(today.locator("title")).to_have_text(re.compile(r": 0 min, 1 lesson$"))
    expect(page.locator('[data-locked-achievement="first_lesson"]')).to_have_count(0)
    expect(page.locator('[data-achievement="first_lesson"]')).to_have_count(1)

    call(site, f"/api/lessons/{lesson}/activity/", {"seconds": 300}, token)

    expect(page.locator('[data-stat="total_time_spent"]')).to_have_text("5 min")
    expect(today.locator("title")).to_have_text(re.compile(r": 5 min, 1 lesson$"))
    expect(page.locator('[data-activity-total="minutes"]')).to_have_text("5 min")
    expect(page.locator('[data-activity-total="active_days"]')).to_have_text("1 day")
    assert page.evaluate("window.__notReloaded") is True
    assert problems == []
    context.close()

"""The leaderboard page in a real Chromium against a real Daphne seeded with seed_demo.

Alice watches the global board while Bob, then a student with a hostile name, learn
through the API: the rows move live (FLIP), Alice's own rank follows, and names stay text.
"""

import json
import re
import urllib.request

import pytest

from tests.lms.servers import seeded_site

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HOSTILE = "<img src=x onerror=alert(1)>"
CREATE_MALLORY = f"""
from lms.catalog.models import User
user = User.objects.create_user("mallory", password="mallory", first_name={HOSTILE!r})
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with seeded_site(tmp_path_factory.mktemp("site"), CREATE_MALLORY) as base_url:
        yield base_url


def api(site: str, path: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(
        f"{site}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Token {token}"} if token else {}),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def spend_time(site: str, username: str, seconds: int) -> None:
    """Sign in through the API, enroll in the first course and spend time in its lessons
    (a first report on a lesson is credited in full, up to 300 seconds)."""
    token = api(site, "/api/auth/token/", {"username": username, "password": username})["token"]
    api(site, "/api/courses/1/enroll/", {}, token)
    request = urllib.request.Request(
        f"{site}/api/courses/1/", headers={"Authorization": f"Token {token}"}
    )
    course = json.loads(urllib.request.urlopen(request, timeout=10).read())
    lessons = [lesson["id"] for module in course["modules"] for lesson in module["lessons"]]
    for lesson in lessons[: (seconds + 299) // 300]:
        spent = min(300, seconds)
        api(site, f"/api/lessons/{lesson}/activity/", {"seconds": spent}, token)
        seconds -= spent


def test_board_moves_live_for_a_watching_student(site, browser):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=site)
    context.set_default_timeout(15_000)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto("/leaderboard/")
    expect(page.locator("#rt-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.__notReloaded = true")
    alice_id = page.locator("body").get_attribute("data-user-id")
    rows = page.locator("#leaderboard-entries tr[data-user-id]")
    expect(rows.first).to_have_attribute("data-user-id", alice_id)
    expect(page.locator("#leaderboard-me [data-field=rank]")).to_have_text("1")

    spend_time(site, "bob", 300)  # 5 minutes: 0.5 points

    expect(rows.first.locator("[data-field=name]")).to_have_text(re.compile("Bob"))
    expect(rows.first.locator("[data-field=points]")).to_have_text("0.5")
    alice_row = page.locator(f'#leaderboard-entries tr[data-user-id="{alice_id}"]')
    expect(alice_row).to_have_class(re.compile(r"\bis-me\b"))
    expect(alice_row).to_have_class(re.compile(r"\blb-moving\b"))  # slid down, not jumped
    expect(page.locator("#leaderboard-me [data-field=rank]")).to_have_text("2")

    spend_time(site, "mallory", 600)

    expect(rows.first.locator("[data-field=name]")).to_have_text(HOSTILE)
    expect(rows.first.locator("[data-field=points]")).to_have_text("1")
    assert page.locator("#leaderboard-entries img[src=x]").count() == 0
    assert dialogs == []
    assert page.evaluate("window.__notReloaded") is True
    context.close()

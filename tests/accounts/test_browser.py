"""The account page in a real Chromium against a real Daphne seeded with seed_demo.

Alice uploads a picture through the form and Bob, reading the course's thread, sees
it on her next message, live; the page keeps to the Content-Security-Policy.
"""

import io
import json
import os
import re
import urllib.request

import pytest
from PIL import Image

from tests.lms.servers import daphne, manage, server_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

MAX_BYTES = 60_000


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("site")
    env = server_env(
        directory / "site.sqlite3",
        MEDIA_ROOT=str(directory / "media"),
        AVATAR_MAX_BYTES=str(MAX_BYTES),
    )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    with daphne(env) as base_url:
        yield base_url


def picture(path, size=(400, 300), noisy=False) -> str:
    image = (
        Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
        if noisy
        else Image.new("RGB", size, (30, 120, 200))
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def signed_in_page(browser, site, username):
    context = browser.new_context(base_url=site)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", username)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/")
    return page


def api_post(site, path, body, token):
    request = urllib.request.Request(
        f"{site}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def token_of(site, username):
    request = urllib.request.Request(
        f"{site}/api/auth/token/",
        data=json.dumps({"username": username, "password": username}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["token"]


def test_a_picture_uploaded_on_the_account_page_shows_live_to_a_classmate(site, browser, tmp_path):
    from playwright.sync_api import expect

    alice = signed_in_page(browser, site, "alice")
    violations = []
    alice.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m))
    alice.goto("/account/")
    expect(alice.locator("h1")).to_have_text("Your account")

    # Too large in bytes: the script says so and nothing is sent.
    alice.set_input_files("#id_avatar", picture(tmp_path / "big.png", noisy=True))
    expect(alice.locator("[data-avatar-error]")).to_contain_text("larger than")
    alice.get_by_role("button", name="Upload picture").click()
    expect(alice.locator(".avatar-large")).to_have_count(1)
    expect(alice.get_by_text("You have no picture yet.")).to_be_visible()

    # Bob reads the course's thread.
    bob = signed_in_page(browser, site, "bob")
    bob.goto("/courses/1/discussions/")
    bob.locator(".thread-list a").first.click()
    expect(bob.locator("#rt-status")).to_have_attribute("data-state", "live")

    # A real picture.
    alice.set_input_files("#id_avatar", picture(tmp_path / "me.png"))
    expect(alice.locator("[data-avatar-error]")).to_be_hidden()
    alice.get_by_role("button", name="Upload picture").click()
    expect(alice.get_by_text("Your new picture is in place.")).to_be_visible()
    large = alice.locator("img.avatar-large")
    expect(large).to_have_attribute("src", re.compile(r"^/media/avatars/\d+/\w+-256\.webp$"))
    alice.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=large.element_handle()
    )
    assert large.evaluate("img => img.naturalWidth") == 256

    # Her next message reaches Bob's page with the new picture.
    thread_id = int(re.search(r"/threads/(\d+)/", bob.url)[1])
    api_post(
        site,
        f"/api/threads/{thread_id}/messages/",
        {"content": "New picture!"},
        token_of(site, "alice"),
    )
    message = bob.locator(".chat-message", has_text="New picture!")
    expect(message).to_have_count(1)
    avatar = message.locator("img.avatar")
    expect(avatar).to_have_attribute("src", large.get_attribute("src"))
    bob.wait_for_function(
        "img => img.complete && img.naturalWidth === 256", arg=avatar.element_handle()
    )

    # Removing it.
    alice.get_by_role("button", name="Remove picture").click()
    expect(alice.get_by_text("Your picture is removed.")).to_be_visible()
    expect(alice.get_by_text("You have no picture yet.")).to_be_visible()
    assert violations == []


def test_the_account_pages_run_under_the_policy_without_a_violation(site, browser):
    from tests.security.test_csp_browser import Watched

    bob = Watched(browser, site)
    try:
        bob.visit("/password-reset/", live=False, ready="input[name=email]")
        bob.visit("/password-reset/done/", live=False)
        bob.visit("/reset/MQ/not-a-token/", live=False)
        bob.visit("/reset/done/", live=False)
        bob.sign_in("bob")
        bob.visit("/account/", ready="img.avatar-large, .avatar-large")
        bob.visit("/account/password/", ready="input[name=old_password]")
        bob.visit("/account/delete/", ready="input[name=password]")
    finally:
        bob.close()

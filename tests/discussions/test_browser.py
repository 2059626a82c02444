"""Alice and Bob in two real browsers against a real Daphne seeded with seed_demo.

They open the demo thread and a direct conversation; each sees the other online, sees
them typing, and sees their messages arrive without a reload, and the read state of a
direct message changes live.
"""

import re

import pytest

from tests.lms.servers import seeded_site

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    with seeded_site(tmp_path_factory.mktemp("site")) as base_url:
        yield base_url


class Person:
    """One signed-in browser context; counts the alert() dialogs it would have shown."""

    def __init__(self, browser, base_url: str, username: str) -> None:
        from playwright.sync_api import expect

        self.context = browser.new_context()
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on(
            "dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss())
        )
        self.base_url = base_url
        self.page.goto(f"{base_url}/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", username)
        self.page.click("button[type=submit]")
        expect(self.page.locator(".nav-username")).to_be_visible()
        self.name = self.page.locator(".nav-username").inner_text().strip()
        self.id = int(self.page.locator("body").get_attribute("data-user-id"))

    def open(self, path: str) -> None:
        from playwright.sync_api import expect

        self.page.goto(f"{self.base_url}{path}")
        expect(self.page.locator("#rt-status")).to_have_attribute("data-state", "live")


def test_alice_and_bob_in_a_thread(demo_site, browser):
    from playwright.sync_api import expect

    alice = Person(browser, demo_site, "alice")
    bob = Person(browser, demo_site, "bob")
    alice.open("/courses/1/discussions/")
    alice.page.locator("#thread-list .thread-title").first.click()
    expect(alice.page.locator("#thread")).to_be_visible()
    thread_path = re.sub(r"^https?://[^/]+", "", alice.page.url).split("#")[0]
    expect(alice.page.locator("#rt-status")).to_have_attribute("data-state", "live")
    bob.open(thread_path)

    # Each sees the other online, with a name and an avatar.
    for viewer, other in ((alice, bob), (bob, alice)):
        online = viewer.page.locator(f'#online-list [data-user-id="{other.id}"]')
        expect(online).to_contain_text(other.name)
        expect(online.locator(".avatar")).to_have_count(1)

    # Bob types: Alice sees it, and it goes away a few seconds after he stops.
    bob.page.locator("#post-form textarea").press_sequentially("Hello ", delay=30)
    expect(alice.page.locator("#typing-line")).to_have_text(f"{bob.name} is typing…")
    expect(alice.page.locator("#typing-line")).to_have_text("", timeout=10_000)
    expect(bob.page.locator("#typing-line")).to_have_text("")

    # Bob posts (markup included): it appears for Alice without a reload, as text.
    bob.page.locator("#post-form textarea").fill(f"{XSS} hello from Bob")
    bob.page.get_by_role("button", name="Send").click()
    expect(bob.page.locator("#post-form textarea")).to_have_value("")
    last_for_alice = alice.page.locator("#chat-messages .chat-message").last
    expect(last_for_alice.locator(".chat-content")).to_have_text(f"{XSS} hello from Bob")
    expect(last_for_alice.locator(".chat-author")).to_have_text(bob.name)

    alice.page.locator("#post-form textarea").fill("Hi Bob, welcome!")
    alice.page.locator("#post-form textarea").press("Control+Enter")
    expect(
        bob.page.locator("#chat-messages .chat-message").last.locator(".chat-content")
    ).to_have_text("Hi Bob, welcome!")

    # After a reload the history shows the same messages, still as text.
    alice.page.reload()
    expect(alice.page.locator("#chat-messages")).to_contain_text(f"{XSS} hello from Bob")
    assert alice.dialogs == [] and bob.dialogs == []

    # Bob leaves: Alice's online list follows.
    bob.page.goto(f"{demo_site}/messages/")
    expect(alice.page.locator(f'#online-list [data-user-id="{bob.id}"]')).to_have_count(0)


def test_direct_messages_with_live_read_state(demo_site, browser):
    from playwright.sync_api import expect

    alice = Person(browser, demo_site, "alice")
    bob = Person(browser, demo_site, "bob")
    bob.open("/messages/")
    expect(bob.page.locator("#dm-unread-count")).to_have_attribute("data-count", "0")

    alice.open(f"/messages/{bob.id}/")
    alice.page.locator("#post-form textarea").fill(f"Lunch? {XSS}")
    alice.page.get_by_role("button", name="Send").click()
    last = alice.page.locator("#chat-messages .chat-message").last
    expect(last.locator(".chat-content")).to_have_text(f"Lunch? {XSS}")
    mine = alice.page.locator("#" + last.get_attribute("id"))
    expect(mine.locator(".chat-receipt")).to_be_hidden()

    # Bob's navigation count and inbox follow without a reload.
    expect(bob.page.locator("#dm-unread-count")).to_have_text("1")
    row = bob.page.locator(f'#conversation-list [data-partner-id="{alice.id}"]')
    expect(row.locator(".conversation-last")).to_have_text(f"Lunch? {XSS}")
    expect(row.locator(".conversation-unread")).to_have_text("1")

    # Bob opens the conversation: it is read, and Alice sees "Seen" at once.
    row.locator("a.conversation-name").click()
    expect(bob.page.locator("#chat-messages")).to_contain_text(f"Lunch? {XSS}")
    expect(bob.page.locator("#dm-unread-count")).to_have_attribute("data-count", "0")
    expect(mine.locator(".chat-receipt")).to_be_visible()
    expect(mine.locator(".chat-receipt")).to_have_text("Seen")
    expect(bob.page.locator("#rt-status")).to_have_attribute("data-state", "live")

    # While both look at the conversation, a reply arrives live and is read at once.
    bob.page.locator("#post-form textarea").fill("Sure, at noon")
    bob.page.get_by_role("button", name="Send").click()
    reply = alice.page.locator("#chat-messages .chat-message").last
    expect(reply.locator(".chat-content")).to_have_text("Sure, at noon")
    expect(reply.locator(".chat-author")).to_have_text(bob.name)
    # "Seen" stays under Alice's last message, and shows under Bob's once Alice has it.
    expect(mine.locator(".chat-receipt")).to_be_visible()
    bob_last = bob.page.locator("#chat-messages .chat-message").last
    expect(bob_last.locator(".chat-content")).to_have_text("Sure, at noon")
    expect(bob_last.locator(".chat-receipt")).to_have_text("Seen")
    expect(bob.page.locator("#chat-messages .chat-receipt:visible")).to_have_count(1)
    expect(alice.page.locator("#dm-unread-count")).to_have_attribute("data-count", "0")
    assert alice.dialogs == [] and bob.dialogs == []


def test_new_threads_appear_live_and_closing_reaches_open_pages(demo_site, browser):
    from playwright.sync_api import expect

    alice = Person(browser, demo_site, "alice")
    bob = Person(browser, demo_site, "bob")
    teacher = Person(browser, demo_site, "teacher")
    bob.open("/courses/1/discussions/")
    before = bob.page.locator("#thread-list .thread-item").count()

    alice.open("/courses/1/discussions/")
    alice.page.fill("#thread-form input[name=title]", f"Stuck on loops {XSS}")
    alice.page.get_by_role("button", name="Start thread").click()
    expect(alice.page.locator("#thread-title")).to_have_text(f"Stuck on loops {XSS}")
    thread_path = re.sub(r"^https?://[^/]+", "", alice.page.url).split("#")[0]

    first = bob.page.locator("#thread-list .thread-item").first
    expect(first.locator(".thread-title")).to_have_text(f"Stuck on loops {XSS}")
    expect(bob.page.locator("#thread-list .thread-item")).to_have_count(before + 1)

    # The instructor closes it: the open pages of students follow without a reload.
    expect(alice.page.locator("#rt-status")).to_have_attribute("data-state", "live")
    teacher.open(thread_path)
    teacher.page.get_by_role("button", name="Close thread").click()
    expect(teacher.page.get_by_role("button", name="Reopen thread")).to_be_visible()
    expect(alice.page.locator("#closed-live-note")).to_be_visible()
    expect(alice.page.locator("#post-form")).to_be_hidden()
    expect(bob.page.locator("#thread-list .thread-item")).to_have_count(before)
    assert alice.dialogs == [] and bob.dialogs == []

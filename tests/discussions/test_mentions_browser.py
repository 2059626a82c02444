"""In Chromium: live messages show mentions as the page does; the message box suggests names.

The page is served without a server (tests/notifications/test_links_browser.py).
"""

import pytest
from playwright.sync_api import expect

from discussions import services
from discussions.serializers import ThreadMessageSerializer
from tests.factories import EnrollmentFactory, UserFactory
from tests.notifications.test_links_browser import (  # noqa: F401  (_no_sockets: a fixture)
    SKELETON,
    _no_sockets,
    deliver,
    open_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def classmates(cast):
    people = []
    for username, first in [("zqalice", "Alice"), ("zqalbert", "Albert"), ("zqbob", "Bob")]:
        user = UserFactory(username=username, first_name=first, last_name="Q")
        EnrollmentFactory(user=user, course=cast.course)
        people.append(user)
    return people


def test_a_live_message_shows_mentions_as_the_page_renders_them(
    browser, cast, active_thread, classmates
):
    alice = classmates[0]
    content = f"<i>@{alice.username}</i>, @{cast.creator.username}: see @nobody. & @ZQBOB!"
    services.thread_message_post(thread=active_thread, sender=cast.instructor, content=content)
    page = open_page(browser, cast.creator, f"/threads/{active_thread.pk}/")

    live = services.thread_message_post(
        thread=active_thread, sender=cast.instructor, content=content
    )
    deliver(
        page, f"thread:{active_thread.pk}", "thread.message", ThreadMessageSerializer(live).data
    )

    rendered, shown = page.locator(".chat-content").all()
    assert shown.evaluate(SKELETON) == rendered.evaluate(SKELETON)
    assert shown.evaluate("n => n.innerHTML") == rendered.evaluate("n => n.innerHTML")
    assert shown.inner_text() == content
    assert shown.locator("i").count() == 0
    assert shown.locator(f'a.mention[href="/messages/{alice.pk}/"]').inner_text() == (
        f"@{alice.username}"
    )
    assert shown.locator("span.mention.is-me").inner_text() == f"@{cast.creator.username}"
    assert shown.locator(".mention").count() == 3


def test_typing_at_suggests_members_and_enter_picks(browser, cast, active_thread, classmates):
    page = open_page(browser, cast.enrolled, f"/threads/{active_thread.pk}/")
    box = page.locator("#post-form textarea")
    box.click()
    box.type("Hi @zqal")
    listbox = page.locator("[role=listbox]")
    listbox.wait_for(state="visible")
    options = listbox.locator("[role=option]")
    # Typed a key at a time, a shorter prefix ("@zq") may be looked up and shown first: the
    # list is read once the answer for "@zqal" has replaced it.
    expect(options.locator(".mention-option-username")).to_have_text(["@zqalbert", "@zqalice"])
    assert options.locator(".mention-option-name").all_inner_texts() == ["Albert Q", "Alice Q"]
    assert box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    assert box.get_attribute("aria-controls") == listbox.get_attribute("id")

    box.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    box.press("Enter")
    assert box.input_value() == "Hi @zqalice "
    assert listbox.is_hidden()

    box.type("and @zqb")
    listbox.wait_for(state="visible")
    box.press("Escape")
    assert listbox.is_hidden()
    assert box.input_value() == "Hi @zqalice and @zqb"

    box.type("o")
    listbox.wait_for(state="visible")
    page.locator("[role=option]", has_text="@zqbob").click()
    assert box.input_value() == "Hi @zqalice and @zqbob "


def test_tab_picks_and_non_members_are_never_suggested(browser, cast, active_thread, classmates):
    outsider = UserFactory(username="zqalex")
    EnrollmentFactory(user=outsider)
    page = open_page(browser, cast.enrolled, f"/threads/{active_thread.pk}/")
    box = page.locator("#post-form textarea")
    box.click()
    box.type("@zqa")
    page.locator("[role=listbox]").wait_for(state="visible")
    assert "@zqalex" not in " ".join(page.locator("[role=option]").all_inner_texts())
    box.press("Tab")
    assert box.input_value() == "@zqalbert "

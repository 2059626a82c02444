"""The tabs of one browser share one websocket (static/js/realtime-worker.js).

A real Chromium against a real Daphne: the server counts the sockets open
(`lms_ws_open_sockets` on /metrics), the pages show what reached them.
"""

import os
import re
import time
from urllib.request import urlopen

import pytest

# isort: off
# First, as Django is set up by it when Daphne imports this module (refusing_websockets).
from lms.asgi import application as lms_application

# isort: on
from discussions.services import thread_create
from lms.realtime.events import publish
from notifications.services import notification_create
from tests.e2e.browser import signed_in_context
from tests.e2e.test_journeys import committed
from tests.e2e.test_realtime_client import wait_until
from tests.factories import EnrollmentFactory, UserFactory, course_with_lessons

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO_SHARED_WORKER = "window.SharedWorker = undefined;"
REFUSING_APP = "tests.e2e.test_shared_socket:refusing_websockets"

# What the page hears on a topic, from `since` (null: from now).
COLLECT = """([topic, since]) => {
  window.__frames = window.__frames || {};
  window.__frames[topic] = [];
  window.__joined = window.__joined || {};
  window.__joined[topic] = false;
  window.LMSRealtime.subscribe(topic, {
    event(frame) { window.__frames[topic].push(frame.id); },
    joined() { window.__joined[topic] = true; },
  }, since === null ? {} : {since});
}"""


async def refusing_websockets(scope, receive, send):
    """The site, refusing websocket handshakes (403) while the file $BLOCK_WEBSOCKETS exists,
    as a proxy that does not pass websockets would."""
    if scope["type"] == "websocket" and os.path.exists(os.environ["BLOCK_WEBSOCKETS"]):
        await receive()  # websocket.connect
        await send({"type": "websocket.close"})
        return
    await lms_application(scope, receive, send)


def notify(user, title: str) -> None:
    committed(lambda: notification_create(user=user, title=title))


def announce(topic: str, n: int) -> int:
    return committed(lambda: publish(topic, "announcement", {"n": n}))


def open_sockets(server) -> int:
    with urlopen(f"{server.url}/metrics", timeout=5) as response:
        text = response.read().decode()
    return int(float(re.search(r"^lms_ws_open_sockets (\S+)$", text, re.M).group(1)))


def wait_for_sockets(server, expected: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (count := open_sockets(server)) != expected:
        assert time.monotonic() < deadline, f"{count} sockets open, expected {expected}"
        time.sleep(0.1)


def open_tab(context, path: str, state: str = "live", timeout: int = 15_000):
    """A page of the site, once it follows the user's topic."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(path)
    status = page.locator("#rt-status")
    expect(status).to_have_attribute("data-state", state, timeout=timeout)
    expect(page.locator("[data-notification-bell]")).to_have_attribute("data-live", "true")
    return page


def three_tabs(context, course, state: str = "live", timeout: int = 15_000):
    return [
        open_tab(context, path, state, timeout)
        for path in ("/", f"/courses/{course.pk}/", "/notifications/")
    ]


def expect_unread(tabs, count: int, timeout: int = 15_000) -> None:
    from playwright.sync_api import expect

    for tab in tabs:
        badge = tab.locator("[data-notification-bell] [data-unread-count]")
        expect(badge).to_have_attribute("data-count", str(count), timeout=timeout)


def collected(page, topic: str) -> list[int]:
    return page.evaluate("topic => window.__frames[topic]", topic)


@pytest.fixture
def enrolled(db):
    """(student, classmate, course): both enrolled in the course."""
    course = course_with_lessons(modules=1, lessons_per_module=1)
    student, classmate = UserFactory(), UserFactory()
    EnrollmentFactory(user=student, course=course)
    EnrollmentFactory(user=classmate, course=course)
    return student, classmate, course


def test_three_tabs_share_one_socket_and_each_hears_every_event(daphne_servers, browser, enrolled):
    (server,) = daphne_servers(1)
    student, _, course = enrolled
    context = signed_in_context(browser, server, student)
    tabs = three_tabs(context, course)
    wait_for_sockets(server, 1)

    notify(student, "Welcome")
    expect_unread(tabs, 1)

    # A tab opened now is rendered with that count and joins with data as fresh.
    late = open_tab(context, "/")
    expect_unread([late], 1)
    tabs.append(late)
    notify(student, "Second")
    expect_unread(tabs, 2)
    assert open_sockets(server) == 1

    # Closing tabs leaves the others live on the same socket.
    for tab in tabs[:3]:
        tab.close()
    notify(student, "Third")
    expect_unread([late], 3)
    assert late.locator("#rt-status").get_attribute("data-state") == "live"
    assert open_sockets(server) == 1
    context.close()
    wait_for_sockets(server, 0)


def test_without_shared_worker_each_tab_has_its_own_socket(daphne_servers, browser, enrolled):
    (server,) = daphne_servers(1)
    student, _, course = enrolled
    context = signed_in_context(browser, server, student)
    context.add_init_script(NO_SHARED_WORKER)
    tabs = three_tabs(context, course)
    wait_for_sockets(server, 3)
    notify(student, "Welcome")
    expect_unread(tabs, 1)
    context.close()
    wait_for_sockets(server, 0)


def test_a_tab_asking_from_an_older_id_gets_what_it_missed_once_and_in_order(
    daphne_servers, browser, enrolled
):
    (server,) = daphne_servers(1)
    student, _, course = enrolled
    topic = f"course:{course.pk}"
    context = signed_in_context(browser, server, student)

    first = open_tab(context, f"/courses/{course.pk}/")
    first.evaluate(COLLECT, [topic, None])
    # Without `since`, a subscription hears what comes after its join: announce after it.
    wait_until(first, f"window.__joined['{topic}']")
    ids = [announce(topic, n) for n in range(3)]
    wait_until(first, f"window.__frames['{topic}'].length >= 3")

    # The shared socket is past these ids; a new tab asks from before them.
    second = open_tab(context, "/")
    second.evaluate(COLLECT, [topic, ids[0] - 1])
    wait_until(second, f"window.__frames['{topic}'].length >= 3")
    ids.append(announce(topic, 3))
    for tab in (first, second):
        wait_until(tab, f"window.__frames['{topic}'].length >= 4")
    assert collected(first, topic) == ids
    assert collected(second, topic) == ids
    assert open_sockets(server) == 1
    context.close()


def test_refused_websocket_one_poller_for_every_tab_then_back_to_one_socket(
    daphne_servers, browser, enrolled, tmp_path
):
    from playwright.sync_api import expect

    block = tmp_path / "block-websockets"
    block.touch()
    (server,) = daphne_servers(1, app=REFUSING_APP, BLOCK_WEBSOCKETS=str(block))
    student, _, course = enrolled
    context = signed_in_context(browser, server, student)
    tabs = three_tabs(context, course, state="polling", timeout=30_000)
    assert open_sockets(server) == 0
    notify(student, "Over polling")
    expect_unread(tabs, 1, timeout=30_000)

    # Websockets pass again: every tab is live on one socket, and nothing was missed.
    block.unlink()
    notify(student, "While reconnecting")
    for tab in tabs:
        expect(tab.locator("#rt-status")).to_have_attribute("data-state", "live", timeout=45_000)
    wait_for_sockets(server, 1)
    expect_unread(tabs, 2)
    notify(student, "Live")
    expect_unread(tabs, 3)
    context.close()


def test_presence_is_one_entry_per_browser_while_any_of_its_tabs_is_on_the_thread(
    daphne_servers, browser, enrolled
):
    from playwright.sync_api import expect

    (server,) = daphne_servers(1)
    student, classmate, course = enrolled
    thread = committed(lambda: thread_create(course=course, created_by=classmate, title="Hi"))
    path = f"/threads/{thread.pk}/"
    watcher = open_tab(signed_in_context(browser, server, classmate), path)
    online = watcher.locator(f'#online-list [data-user-id="{student.pk}"]')

    context = signed_in_context(browser, server, student)
    first, second = open_tab(context, path), open_tab(context, path)
    expect(online).to_have_count(1)
    expect(second.locator(f'#online-list [data-user-id="{student.pk}"]')).to_have_count(1)

    # One tab goes: the student is still there, and types from the other.
    first.close()
    second.locator("#post-form textarea").fill("Hi")
    expect(watcher.locator("#typing-line")).to_contain_text(student.display_name)
    expect(online).to_have_count(1)

    # The last tab goes: the student leaves.
    second.close()
    expect(online).to_have_count(0)
    context.close()


def test_signing_out_in_one_tab_reaches_every_tab(daphne_servers, browser, enrolled):
    from playwright.sync_api import expect

    (server,) = daphne_servers(1)
    student, _, course = enrolled
    context = signed_in_context(browser, server, student)
    leaving, staying = open_tab(context, "/"), open_tab(context, f"/courses/{course.pk}/")
    staying.evaluate(
        "() => document.addEventListener('lms:signed-out', () => { window.__signedOut = true; })"
    )
    wait_for_sockets(server, 1)

    leaving.get_by_role("button", name="Log out").click()
    expect(leaving).to_have_url(f"{server.url}/login/")
    expect(staying.locator("#rt-status")).to_have_attribute("data-state", "offline")
    wait_until(staying, "window.__signedOut === true")
    wait_for_sockets(server, 0)
    context.close()

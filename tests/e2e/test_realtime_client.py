"""static/js/realtime.js in a real Chromium against a real Daphne: live, polling, and back."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, transaction

from lms.realtime.events import publish
from tests.e2e.browser import signed_in_context
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Lets the test block and unblock websockets in the page, as a proxy that refuses them would.
# The page holds its own socket (no shared worker, whose WebSocket the page cannot reach):
# tests/e2e/test_shared_socket.py blocks the shared worker's socket at the server.
BLOCKABLE_WEBSOCKET = """
(() => {
  window.SharedWorker = undefined;
  const RealWebSocket = window.WebSocket;
  window.__blockWebSockets = false;
  window.WebSocket = function (url, protocols) {
    if (window.__blockWebSockets) throw new Error("websockets blocked");
    return new RealWebSocket(url, protocols);
  };
  window.WebSocket.OPEN = RealWebSocket.OPEN;
  window.WebSocket.prototype = RealWebSocket.prototype;
})();
"""

COLLECT = """topic => {
  window.__frames = [];
  window.__joined = false;
  window.LMSRealtime.subscribe(topic, {
    event(frame) { window.__frames.push(frame); },
    joined() { window.__joined = true; },
  });
}"""


def emit(user, n):
    """Publish from a worker thread, as a request thread would (Playwright holds this one)."""

    def write():
        try:
            with transaction.atomic():
                return publish(f"user:{user.pk}", "notification.created", {"id": n})
        finally:
            close_old_connections()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(write).result()


# Resolves once CONDITION (a JavaScript expression) is true in the page.
WAIT_UNTIL = """([timeout, failure]) => new Promise((resolve, reject) => {
  const deadline = Date.now() + timeout;
  (function check() {
    if (CONDITION) return resolve();
    if (Date.now() > deadline) return reject(new Error(failure));
    setTimeout(check, 50);
  })();
})"""


def wait_until(page, condition, timeout=15_000):
    """Wait until the JavaScript expression `condition` is true in the page.

    Not wait_for_function, which evaluates its predicate in the page: the pages'
    Content-Security-Policy allows no eval. This function is compiled by the driver.
    """
    failure = f"not true within {timeout} ms: {condition}"
    page.evaluate(WAIT_UNTIL.replace("CONDITION", condition), [timeout, failure])


def received_ids(page):
    return page.evaluate("window.__frames.map(f => f.id)")


def test_page_goes_live_and_receives_events_in_order(daphne_servers, browser):
    from playwright.sync_api import expect

    (server,) = daphne_servers(1)
    user = UserFactory()
    context = signed_in_context(browser, server, user)
    page = context.new_page()
    page.goto("/")
    expect(page.locator("#rt-status")).to_have_attribute("data-state", "live")
    page.evaluate(COLLECT, f"user:{user.pk}")
    wait_until(page, "window.__joined")
    first = emit(user, 1)
    wait_until(page, f"window.__frames.some(f => f.id === {first})")
    for n in range(2, 6):
        emit(user, n)
    wait_until(page, "window.__frames.length >= 5")
    assert received_ids(page) == [first, first + 1, first + 2, first + 3, first + 4]
    context.close()


def test_blocked_websocket_falls_back_to_polling_then_returns(daphne_servers, browser):
    from playwright.sync_api import expect

    (server,) = daphne_servers(1)
    user = UserFactory()
    context = signed_in_context(browser, server, user)
    context.add_init_script(BLOCKABLE_WEBSOCKET + "window.__blockWebSockets = true;")
    page = context.new_page()
    page.goto("/")
    page.evaluate(COLLECT, f"user:{user.pk}")
    status = page.locator("#rt-status")
    expect(status).to_have_attribute("data-state", "polling", timeout=20_000)
    expect(status).to_have_text("polling")
    wait_until(page, "window.__joined", timeout=20_000)

    first = emit(user, 1)
    wait_until(page, f"window.__frames.some(f => f.id === {first})", timeout=20_000)

    # The websocket becomes possible again: the client goes back to it, and misses nothing.
    page.evaluate("window.__blockWebSockets = false")
    emit(user, 2)
    expect(status).to_have_attribute("data-state", "live", timeout=40_000)
    emit(user, 3)
    wait_until(page, "window.__frames.length >= 3", timeout=20_000)
    assert received_ids(page) == [first, first + 1, first + 2]
    context.close()

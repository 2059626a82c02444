"""In Chromium: a live notification is built as the page renders one, a link included.

No server runs: the browser gets the page Django renders, the static files from
disk and the API through Django's test client; the realtime client is replaced
by a stub that hands the test each page module's handlers, so an event can be
given to the page as the websocket would. The browser's requests are answered on
another database connection than the test's (Playwright's greenlet), so the data
is committed (transaction=True) and flushed after each test.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.notifications.factories import NotificationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORIGIN = "http://testserver"
STATIC_ROOT = Path(settings.BASE_DIR) / "static"
REALTIME_STUB = """
window.__subscriptions = {};
window.LMSRealtime = {
  subscribe: function (topic, handlers) {
    (window.__subscriptions[topic] = window.__subscriptions[topic] || []).push(handlers);
    return { track: function () {}, untrack: function () {}, typing: function () {},
             leave: function () {} };
  },
};
"""


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch):
    """Nothing listens on the channel layer here: events are stored, not sent."""
    from lms.realtime import events

    monkeypatch.setattr(events, "_send", lambda *args, **kwargs: None)


def open_page(browser, user, path):
    """A Chromium page of `path` as `user`, served by Django's test client."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=ORIGIN)
    context.set_default_timeout(10_000)
    page = context.new_page()

    def handle(route):
        request = route.request
        url = urlsplit(request.url)
        if url.path.startswith(settings.STATIC_URL):
            name = url.path[len(settings.STATIC_URL) :]
            if name == "js/realtime.js":
                return route.fulfill(body=REALTIME_STUB, content_type="text/javascript")
            if name == "js/realtime-connection.js":
                return route.fulfill(body="", content_type="text/javascript")
            file = STATIC_ROOT / name
            if not file.is_file():
                return route.fulfill(status=404, body="")
            kind = "text/javascript" if name.endswith(".js") else "text/css"
            return route.fulfill(body=file.read_bytes(), content_type=kind)
        target = url.path + (f"?{url.query}" if url.query else "")
        headers = {"Accept": request.headers.get("accept", "*/*")}
        if request.method == "GET":
            response = client.get(target, headers=headers)
        else:
            response = client.generic(
                request.method,
                target,
                data=request.post_data or "",
                content_type=request.headers.get("content-type", ""),
                headers={**headers, "X-CSRFToken": request.headers.get("x-csrftoken", "")},
            )
        connections.close_all()  # this greenlet's own connection: none left open after
        route.fulfill(
            status=response.status_code,
            body=response.content,
            headers={k: v for k, v in response.items() if k.lower() != "content-length"},
        )

    page.route("**/*", handle)
    page.goto(path)
    page.wait_for_function("window.__subscriptions && Object.keys(window.__subscriptions).length")
    return page


def deliver(page, topic, event, data):
    """Give every page module subscribed to `topic` an event frame, as the websocket would."""
    frame = {"op": "event", "topic": topic, "event": event, "id": 10_000, "data": data}
    page.evaluate(
        """([topic, frame]) => (window.__subscriptions[topic] || []).forEach(
             (handlers) => handlers.event && handlers.event(frame))""",
        [topic, json.loads(json.dumps(frame, default=str))],
    )


# The structure of an element: tags, classes and attributes, without texts or ids.
SKELETON = """(node) => {
  function walk(el) {
    const attrs = Array.from(el.attributes)
      .map((a) => a.name)
      .filter((name) => !["class", "value"].includes(name))
      .sort();
    const classes = Array.from(el.classList).filter((c) => c !== "is-new").sort();
    return [el.tagName, classes, attrs, Array.from(el.children).map(walk)];
  }
  return walk(node);
}"""


def test_a_live_notification_is_built_as_the_page_renders_it(browser, user):
    from notifications.serializers import NotificationSerializer

    rendered = NotificationFactory(user=user, title="Rendered", url="/lessons/1/")
    page = open_page(browser, user, "/notifications/")
    live = NotificationFactory(user=user, title="<b>Live</b>", url="/threads/3/#message-4")
    deliver(page, f"user:{user.pk}", "notification.created", NotificationSerializer(live).data)

    live_item = page.locator(f'[data-notification-id="{live.pk}"]')
    server_item = page.locator(f'[data-notification-id="{rendered.pk}"]')
    assert live_item.evaluate(SKELETON) == server_item.evaluate(SKELETON)
    link = live_item.locator("a.notification-link")
    assert link.get_attribute("href") == f"/notifications/{live.pk}/open/"
    assert link.inner_text() == "<b>Live</b>"  # as text, never as markup
    assert live_item.locator("b").count() == 0


def test_the_bell_lists_links_and_following_one_marks_it_read(browser, user):
    from notifications.models import Notification

    notification = NotificationFactory(user=user, title="Open me", url="/notifications/?page=1")
    page = open_page(browser, user, "/notifications/?unread=true")
    page.locator("[data-notification-bell] summary").click()
    link = page.locator(
        f'[data-notification-dropdown] [data-notification-id="{notification.pk}"] '
        "a.notification-link"
    )
    assert link.get_attribute("href") == f"/notifications/{notification.pk}/open/"
    link.click()
    page.wait_for_url("**/notifications/?page=1")
    assert Notification.objects.get(pk=notification.pk).is_read

"""In Chromium: a notification's link to an older message opens the page that holds it."""

import pytest

from tests.discussions.factories import ThreadMessageFactory
from tests.notifications.test_links_browser import (  # noqa: F401  (_no_sockets: a fixture)
    _no_sockets,
    open_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_link_to_a_message_beyond_the_latest_page_opens_its_page(browser, cast, active_thread):
    messages = [ThreadMessageFactory(thread=active_thread, sender=cast.enrolled) for _ in range(55)]
    wanted = messages[2]
    page = open_page(browser, cast.creator, f"/threads/{active_thread.pk}/#message-{wanted.pk}")
    page.wait_for_url(f"**/threads/{active_thread.pk}/?before={wanted.pk + 1}#message-{wanted.pk}")
    page.locator(f"#message-{wanted.pk}").wait_for()
    assert page.locator(".chat-message").last.get_attribute("id") == f"message-{wanted.pk}"

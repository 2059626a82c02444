"""A student's own space, end to end: a real Chromium against two Daphne processes.

Bea chooses to get replies in a daily digest; Carl answers her thread from another
process and Bea's bell rises live; the digest mails her a link to the reply, which
opens the thread at the message, and its unsubscribe link switches the digest off;
her notification leads to the same message and is read; then she changes her
picture, posts, and Carl's screen shows the new picture beside her message live.
"""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.core import mail
from django.core.management import call_command
from PIL import Image

from discussions.models import ThreadMessage
from lms.catalog.models import User
from notifications.models import Notification, NotificationPreference
from tests.discussions.factories import ThreadFactory, ThreadMessageFactory
from tests.e2e.browser import signed_in_context
from tests.e2e.test_journeys import (
    VIEWPORT,
    BrowserProblems,
    Shots,
    Watcher,
    assert_servers_clean,
    committed,
)
from tests.factories import CourseFactory, EnrollmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def a_picture(path) -> str:
    """A real 400x300 PNG, as a student's photo would be."""
    image = Image.new("RGB", (400, 300), (30, 120, 200))
    for x in range(150, 250):
        for y in range(100, 200):
            image.putpixel((x, y), (250, 200, 40))
    buffer = BytesIO()
    image.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def test_a_student_chooses_a_digest_follows_a_reply_and_changes_her_picture(
    daphne_servers, browser, settings, tmp_path
):
    from playwright.sync_api import expect

    server_a, server_b = daphne_servers(2)
    settings.SITE_URL = server_a.url  # links in mail sent from this process
    settings.EMAIL_SEND_IN_BACKGROUND = False

    def build():
        course = CourseFactory(title="Ethics of Machines")
        bea = EnrollmentFactory(
            course=course,
            user__first_name="Bea",
            user__last_name="Rossi",
            user__email="bea@example.com",
        ).user
        carl = EnrollmentFactory(
            course=course, user__first_name="Carl", user__last_name="Lund"
        ).user
        # Bea once chose to hear of replies in the site only.
        NotificationPreference.objects.create(user=bea, kind="thread_reply", channel="site")
        thread = ThreadFactory(course=course, created_by=bea, title="Can a machine be fair?")
        ThreadMessageFactory(thread=thread, sender=bea, content="Fairness needs a definition.")
        return bea, carl, thread

    bea, carl, thread = committed(build)
    problems = BrowserProblems()
    shots = Shots("journey3")
    bea_context = signed_in_context(browser, server_a, bea)
    carl_context = signed_in_context(browser, server_b, carl)
    for context in (bea_context, carl_context):
        context.set_default_timeout(15_000)
        problems.watch(context)
    bea_page = bea_context.new_page()
    bea_page.set_viewport_size(VIEWPORT)
    carl_page = carl_context.new_page()
    carl_page.set_viewport_size(VIEWPORT)

    # Bea chooses the daily digest for replies, from her account page.
    bea_page.goto("/account/")
    bea_page.get_by_role("link", name=re.compile("notification", re.I)).first.click()
    expect(bea_page).to_have_url(f"{server_a.url}/account/notifications/")
    bea_page.locator('input[name="thread_reply"][value="digest"]').check()
    bea_page.get_by_role("button", name="Save preferences").click()
    expect(bea_page.locator("ul.messages")).to_contain_text("preferences are saved")
    assert NotificationPreference.objects.get(user=bea, kind="thread_reply").channel == "digest"
    shots.take(bea_page, "preferences")

    # Bea waits on her dashboard; Carl answers her thread from the other process.
    bea_page.goto("/")
    expect(bea_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    bea_watch = Watcher(bea_page)
    badge = bea_page.locator("[data-unread-count]")
    expect(badge).to_have_attribute("data-count", "0")

    carl_page.goto(f"/threads/{thread.pk}/")
    expect(carl_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    carl_page.locator("#post-form textarea").fill("Fair to whom, though?")
    carl_page.get_by_role("button", name="Send").click()
    expect(carl_page.locator("#post-form textarea")).to_have_value("")
    reply = ThreadMessage.objects.get(thread=thread, sender=carl)

    expect(badge).to_have_attribute("data-count", "1")
    bea_watch.assert_not_reloaded()
    notification = Notification.objects.get(user=bea, kind="thread_reply")
    assert notification.url.endswith(f"#message-{reply.pk}")
    assert mail.outbox == []  # a digest kind: nothing mailed at once

    # The daily digest mails her one email that links to the reply.
    committed(lambda: call_command("send_digests"))
    committed(lambda: call_command("send_digests"))  # a second run the same day sends nothing
    assert [m.to for m in mail.outbox] == [["bea@example.com"]]
    digest = mail.outbox[0]
    assert "List-Unsubscribe" in digest.extra_headers
    links = links_in(digest.body)
    reply_link = next(link for link in links if f"#message-{reply.pk}" in link)
    unsubscribe_link = next(link for link in links if "/unsubscribe/" in link)

    bea_page.goto(reply_link)
    message = bea_page.locator(f"#message-{reply.pk}")
    expect(message.locator(".chat-content")).to_have_text("Fair to whom, though?")
    expect(message).to_be_in_viewport()
    shots.take(bea_page, "digest-link-opens-the-reply")

    # The notification leads to the same message, and is read once followed.
    bea_page.goto("/notifications/")
    bea_page.locator(".notification-link").filter(has_text="Can a machine be fair?").click()
    expect(bea_page).to_have_url(re.compile(rf"/threads/{thread.pk}/.*#message-{reply.pk}$"))
    expect(bea_page.locator(f"#message-{reply.pk}")).to_be_in_viewport()
    expect(bea_page.locator("[data-unread-count]")).to_have_attribute("data-count", "0")
    notification.refresh_from_db()
    assert notification.is_read

    # The digest's unsubscribe link: one button, and replies are no longer mailed.
    bea_page.goto(unsubscribe_link)
    bea_page.get_by_role("button", name="Unsubscribe").click()
    expect(bea_page.locator("main")).to_contain_text(re.compile("no longer|unsubscribed", re.I))
    assert NotificationPreference.objects.get(user=bea, kind="thread_reply").channel == "site"

    # Bea changes her picture; Carl, still on the thread, sees it beside her next message.
    bea_page.goto("/account/")
    bea_page.locator('input[type="file"][name="avatar"]').set_input_files(
        a_picture(tmp_path / "bea.png")
    )
    bea_page.get_by_role("button", name="Upload picture").click()
    expect(bea_page.locator("ul.messages")).to_contain_text("new picture")
    bea = User.objects.get(pk=bea.pk)
    assert bea.avatar.startswith("/media/avatars/")
    large = bea_page.locator("img.avatar-large")
    expect(large).to_have_attribute("src", bea.avatar)
    # The picture is served: the browser loads it at its stored size (waiting for the load).
    bea_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=large.element_handle()
    )
    assert large.evaluate("img => img.naturalWidth") == 256
    shots.take(bea_page, "account-new-picture")

    carl_watch = Watcher(carl_page)
    bea_page.goto(f"/threads/{thread.pk}/")
    expect(bea_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    bea_page.locator("#post-form textarea").fill("Here I am, with a face now.")
    bea_page.get_by_role("button", name="Send").click()
    latest = carl_page.locator("#chat-messages .chat-message").last
    expect(latest.locator(".chat-content")).to_have_text("Here I am, with a face now.")
    picture = latest.locator("img.avatar")
    expect(picture).to_have_attribute("src", bea.avatar)
    carl_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    carl_watch.assert_not_reloaded()
    shots.take(carl_page, "classmate-sees-the-new-picture")

    assert problems.errors == []
    assert_servers_clean([server_a, server_b])

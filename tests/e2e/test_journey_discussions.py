"""Discussions people live in, end to end: a real Chromium against two Daphne processes.

Two students and their instructor, each in their own browser: Eli answers a thread
and Dana's thread list, navigation and bell count it as new live; reading it clears
them. Eli corrects a typo and Dana sees the edit; Dana reacts and Eli sees the count;
Dana reports the message, which reaches the instructor's queue live; the instructor
hides it and it leaves both students' screens.
"""

from __future__ import annotations

import re
import time

import pytest

from discussions.models import MessageReport, ThreadMessage, ThreadReadState
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
from tests.factories import CourseFactory, EnrollmentFactory, InstructorFactory

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def eventually(condition, what: str, timeout: float = 10) -> None:
    """Wait for a condition the browser brings about (a request it sends by itself)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.05)


def test_two_students_and_their_instructor_live_in_a_discussion(daphne_servers, browser):
    from playwright.sync_api import expect

    server_a, server_b = daphne_servers(2)

    def build():
        fay = InstructorFactory(first_name="Fay", last_name="Moreau")
        course = CourseFactory(title="Organic Chemistry", instructor=fay)
        dana = EnrollmentFactory(course=course, user__first_name="Dana", user__last_name="Ito").user
        eli = EnrollmentFactory(course=course, user__first_name="Eli", user__last_name="Park").user
        thread = ThreadFactory(course=course, created_by=dana, title="Chirality, explained?")
        ThreadMessageFactory(thread=thread, sender=dana, content="Why are mirror images different?")
        return course, fay, dana, eli, thread

    course, fay, dana, eli, thread = committed(build)
    problems = BrowserProblems()
    shots = Shots("journey4")
    pages = {}
    for name, user, server in (
        ("dana", dana, server_a),
        ("eli", eli, server_b),
        ("fay", fay, server_a),
    ):
        context = signed_in_context(browser, server, user)
        context.set_default_timeout(15_000)
        problems.watch(context)
        page = context.new_page()
        page.set_viewport_size(VIEWPORT)
        pages[name] = page
    dana_page, eli_page, fay_page = pages["dana"], pages["eli"], pages["fay"]

    # Dana watches her course's thread list; Eli answers from the other process.
    dana_page.goto(f"/courses/{course.pk}/discussions/")
    expect(dana_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    dana_watch = Watcher(dana_page)
    item = dana_page.locator(f'.thread-item[data-thread-id="{thread.pk}"]')
    expect(item.locator(".unread-badge")).to_be_hidden()

    eli_page.goto(f"/threads/{thread.pk}/")
    expect(eli_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    eli_page.locator("#post-form textarea").fill("Because thier bonds point differently.")
    eli_page.get_by_role("button", name="Send").click()
    expect(eli_page.locator("#post-form textarea")).to_have_value("")
    answer = ThreadMessage.objects.get(thread=thread, sender=eli)
    expect(eli_page.locator("#follow-button")).to_have_text("Unfollow")  # posting follows

    expect(item.locator(".unread-badge")).to_have_text("1 new")
    nav_count = dana_page.locator("#nav-discussions")
    expect(nav_count).to_be_visible()
    expect(dana_page.locator("#discussions-unread-count")).to_have_text("1")
    # Her thread's reply reaches her bell too.
    dana_bell = dana_page.locator("[data-notification-bell] [data-unread-count]")
    expect(dana_bell).to_have_attribute("data-count", "1")
    dana_watch.assert_not_reloaded()
    shots.take(dana_page, "thread-list-one-new")

    # Dana opens the thread at the first unread message: reading it clears the counts.
    item.locator("a.thread-title").click()
    expect(dana_page).to_have_url(re.compile(rf"/threads/{thread.pk}/#message-{answer.pk}$"))
    expect(dana_page.locator(f"#message-{answer.pk}")).to_be_in_viewport()
    expect(dana_page.locator("#nav-discussions")).to_be_hidden()

    def read_up_to():
        state = ThreadReadState.objects.filter(user=dana, thread=thread).first()
        return state.last_read_id if state else 0

    eventually(lambda: read_up_to() == answer.pk, "Dana's read position reaches the answer")
    # Reading the reply reads its notification: the bell clears without a reload.
    expect(dana_bell).to_have_attribute("data-count", "0")

    # Eli fixes his typo in place; Dana, reading, sees the new text marked "edited".
    dana_watch = Watcher(dana_page)
    mine = eli_page.locator(f"#message-{answer.pk}")
    mine.locator("a.chat-edit").click()
    mine.locator("textarea").fill("Because their bonds point differently.")
    mine.get_by_role("button", name="Save").click()
    on_dana = dana_page.locator(f"#message-{answer.pk}")
    expect(on_dana.locator(".chat-content")).to_have_text("Because their bonds point differently.")
    expect(on_dana.locator(".chat-edited")).to_be_visible()
    assert ThreadMessage.objects.get(pk=answer.pk).content.startswith("Because their")

    # Dana reacts; the count and who reacted appear under the message on Eli's screen.
    on_dana.locator(".reaction-add summary").click()
    on_dana.get_by_role("button", name="thumbs up").click()
    expect(on_dana.locator(".reactions button.reaction[aria-pressed=true]")).to_have_count(1)
    on_eli = eli_page.locator(f"#message-{answer.pk} .reactions button.reaction")
    expect(on_eli).to_have_count(1)
    expect(on_eli.locator(".reaction-count")).to_have_text("1")
    expect(on_eli).to_have_attribute("title", re.compile("Dana Ito"))
    expect(on_eli).to_have_attribute("aria-pressed", "false")
    dana_watch.assert_not_reloaded()
    shots.take(eli_page, "edited-and-reacted")

    # Fay opens her moderation queue; Dana reports Eli's message and it arrives live.
    fay_page.goto(f"/courses/{course.pk}/moderation/")
    expect(fay_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    expect(fay_page.locator("#no-reports")).to_be_visible()
    fay_watch = Watcher(fay_page)
    reported = dana_page.locator(f"#message-{answer.pk}")
    reported.locator(".chat-report summary").click()
    reported.locator(".report-form textarea").fill("This reads like a joke at my expense.")
    reported.get_by_role("button", name="Send report").click()
    eventually(
        lambda: MessageReport.objects.filter(message=answer, reporter=dana).exists(),
        "Dana's report is stored",
    )
    group = fay_page.locator(f'.report-group[data-message-id="{answer.pk}"]')
    expect(group).to_contain_text("Because their bonds point differently.")
    expect(group).to_contain_text("This reads like a joke at my expense.")
    expect(fay_page.locator("#open-reports-count")).to_have_text("1")
    fay_watch.assert_not_reloaded()
    shots.take(fay_page, "report-in-the-queue")

    # Fay hides it: it leaves Dana's and Eli's open thread pages at once.
    dana_page.goto(f"/threads/{thread.pk}/")
    expect(dana_page.locator(f"#message-{answer.pk}")).to_be_visible()
    dana_watch = Watcher(dana_page)
    eli_watch = Watcher(eli_page)
    group.get_by_role("button", name="Hide message").click()
    for page in (dana_page, eli_page):
        expect(page.locator(f"#message-{answer.pk}")).to_have_count(0)
        expect(page.locator("#chat-messages")).not_to_contain_text("bonds point")
    dana_watch.assert_not_reloaded()
    eli_watch.assert_not_reloaded()
    answer.refresh_from_db()
    assert answer.hidden_at is not None and answer.hidden_by == fay
    assert MessageReport.objects.get(message=answer).status == "hidden"
    shots.take(eli_page, "hidden-from-the-thread")

    assert problems.errors == []
    assert_servers_clean([server_a, server_b])

"""Whole-product journeys: a real Chromium against real Daphne processes on PostgreSQL + Redis.

1. A new student signs up through the form, enrolls from the catalog and completes a
   course lesson by lesson, while two other tabs of the same browser (the dashboard and
   the leaderboard) follow every step without a reload.
2. Two classmates chat in a course thread (each on a different Daphne process), then
   in direct messages, with live presence, typing, unread counts and read receipts.

Every page of the journey fails the test on a console error or an uncaught exception.
Screenshots of key moments go to test-artifacts/journeys/ (see docs/journeys.md).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import close_old_connections, transaction

from discussions.models import DirectMessage, ThreadMessage
from leaderboard import events
from leaderboard.services import leaderboard_score_refresh
from lms.catalog.models import Enrollment, Lesson, User
from notifications.models import Notification
from progress.models import Certificate, LearningStats
from tests.discussions.factories import ThreadFactory, ThreadMessageFactory
from tests.e2e.browser import signed_in_context
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    UserFactory,
    course_with_lessons,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"
VIEWPORT = {"width": 1280, "height": 860}
PASSWORD = "a-long-pass-phrase-42"


class BrowserProblems:
    """Console errors and uncaught exceptions of every page of the watched contexts."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, context) -> None:
        context.on("page", self._attach)
        for page in context.pages:
            self._attach(page)

    def _attach(self, page) -> None:
        def on_console(message) -> None:
            if message.type == "error":
                source = message.location.get("url") or page.url
                self.errors.append(f"console error from {source}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error on {page.url}: {error}"))
        page.on(
            "dialog",
            lambda dialog: (self.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()),
        )


class Watcher:
    """A page that should only follow live events: records any navigation of it."""

    def __init__(self, page) -> None:
        self.page = page
        self.navigations: list[str] = []
        page.on("framenavigated", self._on_navigation)
        page.evaluate("window.__journeyMarker = true")

    def _on_navigation(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigations.append(frame.url)

    def assert_not_reloaded(self) -> None:
        assert self.navigations == [], f"the watching page navigated: {self.navigations}"
        assert self.page.evaluate("window.__journeyMarker === true"), "the document was replaced"


class Shots:
    """Numbered screenshots of a journey's key moments, in test-artifacts/journeys/."""

    def __init__(self, journey: str) -> None:
        self.prefix = journey
        self.count = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(self, page, moment: str) -> None:
        self.count += 1
        # Finite CSS transitions and animations (bars, rows entering) shown at their end.
        page.screenshot(
            path=ARTIFACTS / f"{self.prefix}-{self.count:02d}-{moment}.png", animations="disabled"
        )


def assert_servers_clean(servers) -> None:
    """No server answered a 5xx or logged a traceback during the journey."""
    for server in servers:
        log = server.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-4000:]
        assert not re.search(r'" 5\d\d ', log), log[-4000:]


def committed(write):
    """Run `write` in a worker thread, as a request would, and return its result.

    Playwright's event loop holds the test thread, and publish() cannot send its events
    on commit from a thread that runs an event loop.
    """

    def run():
        try:
            return write()
        finally:
            close_old_connections()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def unread_notifications(user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()


def rivals_on_the_board() -> list[User]:
    """Eleven students already on the global board: one at 200 points, ten at 10..100."""
    rivals = []
    for minutes in [2000, *range(1000, 0, -100)]:
        rival = UserFactory()
        with transaction.atomic():
            LearningStats.objects.create(
                user=rival, total_time_spent=minutes, total_seconds_spent=minutes * 60
            )
            events.leaderboard_announce(leaderboard_score_refresh(user_id=rival.pk))
        rivals.append(rival)
    return rivals


def test_new_student_signs_up_and_finishes_a_course_while_other_tabs_follow_live(
    daphne_servers,
    browser,
):
    from playwright.sync_api import expect

    (server,) = daphne_servers(1)

    def build():
        teacher = InstructorFactory(first_name="Grace", last_name="Hopper")
        course = course_with_lessons(
            modules=2, lessons_per_module=2, instructor=teacher, title="Realtime Systems 101"
        )
        return course, rivals_on_the_board()

    course, rivals = committed(build)
    lessons = list(Lesson.objects.filter(module__course=course).order_by("module__order", "order"))
    problems = BrowserProblems()
    shots = Shots("journey1")
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    problems.watch(context)

    # Sign up through the real form; the new account lands on its dashboard.
    page = context.new_page()
    page.goto("/signup/")
    page.fill("#id_username", "ines")
    page.fill("#id_email", "ines@example.com")
    page.fill("#id_first_name", "Ines")
    page.fill("#id_last_name", "Okafor")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{server.url}/")
    expect(page.locator("h1")).to_have_text("Welcome back, Ines Okafor")
    expect(page.locator(".nav-username")).to_have_text("Ines Okafor")
    expect(page.locator(".empty-state")).to_contain_text("not enrolled in any course")
    student = User.objects.get(username="ines")
    assert student.role == User.Role.STUDENT

    # Catalog, course page, enroll.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    card = page.locator(f'#catalog-list [data-course-id="{course.pk}"]')
    expect(card).to_contain_text("by Grace Hopper · 2 modules · 4 lessons")
    card.locator("a.course-title").click()
    expect(page.locator("h1")).to_have_text("Realtime Systems 101")
    page.get_by_role("button", name="Enroll").click()
    expect(page.locator(".messages")).to_contain_text("You are enrolled in Realtime Systems 101")
    assert Enrollment.objects.filter(user=student, course=course).exists()

    # Second tab: the dashboard; third tab: the global leaderboard.
    dashboard = context.new_page()
    dashboard.goto("/")
    bell = dashboard.locator("[data-notification-bell]")
    expect(bell).to_have_attribute("data-live", "true")
    bar = dashboard.locator(f'[data-course-progress="{course.pk}"]')
    label = dashboard.locator(f'[data-course-progress-label="{course.pk}"]')
    count = bell.locator("[data-unread-count]")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(count).to_have_attribute("data-count", "0")
    dashboard_watch = Watcher(dashboard)

    board = context.new_page()
    board.goto("/leaderboard/")
    expect(board.locator("#rt-status")).to_have_attribute("data-state", "live")
    my_rank = board.locator("#leaderboard-me [data-field=rank]")
    my_points = board.locator("#leaderboard-me [data-field=points]")
    my_row = board.locator(f'#leaderboard-entries tr[data-user-id="{student.pk}"]')
    expect(my_rank).to_have_text(str(len(rivals) + 1))
    expect(my_points).to_have_text("0")
    expect(my_row).to_have_count(0)  # below the top ten
    expect(board.locator("#leaderboard-entries tr[data-user-id]")).to_have_count(10)
    board_watch = Watcher(board)

    # Lesson by lesson, in the first tab.
    page.bring_to_front()
    page.get_by_role("link", name="Continue").click()
    unread = 0
    for index, lesson in enumerate(lessons):
        expect(page.locator("h1.lesson-title")).to_have_text(lesson.title)
        page.get_by_role("button", name="Mark complete").click()
        expect(page.locator("[data-lesson-complete-state]")).to_be_visible()
        expected_progress = [0, 50, 50, 100][index]
        expect(page.locator("[data-lesson-complete-status]")).to_have_text(
            f"Course progress: {expected_progress}%"
        )

        # The dashboard tab follows: bell count (exactly the unread rows), then the bar.
        now_unread = unread_notifications(student)
        assert now_unread > unread, "completing a lesson notifies the student"
        unread = now_unread
        expect(count).to_have_attribute("data-count", str(unread))
        expect(count).to_have_text(str(unread))
        expect(bar).to_have_attribute("aria-valuenow", str(expected_progress))
        expect(label).to_have_text(f"{expected_progress}%")
        expect(bar.locator(".progress-bar")).to_have_attribute(
            "data-progress", str(expected_progress)
        )

        if index == 0:
            toast = dashboard.locator(".toast").filter(has_text="Achievement unlocked")
            expect(toast).to_contain_text("First lesson completed")
            expect(dashboard.locator("[data-achievement='first_lesson']")).to_be_visible()
        if index == 1:
            shots.take(dashboard, "dashboard-first-module-done")
        if index < len(lessons) - 1:
            page.locator("a[rel=next]").click()

    # Course complete: achievement and certificate toasts, badge, certificate link.
    certificate = Certificate.objects.get(user=student, course=course)
    expect(
        dashboard.locator(".toast")
        .filter(has_text="Achievement unlocked")
        .filter(has_text="First course completed")
    ).to_be_visible()
    certificate_toast = dashboard.locator(".toast").filter(has_text="Certificate issued")
    expect(certificate_toast).to_contain_text("Realtime Systems 101")
    expect(dashboard.locator(f'[data-course-completed="{course.pk}"]')).to_contain_text("Completed")
    expect(dashboard.locator("[data-achievement='first_course']")).to_be_visible()
    certificate_link = dashboard.locator(f'[data-certificate="{certificate.pk}"] a')
    expect(certificate_link).to_have_text("Realtime Systems 101")
    shots.take(dashboard, "dashboard-course-complete")

    # The leaderboard tab: 0 -> 150 points (100 for the course, 50 for its certificate),
    # from outside the top ten to second place. Time spent on the lesson pages is far
    # below a minute, which would add 0.1.
    expect(my_row.locator("[data-field=rank]")).to_have_text("2")
    expect(my_row.locator("[data-field=name]")).to_have_text("Ines Okafor")
    expect(my_row.locator("[data-field=points]")).to_have_text("150")
    expect(my_row.locator("[data-field=courses_completed]")).to_have_text("1")
    expect(my_row.locator("[data-field=certificates_earned]")).to_have_text("1")
    expect(my_row).to_have_class(re.compile(r"\bis-me\b"))
    expect(my_rank).to_have_text("2")
    expect(my_points).to_have_text("150")
    expect(board.locator("#leaderboard-entries tr[data-user-id]")).to_have_count(10)
    # The toasts (shown in every tab of the student) leave by themselves.
    expect(board.locator(".toast")).to_have_count(0, timeout=12_000)
    board.bring_to_front()
    shots.take(board, "leaderboard-climbed")

    dashboard_watch.assert_not_reloaded()
    board_watch.assert_not_reloaded()

    # The certificate verification page, from the dashboard's live certificate list.
    dashboard.bring_to_front()
    certificate_link.click()
    expect(dashboard).to_have_url(f"{server.url}{certificate.get_absolute_url()}")
    expect(dashboard.locator(".certificate-name")).to_have_text("Ines Okafor")
    expect(dashboard.locator(".certificate-course")).to_have_text("Realtime Systems 101")
    expect(dashboard.locator(".certificate-code code")).to_have_text(certificate.verification_code)
    shots.take(dashboard, "certificate")

    context.close()
    events.wait_for_sends(timeout=5)
    assert problems.errors == []
    assert_servers_clean([server])


def test_two_classmates_chat_in_a_thread_then_in_direct_messages(
    daphne_servers,
    browser,
):
    from playwright.sync_api import expect

    server_a, server_b = daphne_servers(2)

    def build():
        course = CourseFactory(title="Distributed Algorithms")
        ada = EnrollmentFactory(
            course=course, user__first_name="Ada", user__last_name="Lovelace"
        ).user
        alan = EnrollmentFactory(
            course=course, user__first_name="Alan", user__last_name="Turing"
        ).user
        thread = ThreadFactory(course=course, created_by=ada, title="Week 1: <b>consensus</b>")
        ThreadMessageFactory(thread=thread, sender=ada, content="Who has read the Paxos paper?")
        return course, ada, alan, thread

    course, ada, alan, thread = committed(build)
    problems = BrowserProblems()
    shots = Shots("journey2")

    # Each classmate in their own browser, each served by a different Daphne process.
    ada_context = signed_in_context(browser, server_a, ada)
    alan_context = signed_in_context(browser, server_b, alan)
    for context in (ada_context, alan_context):
        context.set_default_timeout(15_000)
        problems.watch(context)
    ada_page = ada_context.new_page()
    ada_page.set_viewport_size(VIEWPORT)
    alan_page = alan_context.new_page()
    alan_page.set_viewport_size(VIEWPORT)

    ada_page.goto(f"/courses/{course.pk}/discussions/")
    ada_page.locator("#thread-list .thread-title").filter(has_text="consensus").click()
    expect(ada_page.locator("#thread-title")).to_have_text("Week 1: <b>consensus</b>")
    expect(ada_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    alan_page.goto(f"/threads/{thread.pk}/")
    expect(alan_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    alan_watch = Watcher(alan_page)

    # Each sees the other online.
    for viewer, other in ((ada_page, alan), (alan_page, ada)):
        online = viewer.locator(f'#online-list [data-user-id="{other.pk}"]')
        expect(online.locator(".online-name")).to_have_text(other.display_name)
        expect(online.locator(".avatar")).to_have_count(1)

    # Alan types: Ada sees it.
    alan_page.locator("#post-form textarea").press_sequentially("I have, ", delay=30)
    expect(ada_page.locator("#typing-line")).to_have_text("Alan Turing is typing…")
    ada_page.bring_to_front()
    shots.take(ada_page, "thread-presence-typing")

    # Messages both ways, live.
    alan_page.locator("#post-form textarea").fill("I have, and <i>Raft</i> too")
    alan_page.get_by_role("button", name="Send").click()
    expect(alan_page.locator("#post-form textarea")).to_have_value("")
    ada_last = ada_page.locator("#chat-messages .chat-message").last
    expect(ada_last.locator(".chat-content")).to_have_text("I have, and <i>Raft</i> too")
    expect(ada_last.locator(".chat-author")).to_have_text("Alan Turing")
    expect(ada_page.locator("#typing-line")).to_have_text("", timeout=10_000)

    ada_page.locator("#post-form textarea").fill("Great, let's compare notes")
    ada_page.locator("#post-form textarea").press("Control+Enter")
    alan_last = alan_page.locator("#chat-messages .chat-message").last
    expect(alan_last.locator(".chat-content")).to_have_text("Great, let's compare notes")
    expect(alan_last.locator(".chat-author")).to_have_text("Ada Lovelace")
    assert ThreadMessage.objects.filter(thread=thread).count() == 3
    # Typing again right after sending: the server passes one typing frame per second per
    # socket and the page sends one per 2 s, so a first frame may be dropped; a person
    # typing at a normal pace for 3 s is shown.
    alan_page.locator("#post-form textarea").press_sequentially(
        "Tomorrow at the same time?", delay=120
    )
    expect(ada_page.locator("#typing-line")).to_have_text("Alan Turing is typing…")
    shots.take(ada_page, "thread-conversation")
    alan_page.locator("#post-form textarea").fill("")

    # Ada opens a direct conversation from Alan's name; Alan stays on the thread page.
    ada_page.locator("#chat-messages .chat-message a.chat-author").filter(
        has_text="Alan Turing"
    ).first.click()
    expect(ada_page).to_have_url(f"{server_a.url}/messages/{alan.pk}/")
    expect(ada_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    expect(alan_page.locator(f'#online-list [data-user-id="{ada.pk}"]')).to_have_count(0)
    alan_unread = alan_page.locator("#dm-unread-count")
    expect(alan_unread).to_have_attribute("data-count", "0")
    ada_watch = Watcher(ada_page)

    ada_page.locator("#post-form textarea").fill("Coffee after the lecture?")
    ada_page.get_by_role("button", name="Send").click()
    mine = ada_page.locator("#chat-messages .chat-message").last
    expect(mine.locator(".chat-content")).to_have_text("Coffee after the lecture?")
    expect(mine.locator(".chat-receipt")).to_be_hidden()

    # Alan's navigation count rises on the thread page, without a reload.
    expect(alan_unread).to_have_attribute("data-count", "1")
    expect(alan_unread).to_have_text("1")
    alan_watch.assert_not_reloaded()

    # Alan opens his inbox, then the conversation: read, and Ada sees "Seen" at once.
    alan_page.get_by_role("link", name=re.compile(r"^Messages")).click()
    row = alan_page.locator(f'#conversation-list [data-partner-id="{ada.pk}"]')
    expect(row.locator(".conversation-unread")).to_have_text("1")
    expect(row.locator(".conversation-last")).to_have_text("Coffee after the lecture?")
    row.locator("a.conversation-name").click()
    expect(alan_page.locator("#chat-messages")).to_contain_text("Coffee after the lecture?")
    expect(alan_unread).to_have_attribute("data-count", "0")
    expect(mine.locator(".chat-receipt")).to_be_visible()
    expect(mine.locator(".chat-receipt")).to_have_text("Seen")
    assert not DirectMessage.objects.filter(recipient=alan, is_read=False).exists()

    # Alan answers: it arrives on Ada's open conversation, and is seen at once.
    expect(alan_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    alan_page.locator("#post-form textarea").fill("Yes, 4 pm at the library")
    alan_page.get_by_role("button", name="Send").click()
    reply = ada_page.locator("#chat-messages .chat-message").last
    expect(reply.locator(".chat-content")).to_have_text("Yes, 4 pm at the library")
    expect(reply.locator(".chat-author")).to_have_text("Alan Turing")
    alan_last_dm = alan_page.locator("#chat-messages .chat-message").last
    expect(alan_last_dm.locator(".chat-receipt")).to_have_text("Seen")
    expect(alan_page.locator("#chat-messages .chat-receipt:visible")).to_have_count(1)
    expect(ada_page.locator("#dm-unread-count")).to_have_attribute("data-count", "0")
    ada_watch.assert_not_reloaded()
    shots.take(ada_page, "direct-messages-seen")

    ada_context.close()
    alan_context.close()
    assert problems.errors == []
    assert_servers_clean([server_a, server_b])

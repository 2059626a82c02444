"""Every main page in a real Chromium under the Content-Security-Policy: nothing refused.

A real Daphne seeded with seed_demo, plus a finished course (certificate,
achievements, notifications) and a conversation. Alice signs in through the
login form and opens every page; the admin opens the admin. Each page must
report no `securitypolicyviolation` and log no console error or warning, and
pages with the live connection must reach "live" (the websocket is allowed by
connect-src 'self').
"""

import pytest

from tests.lms.servers import seeded_site

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CERTIFICATE = "C5PC0FFEE0000001"
FINISH_A_COURSE_AND_WRITE = f"""
from discussions.services import direct_message_send
from lms.catalog.models import Lesson, User
from progress.models import Certificate
from progress.quizzes import quiz_attempt_take
from progress.services import lesson_complete

alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
for lesson in Lesson.objects.filter(module__course_id=1).order_by("module__order", "order"):
    quiz = getattr(lesson, "quiz", None)
    if quiz is None:
        lesson_complete(user=alice, lesson=lesson, score=80)
    else:
        right = {{
            str(question.pk): [c.pk for c in question.choices.all() if c.is_correct]
            for question in quiz.questions.all()
        }}
        quiz_attempt_take(user=alice, lesson=lesson, answers=right)
Certificate.objects.filter(user=alice).update(verification_code={CERTIFICATE!r})
direct_message_send(sender=bob, recipient=alice, content="Hello Alice")
"""
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} refused ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} ${event.sample || ""}`
  );
});
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with seeded_site(tmp_path_factory.mktemp("csp"), FINISH_A_COURSE_AND_WRITE) as base_url:
        yield base_url


class Watched:
    """A browser page that records what the browser refused or complained about."""

    def __init__(self, browser, site: str):
        self.context = browser.new_context(base_url=site)
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.problems.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def visit(self, path: str, *, live: bool = True, ready: str | None = None) -> dict:
        from playwright.sync_api import expect

        response = self.page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        headers = response.all_headers()
        if live:
            expect(self.page.locator("#rt-status")).to_have_attribute("data-state", "live")
        if ready:
            expect(self.page.locator(ready).first).to_be_visible()
        self.page.wait_for_timeout(300)  # late loads (images, fetches) report too
        refused = self.page.evaluate("window.__cspViolations")
        assert not refused, (path, refused)
        assert not self.problems, (path, self.problems)
        return headers

    def sign_in(self, username: str) -> None:
        self.visit("/login/", live=False)
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", username)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/")

    def close(self) -> None:
        self.context.close()


def test_every_page_runs_under_the_policy_without_a_violation(site, browser):
    alice = Watched(browser, site)
    try:
        login = alice.visit("/login/", live=False)
        assert "frame-ancestors 'none'" in login["content-security-policy"]
        assert "script-src 'self'" in login["content-security-policy"]
        alice.sign_in("alice")
        alice.visit("/", ready=".progress-bar[data-progress='100']")
        width = alice.page.eval_on_selector(
            ".progress-bar[data-progress='100']", "bar => bar.getBoundingClientRect().width"
        )
        track = alice.page.eval_on_selector(
            ".progress-bar[data-progress='100']",
            "bar => bar.parentElement.getBoundingClientRect().width",
        )
        assert width == pytest.approx(track, abs=1), "the bar's width comes from the stylesheet"
        alice.visit("/courses/", ready=".course-card")
        alice.visit("/courses/1/", ready="#course-content")
        lesson = alice.page.locator("#course-content [data-lesson-id] a").first.get_attribute(
            "href"
        )
        alice.visit(lesson, ready="h1.lesson-title")
        alice.visit("/courses/1/discussions/")
        alice.visit("/threads/1/")
        alice.visit("/messages/")
        bob = alice.page.locator("a[href^='/messages/']").filter(has_text="Bob").first
        alice.visit(bob.get_attribute("href"))
        alice.visit("/leaderboard/")
        alice.visit("/courses/1/leaderboard/")
        alice.visit("/notifications/")
        alice.visit(f"/certificates/{CERTIFICATE}/")
        alice.visit("/api/docs/", live=False, ready=".swagger-ui .info")
        alice.visit("/api/courses/", live=False, ready=".response-info")
        alice.visit("/progress/", ready="#main")
        quizzed = alice.page.locator("#quiz-results a").first.get_attribute("href")
        alice.visit(quizzed, ready="h1.lesson-title")
    finally:
        alice.close()


def test_the_teaching_pages_run_under_the_policy_without_a_violation(site, browser):
    teacher = Watched(browser, site)
    try:
        teacher.sign_in("teacher")
        teacher.visit("/teach/", ready="[data-teaching-courses]")
        teacher.visit("/teach/courses/1/", ready="#roster tbody tr")
        student = teacher.page.locator("#roster a[data-field='name']").first.get_attribute("href")
        teacher.visit(student, ready="#main")
        teacher.visit("/teach/courses/1/analytics/", ready="svg")
        teacher.visit("/courses/1/", ready="[data-announcement-form]")
        teacher.visit("/courses/1/announcements/", ready="[data-announcement-form]")
        teacher.visit("/teach/admin/", live=False, ready="#content-main")
        teacher.visit("/teach/admin/lms/course/1/change/", live=False, ready=".inline-group")
    finally:
        teacher.close()


def test_the_admin_runs_under_the_policy_without_a_violation(site, browser):
    admin = Watched(browser, site)
    try:
        admin.visit("/admin/login/", live=False)
        admin.page.fill("input[name=username]", "admin")
        admin.page.fill("input[name=password]", "admin")
        admin.page.click("input[type=submit]")
        admin.page.wait_for_url("**/admin/")
        admin.visit("/admin/", live=False, ready="#content-main")
        admin.visit("/admin/lms/course/", live=False, ready="#result_list")
        admin.visit("/admin/lms/course/1/change/", live=False, ready=".inline-group")
        admin.visit("/admin/lms/course/add/", live=False, ready="#course_form")
        admin.visit("/admin/axes/accessattempt/", live=False, ready="#content-main")
        admin.visit("/admin/lms/quiz/", live=False, ready="#result_list")
        admin.visit("/staff/realtime/", ready="#main")
        admin.visit("/", ready="#rt-status")
    finally:
        admin.close()

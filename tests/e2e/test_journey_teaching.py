"""An instructor follows a class live, end to end: a real Chromium against two Daphne
processes.

Tess teaches Statistics. She keeps the roster open while her student Sam, served by the
other process, starts reading, completes a lesson and then passes the quiz of the next one:
Sam's row on her roster moves live (started, progress, modules, score, completion) without
a reload. Then
Tess posts an announcement from the course page; Sam, who has the course page open,
sees it arrive live, and finds it there again after reloading.
"""

from __future__ import annotations

import pytest

from lms.catalog.models import Choice, Question, Quiz
from notifications.models import Announcement, Kind, Notification
from progress.models import LessonCompletion, QuizAttempt
from tests.e2e.browser import signed_in_context
from tests.e2e.test_journeys import (
    VIEWPORT,
    BrowserProblems,
    Shots,
    Watcher,
    assert_servers_clean,
    committed,
)
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    LessonFactory,
    ModuleFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# What the lesson page's activity timer sends (static/js/lesson.js), sent at once; the answer's
# status.
REPORT_READING_TIME = """async (seconds) => {
  const form = document.querySelector("[data-lesson-complete]");
  const response = await fetch(form.dataset.activityUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      "X-CSRFToken": window.LMSUi.csrfToken(),
      Accept: "application/json",
    },
    body: JSON.stringify({ seconds: seconds }),
  });
  return response.status;
}"""


def test_instructor_watches_a_student_progress_live_then_announces(daphne_servers, browser):
    from playwright.sync_api import expect

    server_a, server_b = daphne_servers(2)

    def build():
        tess = InstructorFactory(first_name="Tess", last_name="Nakamura")
        course = CourseFactory(title="Statistics", instructor=tess, is_published=True)
        basics = ModuleFactory(course=course, title="Basics", order=1)
        tests_module = ModuleFactory(course=course, title="Tests", order=2)
        reading = LessonFactory(module=basics, title="What a mean is", order=1)
        quizzed = LessonFactory(module=tests_module, title="The t-test", order=1)
        quiz = Quiz.objects.create(lesson=quizzed, pass_mark=50, pass_required=True)
        first = Question.objects.create(quiz=quiz, text="Which are measures of centre?", order=1)
        Choice.objects.create(question=first, text="Mean", is_correct=True, order=1)
        Choice.objects.create(question=first, text="Median", is_correct=True, order=2)
        Choice.objects.create(question=first, text="Variance", order=3)
        second = Question.objects.create(quiz=quiz, text="A t-test compares…", order=2)
        Choice.objects.create(question=second, text="means", is_correct=True, order=1)
        Choice.objects.create(question=second, text="colours", order=2)
        sam = EnrollmentFactory(
            course=course, user__first_name="Sam", user__last_name="Okafor"
        ).user
        EnrollmentFactory(course=course, user__first_name="Ada", user__last_name="Lind")
        return tess, course, reading, quizzed, quiz, sam

    tess, course, reading, quizzed, quiz, sam = committed(build)
    problems = BrowserProblems()
    shots = Shots("journey5")
    pages = {}
    for name, user, server in (("tess", tess, server_a), ("sam", sam, server_b)):
        context = signed_in_context(browser, server, user)
        problems.watch(context)
        page = context.new_page()
        page.set_viewport_size(VIEWPORT)
        pages[name] = page
    tess_page, sam_page = pages["tess"], pages["sam"]

    # Tess opens her dashboard and goes to the course's roster.
    tess_page.goto("/teach/")
    tess_page.get_by_role("link", name="Roster").first.click()
    expect(tess_page).to_have_url(f"{server_a.url}/teach/courses/{course.pk}/")
    expect(tess_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    row = tess_page.locator(f'#roster tr[data-user-id="{sam.pk}"]')
    expect(row.locator('[data-field="progress"]')).to_have_text("0%")
    expect(row.locator('[data-field="modules_completed"]')).to_have_text("0")
    expect(row.locator('[data-field="score"]')).to_have_text("—")
    roster_watch = Watcher(tess_page)
    shots.take(tess_page, "roster-before")

    # Sam opens the first lesson on the other process; his page reports his reading time,
    # his first activity in the course today. Tess's row hears that he has started (the
    # event carries what the write holds) and reads the rest of the row once.
    sam_page.goto(reading.get_absolute_url())
    expect(sam_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    with tess_page.expect_response(lambda r: r.url.endswith(f"/roster/{sam.pk}/")) as reread:
        assert sam_page.evaluate(REPORT_READING_TIME, 30) == 200
    assert reread.value.ok
    expect(row).to_have_attribute("data-status", "in_progress")
    expect(row.locator('[data-field="progress"]')).to_have_text("0%")
    expect(row.locator('[data-field="score"]')).to_have_text("—")
    roster_watch.assert_not_reloaded()

    # Sam completes the first lesson: half the course.
    sam_page.get_by_role("button", name="Mark complete").click()
    expect(sam_page.locator("[data-lesson-complete-state]")).to_be_visible()
    expect(row.locator('[data-field="progress"]')).to_have_text("50%")
    expect(row.locator('[data-field="modules_completed"]')).to_have_text("1")
    roster_watch.assert_not_reloaded()

    # The next lesson carries a quiz that must be passed: no "Mark complete" there.
    sam_page.goto(quizzed.get_absolute_url())
    expect(sam_page.get_by_role("button", name="Mark complete")).to_be_hidden()
    assert "is_correct" not in sam_page.content()
    quiz_form = sam_page.locator("[data-quiz-form]")
    quiz_form.get_by_label("Mean", exact=True).check()
    quiz_form.get_by_label("Median", exact=True).check()
    quiz_form.get_by_label("means", exact=True).check()
    quiz_form.get_by_role("button", name="Submit answers").click()
    expect(sam_page.locator("[data-quiz-score]")).to_have_text("100%")
    expect(sam_page.locator('[data-quiz-passed="true"]')).to_be_visible()
    shots.take(sam_page, "quiz-passed")
    attempt = QuizAttempt.objects.get(user=sam, quiz=quiz)
    assert (attempt.score, attempt.passed) == (100, True)
    assert LessonCompletion.objects.get(user=sam, lesson=quizzed).score == 100

    # Tess's roster follows: the course is complete, with the quiz's score.
    expect(row.locator('[data-field="progress"]')).to_have_text("100%")
    expect(row.locator('[data-field="modules_completed"]')).to_have_text("2")
    expect(row.locator('[data-field="score"]')).to_have_text("100")
    expect(row.locator('[data-field="completed_at"] time')).to_be_visible()
    roster_watch.assert_not_reloaded()
    shots.take(tess_page, "roster-after")

    # Sam opens the course page; Tess announces from hers.
    sam_page.goto(f"/courses/{course.pk}/")
    expect(sam_page.locator("#rt-status")).to_have_attribute("data-state", "live")
    sam_watch = Watcher(sam_page)
    expect(sam_page.locator("[data-announcement-form]")).to_have_count(0)
    tess_page.goto(f"/courses/{course.pk}/")
    form = tess_page.locator("[data-announcement-form]")
    form.get_by_label("Title").fill("Exam on <Friday>")
    form.get_by_label("Message").fill("Bring a calculator & a pencil.")
    form.get_by_role("button", name="Post announcement").click()
    expect(tess_page.locator(".announcement-title").first).to_have_text("Exam on <Friday>")
    announcement = Announcement.objects.get(course=course)

    live = sam_page.locator(f'[data-announcement-id="{announcement.pk}"]')
    expect(live.locator(".announcement-title")).to_have_text("Exam on <Friday>")
    expect(live.locator(".announcement-message")).to_have_text("Bring a calculator & a pencil.")
    sam_watch.assert_not_reloaded()
    shots.take(sam_page, "announcement-live")

    sam_page.reload()
    stored = sam_page.locator(f'[data-announcement-id="{announcement.pk}"]')
    expect(stored.locator(".announcement-title")).to_have_text("Exam on <Friday>")
    assert Notification.objects.filter(
        user=sam, kind=Kind.ANNOUNCEMENT, title="Exam on <Friday>"
    ).exists()

    assert problems.errors == []
    assert_servers_clean([server_a, server_b])

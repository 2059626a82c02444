"""Live progress, notifications and course content in a real Chromium against a real Daphne.

One Daphne process over a SQLite file seeded with seed_demo: alice and bob study the
first course, admin edits it.
"""

import pytest

from tests.lms.servers import seeded_site

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with seeded_site(tmp_path_factory.mktemp("site")) as base_url:
        yield base_url


def sign_in(browser, site, username):
    context = browser.new_context(base_url=site)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", username)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page


def live_dashboard(page):
    """Open the dashboard and wait until it follows the user's topic; mark the document."""
    from playwright.sync_api import expect

    page.goto("/")
    expect(page.locator("[data-notification-bell]")).to_have_attribute("data-live", "true")
    page.evaluate("window.__notReloaded = true")


def test_completing_lessons_moves_the_dashboard_and_the_bell_of_that_student_only(site, browser):
    from playwright.sync_api import expect

    alice_context, alice_dashboard = sign_in(browser, site, "alice")
    bob_context, bob_dashboard = sign_in(browser, site, "bob")
    live_dashboard(alice_dashboard)
    live_dashboard(bob_dashboard)
    course_id = alice_dashboard.locator(
        "#my-course-list [data-course-progress]"
    ).first.get_attribute("data-course-progress")
    alice_bar = alice_dashboard.locator(f'[data-course-progress="{course_id}"]')
    bob_bar = bob_dashboard.locator(f'[data-course-progress="{course_id}"]')
    expect(alice_bar).to_have_attribute("aria-valuenow", "0")
    alice_bell = alice_dashboard.locator("[data-notification-bell] [data-unread-count]")
    bob_bell = bob_dashboard.locator("[data-notification-bell] [data-unread-count]")
    bob_unread_before = bob_bell.get_attribute("data-count")
    alice_unread_before = int(alice_bell.get_attribute("data-count") or 0)

    # In another tab, alice completes every lesson of the first module.
    lesson_page = alice_context.new_page()
    lesson_page.goto(f"/courses/{course_id}/")
    modules = lesson_page.locator("#course-content [data-module-id]")
    module_count = modules.count()
    links = modules.first.locator("[data-lesson-id] a")
    urls = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for url in urls:
        lesson_page.goto(url)
        lesson_page.get_by_role("button", name="Mark complete").click()
        expect(lesson_page.locator("[data-lesson-complete-state]")).to_be_visible()

    expected = (200 + module_count) // (2 * module_count)  # one module of n, half up
    expect(alice_bar).to_have_attribute("aria-valuenow", str(expected))
    expect(alice_dashboard.locator(f'[data-course-progress-label="{course_id}"]')).to_have_text(
        f"{expected}%"
    )
    expect(alice_bell).not_to_have_attribute("data-count", str(alice_unread_before))
    assert int(alice_bell.get_attribute("data-count")) >= alice_unread_before + len(urls)
    expect(
        alice_dashboard.locator(".toast").filter(has_text="Achievement unlocked")
    ).to_be_visible()
    expect(alice_dashboard.locator("[data-achievement='first_lesson']")).to_be_visible()
    assert alice_dashboard.evaluate("window.__notReloaded") is True

    # The bell's dropdown lists the newest notification.
    alice_dashboard.locator("[data-notification-bell] summary").click()
    newest = alice_dashboard.locator("[data-notification-dropdown] li").first
    expect(newest).to_contain_text("Lesson completed")

    # Bob's pages did not move.
    expect(bob_bar).to_have_attribute("aria-valuenow", "0")
    assert bob_bell.get_attribute("data-count") == bob_unread_before
    expect(bob_dashboard.locator(".toast")).to_have_count(0)
    assert bob_dashboard.evaluate("window.__notReloaded") is True

    # Marking everything read on the notifications page clears the bell of the dashboard.
    notifications_page = alice_context.new_page()
    notifications_page.goto("/notifications/")
    notifications_page.get_by_role("button", name="Mark all read").click()
    expect(alice_bell).to_have_attribute("data-count", "0")
    alice_context.close()
    bob_context.close()


def test_lesson_changes_in_the_admin_appear_on_an_open_course_page(site, browser):
    from playwright.sync_api import expect

    alice_context, course_page = sign_in(browser, site, "alice")
    course_page.goto("/")
    course_page.locator("#my-course-list a.course-title").first.click()
    root = course_page.locator("#course-content")
    expect(root).to_have_attribute("data-live", "true")
    course_page.evaluate("window.__notReloaded = true")
    first_lesson = root.locator("[data-lesson-id]").first
    lesson_id = first_lesson.get_attribute("data-lesson-id")
    module_id = root.locator("[data-module-id]").first.get_attribute("data-module-id")

    admin_context, admin = sign_in(browser, site, "admin")
    admin.goto(f"/admin/lms/lesson/{lesson_id}/change/")
    admin.fill("input[name=title]", "Why Python? <revised>")
    admin.click("input[name=_save]")
    expect(admin.locator(".messagelist")).to_contain_text("changed successfully")

    expect(course_page.locator(f'[data-lesson-id="{lesson_id}"] .lesson-title')).to_have_text(
        "Why Python? <revised>"
    )

    admin.goto(f"/admin/lms/module/{module_id}/change/")
    admin.get_by_text("Add another Lesson").click()
    form = admin.locator(".inline-related:not(.empty-form)").last
    form.locator("input[name$='-title']").fill("A brand new lesson")
    form.locator("input[name$='-order']").fill("99")
    form.locator("input[name$='-duration_minutes']").fill("12")
    form.locator("textarea[name$='-content']").fill("Fresh content.")
    admin.click("input[name=_save]")
    expect(admin.locator(".messagelist")).to_contain_text("changed successfully")

    new_item = course_page.locator(f'[data-module-id="{module_id}"] [data-lesson-id]').filter(
        has_text="A brand new lesson"
    )
    expect(new_item).to_have_count(1)
    expect(new_item.locator(".duration")).to_have_text("12 min")
    assert course_page.evaluate("window.__notReloaded") is True
    alice_context.close()
    admin_context.close()

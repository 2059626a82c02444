"""Alice in a real Chromium against a real Daphne seeded with seed_demo."""

import pytest

from tests.lms.servers import seeded_site

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    with seeded_site(tmp_path_factory.mktemp("site")) as base_url:
        yield base_url


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_alice_logs_in_sees_her_course_and_opens_it(demo_site, page):
    from playwright.sync_api import expect

    page.goto(f"{demo_site}/")
    expect(page).to_have_url(f"{demo_site}/login/?next=/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice")
    page.click("button[type=submit]")

    expect(page).to_have_url(f"{demo_site}/")
    expect(page.locator("h1")).to_contain_text("Alice")
    card = page.locator("#my-course-list article").filter(has_text="Python Foundations")
    expect(card).to_have_count(1)
    expect(card.locator(".progress")).to_have_attribute("aria-valuenow", "0")
    expect(page.locator("#my-course-list article")).to_have_count(1)
    # The stylesheet is applied: the navigation bar is laid out as a flex row.
    assert page.eval_on_selector(".nav", "el => getComputedStyle(el).display") == "flex"

    card.locator("a.course-title").click()
    expect(page).to_have_url(f"{demo_site}/courses/1/")
    expect(page.locator("h1")).to_contain_text("Python Foundations")
    expect(page.locator("#course-content [data-module-id]")).to_have_count(3)
    expect(page.get_by_role("link", name="Continue")).to_be_visible()

    page.locator("#course-content [data-lesson-id] a").first.click()
    expect(page.locator("h1.lesson-title")).to_have_text("Why Python?")
    expect(page.locator(".lesson-content")).to_contain_text("most widely used")


def test_carol_enrolls_from_the_course_page(demo_site, page):
    from playwright.sync_api import expect

    page.goto(f"{demo_site}/login/")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", "carol")
    page.click("button[type=submit]")
    expect(page.get_by_text("not enrolled in any course yet")).to_be_visible()

    page.goto(f"{demo_site}/courses/2/")
    page.get_by_role("button", name="Enroll").click()
    expect(page.locator(".messages")).to_contain_text("You are enrolled in")
    page.goto(f"{demo_site}/")
    expect(page.locator("#my-course-list article")).to_have_count(1)

"""The Content-Security-Policy: sent with every page, and no page needs it loosened.

Inline scripts, <style> blocks, style attributes and on* handlers would be refused
by the browser; here every main page is rendered and searched for them. The
browser test (test_csp_browser.py) checks the same pages in a real Chromium.
"""

import re
from dataclasses import dataclass

import pytest
from django.test import Client

from discussions import services as discussions
from notifications.services import notification_create
from progress.services import lesson_complete
from tests.factories import (
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
    course_with_lessons,
)
from tests.progress.factories import lessons_of

pytestmark = pytest.mark.django_db

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: https:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
INLINE = {
    "style attribute": re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S),
    "style block": re.compile(r"<style[\s>]", re.I),
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S),
    "javascript: URL": re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
}


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


@dataclass
class Site:
    student: object
    instructor: object
    staff: object
    partner: object
    course_id: int
    lesson_id: int
    thread_id: int
    certificate_code: str


@pytest.fixture
def site() -> Site:
    """A student who finished a course (certificate, achievements, notifications), with a
    thread, a conversation, and a second course in progress."""
    instructor = InstructorFactory()
    student, partner = UserFactory(), UserFactory()
    finished = course_with_lessons(modules=1, lessons_per_module=2, instructor=instructor)
    started = course_with_lessons(modules=2, lessons_per_module=1, instructor=instructor)
    for course in (finished, started):
        EnrollmentFactory(user=student, course=course)
        EnrollmentFactory(user=partner, course=course)
    for lesson in lessons_of(finished):
        lesson_complete(user=student, lesson=lesson, score=90)
    lesson_complete(user=student, lesson=lessons_of(started)[0])
    thread = discussions.thread_create(course=started, created_by=student, title="Week one")
    discussions.thread_message_post(thread=thread, sender=partner, content="Hello there")
    discussions.direct_message_send(sender=partner, recipient=student, content="Hi!")
    notification_create(user=student, title="Welcome", message="Glad you are here.")
    return Site(
        student=student,
        instructor=instructor,
        staff=StaffFactory(),
        partner=partner,
        course_id=started.pk,
        lesson_id=lessons_of(started)[1].pk,
        thread_id=thread.pk,
        certificate_code=student.certificates.get().verification_code,
    )


def student_pages(site: Site) -> list[str]:
    return [
        "/",
        "/courses/",
        f"/courses/{site.course_id}/",
        f"/lessons/{site.lesson_id}/",
        f"/courses/{site.course_id}/discussions/",
        f"/threads/{site.thread_id}/",
        "/messages/",
        f"/messages/{site.partner.pk}/",
        "/leaderboard/",
        f"/courses/{site.course_id}/leaderboard/",
        "/notifications/",
        f"/certificates/{site.certificate_code}/",
        "/progress/",
        "/account/",
        "/account/notifications/",
        "/account/password/",
        "/account/delete/",
        f"/courses/{site.course_id}/leave/",
        f"/courses/{site.course_id}/discussions/search/?q=welcome",
        "/messages/search/?q=hello",
        "/discussions/unread/",
        "/api/docs/",
    ]


def staff_pages(site: Site) -> list[str]:
    return [
        "/admin/",
        "/admin/lms/course/",
        f"/admin/lms/course/{site.course_id}/change/",
        "/admin/lms/user/",
        "/admin/axes/accessattempt/",
        "/",
    ]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_no_inline_code(url: str, response) -> None:
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    for kind, pattern in INLINE.items():
        found = pattern.search(html)
        assert found is None, f"{url} has an {kind}: {html[found.start() : found.start() + 120]}"


def test_every_page_sends_the_policy(site):
    client = signed_in(site.student)
    for url in ["/login/", "/signup/", *student_pages(site), "/api/me/"]:
        response = client.get(url) if url not in ("/login/", "/signup/") else Client().get(url)
        assert policy_of(response) == EXPECTED_POLICY, url


def test_no_page_carries_inline_scripts_or_styles(site):
    anonymous = Client()
    for url in ["/login/", "/signup/", "/courses/", "/admin/login/"]:
        assert_no_inline_code(url, anonymous.get(url))
    for user, pages in (
        (site.student, student_pages(site)),
        (site.instructor, ["/", f"/courses/{site.course_id}/"]),
        (site.staff, staff_pages(site)),
    ):
        client = signed_in(user)
        for url in pages:
            assert_no_inline_code(url, client.get(url, HTTP_ACCEPT="text/html"))


def test_api_docs_script_is_served_from_the_site(site):
    client = signed_in(site.student)
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert any("script" in src and src.startswith("/api/docs/") for src in scripts), scripts
    script = client.get(next(src for src in scripts if src.startswith("/api/docs/")))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_progress_bars_get_their_width_without_a_style_attribute(site):
    html = signed_in(site.student).get("/").content.decode()
    assert 'class="progress-bar" data-progress="100"' in html
    assert 'class="progress-bar" data-progress="50"' in html


def test_only_the_browsable_api_may_use_inline_styles(site):
    client = signed_in(site.student)
    page = client.get("/api/courses/", HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html")
    assert policy_of(page) == {**EXPECTED_POLICY, "style-src": "'self' 'unsafe-inline'"}
    assert INLINE["inline script"].search(page.content.decode()) is None
    assert INLINE["event handler attribute"].search(page.content.decode()) is None
    data = client.get("/api/courses/", HTTP_ACCEPT="application/json")
    assert policy_of(data) == EXPECTED_POLICY

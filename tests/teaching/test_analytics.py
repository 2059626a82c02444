"""A course's engagement analytics: the figures, the roll-up, who may see them, their cost."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from discussions.models import DiscussionThread, ThreadMessage
from lms.catalog.models import Enrollment
from progress.models import CourseActivity, ModuleCompletion
from teaching.analytics import course_analytics, course_days_rollup, course_snapshots_refresh
from teaching.models import CourseDay, CourseSnapshot
from tests.factories import (
    EnrollmentFactory,
    InstructorFactory,
    StaffFactory,
    UserFactory,
    course_with_lessons,
)

pytestmark = pytest.mark.django_db


def at_noon(day):
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_url(course) -> str:
    return f"/api/courses/{course.pk}/analytics/"


def page_url(course) -> str:
    return f"/teach/courses/{course.pk}/analytics/"


def enroll(student, course, *, days_ago: int, completed_after: timedelta | None = None):
    enrollment = EnrollmentFactory(user=student, course=course)
    enrolled_at = at_noon(timezone.localdate() - timedelta(days=days_ago))
    Enrollment.objects.filter(pk=enrollment.pk).update(
        enrolled_at=enrolled_at,
        completed_at=enrolled_at + completed_after if completed_after else None,
    )
    return enrollment


def active(student, course, *, days_ago: int, seconds: int = 60, lessons: int = 0) -> None:
    CourseActivity.objects.create(
        user=student,
        course=course,
        day=timezone.localdate() - timedelta(days=days_ago),
        seconds=seconds,
        lessons_completed=lessons,
    )


def message(thread, sender, *, days_ago: int, hidden: bool = False) -> None:
    posted = ThreadMessage.objects.create(thread=thread, sender=sender, content="Hello")
    when = at_noon(timezone.localdate() - timedelta(days=days_ago))
    ThreadMessage.objects.filter(pk=posted.pk).update(
        created_at=when, hidden_at=when if hidden else None
    )


@pytest.fixture
def seeded():
    """Four students: s1 enrolled 20 days ago (completed after 10 days), s2 10 days ago
    (completed after 2.5 days), s3 3 days ago, s4 today; activity, messages, modules."""
    course = course_with_lessons(modules=2, lessons_per_module=2)
    other = course_with_lessons(modules=1, lessons_per_module=1)
    s1, s2, s3, s4 = (UserFactory() for _ in range(4))
    enroll(s1, course, days_ago=20, completed_after=timedelta(days=10))
    enroll(s2, course, days_ago=10, completed_after=timedelta(days=2, hours=12))
    enroll(s3, course, days_ago=3)
    enroll(s4, course, days_ago=0)
    active(s1, course, days_ago=19)  # week 0 of s1
    active(s1, course, days_ago=12)  # week 1
    active(s1, course, days_ago=1)  # week 2
    active(s1, course, days_ago=0, seconds=120, lessons=1)  # week 2
    active(s2, course, days_ago=1, seconds=600)  # week 1 of s2
    active(s3, course, days_ago=3, seconds=300, lessons=2)  # week 0 of s3
    active(s4, other, days_ago=0, lessons=1)  # another course: not counted
    thread = DiscussionThread.objects.create(course=course, title="Questions", created_by=s1)
    message(thread, s1, days_ago=0)
    message(thread, s2, days_ago=0)
    message(thread, s2, days_ago=1)
    message(thread, s3, days_ago=1, hidden=True)  # hidden: not counted
    elsewhere = DiscussionThread.objects.create(course=other, title="Other", created_by=s4)
    message(elsewhere, s4, days_ago=0)
    first, second = course.modules.order_by("order")
    for student in (s1, s2, s3):
        ModuleCompletion.objects.create(user=student, module=first)
    ModuleCompletion.objects.create(user=s1, module=second)
    ModuleCompletion.objects.create(user=UserFactory(), module=first)  # not enrolled
    return {"course": course, "other": other, "modules": (first, second)}


def by_days_ago(body: dict, days_ago: int) -> dict:
    day = (timezone.localdate() - timedelta(days=days_ago)).isoformat()
    return next(entry for entry in body["daily"] if entry["date"] == day)


def test_figures_of_a_seeded_course(seeded):
    course = seeded["course"]
    response = client_for(course.instructor).get(api_url(course), {"days": 7})

    assert response.status_code == 200
    body = response.json()
    assert body["days"] == 7
    assert len(body["daily"]) == 7
    assert body["last"] == timezone.localdate().isoformat()
    assert by_days_ago(body, 0) == {
        "date": timezone.localdate().isoformat(),
        "active_students": 1,
        "lessons_completed": 1,
        "minutes": 2,
        "messages": 2,
    }
    yesterday = by_days_ago(body, 1)
    assert (yesterday["active_students"], yesterday["minutes"], yesterday["messages"]) == (
        2,
        11,
        1,
    )
    assert by_days_ago(body, 3)["lessons_completed"] == 2
    assert by_days_ago(body, 2)["active_students"] == 0
    assert (body["enrolled"], body["completed"], body["completion_percent"]) == (4, 2, 50.0)
    # (10 days + 2.5 days) / 2
    assert body["average_completion_seconds"] == 540_000
    assert body["average_completion_days"] == 6.2
    first, second = seeded["modules"]
    assert [(m["module_id"], m["completed"], m["percent"]) for m in body["funnel"]] == [
        (first.pk, 3, 75.0),
        (second.pk, 1, 25.0),
    ]
    retention = {week["week"]: week for week in body["retention"]}
    assert (retention[0]["eligible"], retention[0]["active"], retention[0]["percent"]) == (
        4,
        2,
        50.0,
    )
    assert (retention[1]["eligible"], retention[1]["active"]) == (2, 2)
    assert (retention[2]["eligible"], retention[2]["active"]) == (1, 1)
    assert (retention[3]["eligible"], retention[3]["active"], retention[3]["percent"]) == (
        0,
        0,
        None,
    )
    assert len(body["retention"]) == 8


def test_a_course_without_students_has_empty_figures():
    course = course_with_lessons(modules=1, lessons_per_module=1)
    body = client_for(course.instructor).get(api_url(course)).json()
    assert body["enrolled"] == 0
    assert body["average_completion_seconds"] is None
    assert body["funnel"][0]["percent"] is None
    assert all(day["active_students"] == 0 for day in body["daily"])
    assert len(body["daily"]) == 30


@pytest.mark.parametrize("days", ["0", "366", "many"])
def test_days_out_of_range_is_a_400(seeded, days):
    course = seeded["course"]
    response = client_for(course.instructor).get(api_url(course), {"days": days})
    assert response.status_code == 400
    assert "days" in response.json()


def stored_parts_removed(body: dict) -> dict:
    return {**body, "rolled_up_through": None, "totals_at": None}


def test_rollup_matches_the_live_figures_and_is_idempotent(seeded):
    course = seeded["course"]
    client = client_for(course.instructor)
    live = client.get(api_url(course), {"days": 30}).json()
    assert live["rolled_up_through"] is None
    assert not CourseSnapshot.objects.exists()

    call_command("analytics_rollup", days=30, stdout=open("/dev/null", "w"))  # noqa: SIM115
    rows = CourseDay.objects.count()
    course_days_rollup(days=30)
    assert CourseDay.objects.count() == rows  # same rows, upserted
    yesterday = CourseDay.objects.get(course=course, day=timezone.localdate() - timedelta(days=1))
    assert (yesterday.active_students, yesterday.seconds, yesterday.messages) == (2, 660, 1)

    snapshot = CourseSnapshot.objects.get(course=course)
    call_command("analytics_rollup", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert CourseSnapshot.objects.count() == 2  # one per course, replaced
    assert CourseSnapshot.objects.get(course=course).figures == snapshot.figures

    rolled = client.get(api_url(course), {"days": 30}).json()
    assert rolled["rolled_up_through"] == (timezone.localdate() - timedelta(days=1)).isoformat()
    assert stored_parts_removed(rolled) == stored_parts_removed(live)


def test_a_stale_snapshot_is_not_read(seeded):
    course = seeded["course"]
    course_snapshots_refresh()
    CourseSnapshot.objects.filter(course=course).update(
        computed_at=timezone.now() - timedelta(hours=1),
        figures={**CourseSnapshot.objects.get(course=course).figures, "enrolled": 999},
    )
    body = client_for(course.instructor).get(api_url(course)).json()
    assert body["enrolled"] == 4


def test_a_fresh_snapshot_is_read_with_the_current_modules(seeded):
    course = seeded["course"]
    course_snapshots_refresh()
    first, _ = seeded["modules"]
    first.title = "Renamed"
    first.save()
    Enrollment.objects.filter(course=course).first().delete()  # not seen until the next run

    body = client_for(course.instructor).get(api_url(course)).json()
    assert body["enrolled"] == 4
    assert body["funnel"][0]["title"] == "Renamed"


def test_days_the_rollup_missed_are_computed_live(seeded):
    course = seeded["course"]
    client = client_for(course.instructor)
    live = client.get(api_url(course), {"days": 30}).json()
    course_days_rollup(days=2)  # only the last two days before today: older ones missing

    body = client.get(api_url(course), {"days": 30}).json()
    assert stored_parts_removed(body) == stored_parts_removed(live)


def test_rollup_recomputes_a_changed_day(seeded):
    course = seeded["course"]
    course_days_rollup(days=3)
    student = Enrollment.objects.filter(course=course).order_by("enrolled_at").first().user
    CourseActivity.objects.filter(
        course=course, day=timezone.localdate() - timedelta(days=2)
    ).delete()
    active(student, course, days_ago=2, lessons=3)

    course_days_rollup(days=3)

    day = CourseDay.objects.get(course=course, day=timezone.localdate() - timedelta(days=2))
    assert (day.active_students, day.lessons_completed) == (1, 3)
    assert course_analytics(course=course, days=3)["daily"][0]["lessons_completed"] == 3


def add_students(course, count: int, *, days_ago: int) -> None:
    for _ in range(count):
        student = UserFactory()
        enroll(student, course, days_ago=days_ago)
        for n in range(0, days_ago, 3):
            active(student, course, days_ago=n)


# The API: the permission, the course, 3 for the days, the snapshot, the modules, and
# without a snapshot 4 for the totals. The page adds the session, the user and the
# layout's two unread counts.
@pytest.mark.parametrize(("path", "bound"), [(api_url, 11), (page_url, 15)])
def test_queries_do_not_grow_with_students_or_days(
    seeded, path, bound, django_assert_max_num_queries
):
    course = seeded["course"]
    client = client_for(course.instructor)
    if path is page_url:
        client.force_login(course.instructor)
    with django_assert_max_num_queries(bound):
        assert client.get(path(course), {"days": 7}).status_code == 200
    add_students(course, 6, days_ago=40)
    course_days_rollup(days=5)
    with django_assert_max_num_queries(bound):
        assert client.get(path(course), {"days": 90}).status_code == 200
    course_snapshots_refresh()
    with django_assert_max_num_queries(bound - 4):
        assert client.get(path(course), {"days": 90}).status_code == 200


@pytest.mark.parametrize("path", [api_url, page_url])
def test_instructor_and_staff_see_the_analytics(seeded, path):
    course = seeded["course"]
    for viewer in (course.instructor, StaffFactory()):
        client = APIClient()
        client.force_login(viewer)
        assert client.get(path(course)).status_code == 200


@pytest.mark.parametrize("path", [api_url, page_url])
def test_a_student_of_the_course_is_refused_403(seeded, path):
    course = seeded["course"]
    student = Enrollment.objects.filter(course=course).first().user
    client = APIClient()
    client.force_login(student)
    assert client.get(path(course)).status_code == 403


@pytest.mark.parametrize("path", [api_url, page_url])
def test_another_instructor_gets_404(seeded, path):
    client = APIClient()
    client.force_login(InstructorFactory())
    assert client.get(path(seeded["course"])).status_code == 404


def test_anonymous_is_refused(seeded):
    course = seeded["course"]
    assert APIClient().get(api_url(course)).status_code == 401
    response = APIClient().get(page_url(course))
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_page_draws_the_charts_with_tooltips_and_a_table(seeded):
    course = seeded["course"]
    client = APIClient()
    client.force_login(course.instructor)
    response = client.get(page_url(course), {"days": 7})

    assert response.status_code == 200
    html = response.content.decode()
    for title in (
        "Active students per day",
        "Lessons completed per day",
        "Messages per day",
        "Completion by module",
        "Retention by week after enrolling",
    ):
        assert title in html
    assert html.count("<svg") >= 5
    assert "2 active students</title>" in html
    assert "Week 1: 2 of 2 students active (100 %)" in html
    assert "completed by 3 (75 % of the enrolled)" in html
    assert "Show the figures" in html
    assert "6.2 days" in html
    assert " style=" not in html  # the CSP allows no inline style


def test_page_escapes_module_titles(seeded):
    course = seeded["course"]
    first, _ = seeded["modules"]
    first.title = "<script>alert(1)</script>"
    first.save()
    client = APIClient()
    client.force_login(course.instructor)
    html = client.get(page_url(course)).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html


def test_the_schema_documents_the_endpoint(seeded):
    client = client_for(seeded["course"].instructor)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/courses/{course_id}/analytics/"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"course_id", "days"}
    assert {"200", "403", "404"} <= set(operation["responses"])

"""Activity per day, the longest streak, the "My progress" page and GET /api/me/progress/."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lms.catalog.models import Enrollment
from lms.catalog.services import enrollment_delete
from notifications.models import Notification
from progress.models import DailyActivity, LearningStats
from progress.selectors import ACTIVITY_DAYS
from progress.services import lesson_activity_record, lesson_complete
from tests.progress.factories import (
    AchievementFactory,
    CertificateFactory,
    enrolled_course,
    events_on,
    lessons_of,
)
from tests.security.test_csp import assert_no_inline_code

pytestmark = pytest.mark.django_db


def today_row(user) -> DailyActivity | None:
    return DailyActivity.objects.filter(user=user, day=timezone.localdate()).first()


def complete_all(user, course) -> None:
    for lesson in lessons_of(course):
        lesson_complete(user=user, lesson=lesson)


@pytest.fixture
def student_client(user):
    client = Client()
    client.force_login(user)
    return client


# Activity per day, kept by the services.


def test_a_new_completion_counts_one_lesson_today_and_a_repeat_counts_nothing(user):
    lesson, other = lessons_of(enrolled_course(user, modules=1, lessons_per_module=2))

    lesson_complete(user=user, lesson=lesson)
    lesson_complete(user=user, lesson=lesson)
    lesson_complete(user=user, lesson=lesson, score=80)

    assert today_row(user).lessons_completed == 1
    lesson_complete(user=user, lesson=other)
    row = today_row(user)
    assert (row.lessons_completed, row.seconds) == (2, 0)
    assert DailyActivity.objects.filter(user=user).count() == 1


def test_activity_reports_add_the_credited_seconds_to_today(user):
    first, second = lessons_of(enrolled_course(user, modules=1, lessons_per_module=2))
    now = timezone.now()

    lesson_activity_record(user=user, lesson=first, seconds=120, now=now)
    lesson_activity_record(user=user, lesson=second, seconds=45, now=now)
    # 10 s after the previous report on `first`: only 10 s (+2 s slack) are credited.
    result = lesson_activity_record(
        user=user, lesson=first, seconds=300, now=now + timedelta(seconds=10)
    )

    assert result.credited == 12
    assert today_row(user).seconds == 120 + 45 + 12


def test_a_report_credited_nothing_writes_no_day(user):
    lesson = lessons_of(enrolled_course(user, modules=1, lessons_per_module=1))[0]
    now = timezone.now()
    lesson_activity_record(user=user, lesson=lesson, seconds=60, now=now)
    DailyActivity.objects.all().delete()

    # A report dated before the previous one (a clock skew): no time has passed.
    result = lesson_activity_record(
        user=user, lesson=lesson, seconds=60, now=now - timedelta(seconds=5)
    )

    assert result.credited == 0
    assert not DailyActivity.objects.exists()


def test_the_day_is_the_sites_time_zone_date(user, settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: noon UTC is already tomorrow there
    lesson = lessons_of(enrolled_course(user, modules=1, lessons_per_module=1))[0]

    lesson_activity_record(
        user=user, lesson=lesson, seconds=30, now=datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
    )

    assert DailyActivity.objects.get(user=user).day == date(2024, 3, 11)
    assert LearningStats.objects.get(user=user).last_active_date == date(2024, 3, 11)


def test_the_longest_streak_stays_when_the_current_one_restarts(user):
    today = timezone.localdate()
    LearningStats.objects.create(
        user=user, last_active_date=today - timedelta(days=3), current_streak=5, longest_streak=5
    )
    lessons = lessons_of(enrolled_course(user, modules=1, lessons_per_module=2))

    lesson_complete(user=user, lesson=lessons[0])

    stats = LearningStats.objects.get(user=user)
    assert (stats.current_streak, stats.longest_streak) == (1, 5)


def test_the_longest_streak_grows_with_the_current_one(user):
    today = timezone.localdate()
    LearningStats.objects.create(
        user=user, last_active_date=today - timedelta(days=1), current_streak=4, longest_streak=4
    )
    lesson = lessons_of(enrolled_course(user, modules=1, lessons_per_module=1))[0]

    lesson_complete(user=user, lesson=lesson)

    stats = LearningStats.objects.get(user=user)
    assert (stats.current_streak, stats.longest_streak) == (5, 5)


def test_stats_updated_carries_the_longest_streak_and_todays_activity(user):
    lesson = lessons_of(enrolled_course(user, modules=1, lessons_per_module=2))[0]

    lesson_complete(user=user, lesson=lesson)
    lesson_activity_record(user=user, lesson=lesson, seconds=90)

    updates = [data for event, data in events_on(f"user:{user.pk}") if event == "stats.updated"]
    today = timezone.localdate().isoformat()
    assert updates[0]["today"] == {"date": today, "seconds": 0, "lessons_completed": 1}
    assert updates[0]["current_streak"] == updates[0]["longest_streak"] == 1
    assert updates[-1]["today"] == {"date": today, "seconds": 90, "lessons_completed": 1}
    assert updates[-1]["total_time_spent"] == 1


def test_a_course_left_after_completing_it_still_counts_as_completed(user):
    first = enrolled_course(user, modules=1, lessons_per_module=1)
    complete_all(user, first)
    enrollment_delete(enrollment=Enrollment.objects.get(user=user, course=first))

    complete_all(user, enrolled_course(user, modules=1, lessons_per_module=1))

    stats = LearningStats.objects.get(user=user)
    assert (stats.courses_completed, stats.certificates_earned) == (2, 2)


# GET /api/me/progress/


def test_my_progress_api_has_stats_activity_courses_certificates_achievements(
    auth_client, user, django_assert_max_num_queries
):
    finished = enrolled_course(user, modules=1, lessons_per_module=1)
    complete_all(user, finished)
    started = enrolled_course(user, modules=2, lessons_per_module=1)
    lesson_complete(user=user, lesson=lessons_of(started)[0], score=70)
    lesson_activity_record(user=user, lesson=lessons_of(started)[0], seconds=150)
    DailyActivity.objects.create(
        user=user, day=timezone.localdate() - timedelta(days=10), seconds=600, lessons_completed=2
    )
    DailyActivity.objects.create(  # older than 84 days: not shown
        user=user, day=timezone.localdate() - timedelta(days=84), seconds=60
    )

    with django_assert_max_num_queries(8):
        response = auth_client.get("/api/me/progress/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"stats", "activity", "courses", "certificates", "achievements"}
    assert body["stats"]["longest_streak"] == body["stats"]["current_streak"] == 1
    assert body["stats"]["total_seconds_spent"] == 150
    assert body["stats"]["average_score"] == 70
    assert len(body["activity"]) == ACTIVITY_DAYS
    today = timezone.localdate()
    assert body["activity"][0]["date"] == (today - timedelta(days=83)).isoformat()
    assert body["activity"][-1] == {
        "date": today.isoformat(),
        "seconds": 150,
        "lessons_completed": 2,
    }
    assert body["activity"][-11] == {
        "date": (today - timedelta(days=10)).isoformat(),
        "seconds": 600,
        "lessons_completed": 2,
    }
    assert sum(day["seconds"] for day in body["activity"]) == 750
    by_course = {course["course"]: course for course in body["courses"]}
    assert by_course[started.pk]["progress"] == 50
    assert by_course[started.pk]["completed_at"] is None
    assert by_course[finished.pk]["progress"] == 100
    assert by_course[finished.pk]["completed_at"] is not None
    assert by_course[finished.pk]["course_title"] == finished.title
    assert by_course[finished.pk]["url"] == f"/courses/{finished.pk}/"
    [certificate] = body["certificates"]
    assert certificate["verify_url"] == f"/certificates/{certificate['verification_code']}/"
    assert {a["kind"] for a in body["achievements"]} == {"first_lesson", "first_course"}


def test_my_progress_api_of_a_new_student_is_zeros(auth_client):
    body = auth_client.get("/api/me/progress/").json()

    assert body["stats"]["total_time_spent"] == 0
    assert body["stats"]["longest_streak"] == 0
    assert body["stats"]["average_score"] is None
    assert [day["seconds"] + day["lessons_completed"] for day in body["activity"]] == [0] * 84
    assert body["courses"] == body["certificates"] == body["achievements"] == []


def test_my_progress_api_needs_a_sign_in(api_client):
    assert api_client.get("/api/me/progress/").status_code == 401


def test_a_streak_with_a_missed_day_reads_as_zero(auth_client, user):
    LearningStats.objects.create(
        user=user,
        last_active_date=timezone.localdate() - timedelta(days=2),
        current_streak=4,
        longest_streak=6,
    )

    stats = auth_client.get("/api/me/progress/").json()["stats"]

    assert (stats["current_streak"], stats["longest_streak"]) == (0, 6)
    assert auth_client.get("/api/me/").json()["stats"]["current_streak"] == 0


def test_my_progress_is_in_the_schema(auth_client):
    schema = auth_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/me/progress/"]["get"]
    assert {"200", "401"} <= set(operation["responses"])
    component = schema["components"]["schemas"]["MyProgress"]
    assert set(component["properties"]) == {
        "stats",
        "activity",
        "courses",
        "certificates",
        "achievements",
    }


# The page.


def test_my_progress_page_shows_the_figures(student_client, user):
    course = enrolled_course(user, modules=1, lessons_per_module=1)
    complete_all(user, course)
    started = enrolled_course(user, modules=2, lessons_per_module=1)
    lesson_complete(user=user, lesson=lessons_of(started)[0], score=85)
    stats = LearningStats.objects.get(user=user)
    stats.total_time_spent, stats.longest_streak = 125, 9
    stats.save()

    response = student_client.get("/progress/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-stat="total_time_spent">\s*2 h 5 min', html)
    assert 'data-stat="current_streak">1<' in html
    assert 'data-stat="longest_streak">9<' in html
    assert 'data-stat="average_score">85<' in html
    assert 'data-stat="courses_completed">1<' in html
    assert f'href="/courses/{course.pk}/"' in html
    assert f'data-course-progress="{started.pk}"' in html
    assert 'data-progress="50"' in html
    assert f'data-course-completed="{course.pk}"' in html
    certificate = user.certificates.get()
    assert f'href="/certificates/{certificate.verification_code}/"' in html
    assert 'id="achievements"' in html
    assert "First course completed" in html
    assert 'data-locked-achievement="five_courses"' in html
    assert "js/my-progress.js" in html
    assert "js/progress.js" in html


def test_my_progress_page_draws_84_days_accessibly(student_client, user):
    DailyActivity.objects.create(
        user=user, day=timezone.localdate(), seconds=40 * 60, lessons_completed=3
    )

    html = student_client.get("/progress/").content.decode()

    svg = re.search(r'<svg id="activity-chart"[^>]*>(.*?)</svg>', html, re.S)
    assert svg is not None
    assert 'role="img"' in svg.group(0)
    assert "aria-labelledby=" in svg.group(0)
    assert re.search(r"^\s*<title", svg.group(1))
    cells = re.findall(r'<rect class="day level-(\d)[^"]*"[^>]*data-date="([\d-]+)"', svg.group(1))
    assert len(cells) == 84
    assert cells[-1] == ("3", timezone.localdate().isoformat())
    assert {level for level, _ in cells[:-1]} == {"0"}
    assert "40 min, 3 lessons" in svg.group(1)
    table = re.search(r'<table class="visually-hidden" id="activity-table">.*?</table>', html, re.S)
    assert table is not None
    assert len(re.findall(r"<tr data-week=", table.group(0))) in (12, 13)
    assert '<td data-field="minutes">40</td>' in table.group(0)
    assert_no_inline_code("/progress/", student_client.get("/progress/"))


def test_my_progress_page_queries_stay_bounded(student_client, user, django_assert_max_num_queries):
    for _ in range(6):
        complete_all(user, enrolled_course(user, modules=1, lessons_per_module=1))
    for _ in range(4):
        CertificateFactory(user=user)
    AchievementFactory(user=user, kind="streak_7")

    with django_assert_max_num_queries(12):
        response = student_client.get("/progress/")

    assert response.status_code == 200


def test_my_progress_page_needs_a_sign_in(client):
    response = client.get("/progress/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_achievement_notification_leads_to_my_progress(user):
    lesson = lessons_of(enrolled_course(user, modules=1, lessons_per_module=1))[0]

    lesson_complete(user=user, lesson=lesson)

    notifications = Notification.objects.filter(user=user, kind="achievement_unlocked")
    assert {n.url for n in notifications} == {"/progress/#achievements"}

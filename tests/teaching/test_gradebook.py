"""The CSV gradebook: streamed, bounded in queries, right in content, safe in a spreadsheet."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone

from lms.catalog.models import Quiz
from progress.models import QuizAttempt
from progress.services import lesson_complete
from teaching import selectors
from tests.factories import EnrollmentFactory, UserFactory
from tests.progress.factories import lessons_of

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enroll_many(course, count: int) -> list:
    students = UserFactory.create_batch(count)
    for student in students:
        EnrollmentFactory(user=student, course=course)
    return students


def read(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_gradebook_has_a_row_per_student_with_quiz_columns(instructor, course):
    lessons = lessons_of(course)
    quiz_a = Quiz.objects.create(lesson=lessons[1])
    quiz_b = Quiz.objects.create(lesson=lessons[3])
    students = enroll_many(course, 300)
    now = timezone.now()
    for index, student in enumerate(students):
        if index % 3 == 0:
            lesson_complete(user=student, lesson=lessons[0], score=60)
        if index % 5 == 0:
            QuizAttempt.objects.create(
                user=student, quiz=quiz_a, number=1, score=40, passed=False, submitted_at=now
            )
            QuizAttempt.objects.create(
                user=student, quiz=quiz_a, number=2, score=90, passed=True, submitted_at=now
            )
            QuizAttempt.objects.create(user=student, quiz=quiz_a, number=3)  # not submitted
    QuizAttempt.objects.create(
        user=students[7], quiz=quiz_b, number=1, score=55, passed=True, submitted_at=now
    )

    response = client_for(instructor).get(f"/teach/courses/{course.pk}/gradebook.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="gradebook-course-{course.pk}-' in response["Content-Disposition"]
    header, *rows = read(response)
    assert header[:10] == selectors.GRADEBOOK_COLUMNS
    assert header[10:] == [f"quiz: {lessons[1].title}", f"quiz: {lessons[3].title}", "last_active"]
    assert len(rows) == 300
    by_id = {int(row[0]): row for row in rows}
    assert [int(row[0]) for row in rows] == sorted(by_id)
    first = by_id[students[0].pk]
    assert first[1] == students[0].username and first[3] == students[0].email
    assert (first[8], first[9], first[10], first[11]) == ("1", "60.0", "90", "")
    assert by_id[students[7].pk][10:12] == ["", "55"]
    assert by_id[students[1].pk][8:12] == ["0", "", "", ""]
    assert first[12] == timezone.localdate().isoformat()


def test_gradebook_streams_in_chunks_with_queries_independent_of_rows(
    instructor, course, django_assert_max_num_queries, monkeypatch
):
    Quiz.objects.create(lesson=lessons_of(course)[0])
    client = client_for(instructor)
    url = f"/teach/courses/{course.pk}/gradebook.csv"
    monkeypatch.setattr("teaching.views.CSV_ROWS_PER_CHUNK", 20)
    monkeypatch.setattr(selectors, "GRADEBOOK_CHUNK", 25)

    enroll_many(course, 10)
    with django_assert_max_num_queries(8) as few:
        response = client.get(url)
        assert len(read(response)) == 11
    enroll_many(course, 190)
    with django_assert_max_num_queries(8) as many:
        response = client.get(url)
        chunks = list(response.streaming_content)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(chunks) > 5  # written and sent piece by piece, never as one body
    assert sum(chunk.count(b"\n") for chunk in chunks) == 201


def test_cells_that_a_spreadsheet_would_run_are_quoted(instructor, course):
    for name in ("=HYPERLINK(1)", "+1", "-2", "@SUM(A1)"):
        student = UserFactory(first_name=name, last_name="")
        EnrollmentFactory(user=student, course=course)

    _header, *rows = read(client_for(instructor).get(f"/teach/courses/{course.pk}/gradebook.csv"))

    assert sorted(row[2] for row in rows) == sorted(["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)"])


def test_gradebook_api_answers_csv(instructor, course):
    from rest_framework.test import APIClient

    enroll_many(course, 3)
    client = APIClient()
    client.force_authenticate(instructor)
    response = client.get(f"/api/courses/{course.pk}/gradebook/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(read(response)) == 4

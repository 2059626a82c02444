"""The quiz API: answers hidden until submitted, attempts, errors and who may do what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from lms.catalog.models import Lesson
from progress.models import LearningStats, LessonCompletion, QuizAttempt
from tests.factories import EnrollmentFactory, StaffFactory, UserFactory
from tests.progress.factories import enrolled_course, lessons_of
from tests.progress.quiz_factories import answers_with, quiz_of, right_answers, wrong_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(user):
    return lessons_of(enrolled_course(user, modules=1, lessons_per_module=2))[0]


@pytest.fixture
def quiz(lesson):
    return quiz_of(lesson, [[True, False, False], [True, True, False], [False, True]], pass_mark=60)


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def start(client, lesson):
    return client.post(f"/api/lessons/{lesson.pk}/quiz/attempts/", format="json")


def submit(client, attempt_id, answers):
    return client.post(
        f"/api/quiz-attempts/{attempt_id}/submit/", {"answers": answers}, format="json"
    )


def keys_of(data) -> set[str]:
    """Every key of every object in a JSON document."""
    if isinstance(data, dict):
        return set(data) | {key for value in data.values() for key in keys_of(value)}
    if isinstance(data, list):
        return {key for item in data for key in keys_of(item)}
    return set()


def assert_no_answers(data) -> None:
    keys = keys_of(data)
    assert not keys & {"is_correct", "correct", "correct_choices", "results"} or (
        "results" in keys and data.get("results") is None
    ), keys


# Answers stay hidden.


def test_the_quiz_shows_questions_and_choices_without_answers(auth_client, lesson, quiz):
    response = auth_client.get(f"/api/lessons/{lesson.pk}/quiz/")

    assert response.status_code == 200
    body = response.json()
    assert body["pass_mark"] == 60
    assert body["pass_required"] is True
    assert body["my_attempts"] == {"attempts": 0, "best_score": None, "passed": False}
    assert [len(question["choices"]) for question in body["questions"]] == [3, 3, 2]
    for question in body["questions"]:
        for choice in question["choices"]:
            assert set(choice) == {"id", "text"}
    assert "is_correct" not in response.content.decode()
    assert "Tick every right answer" in body["instructions"]


def test_a_started_attempt_shows_no_answers(auth_client, lesson, quiz):
    started = start(auth_client, lesson)
    fetched = auth_client.get(f"/api/quiz-attempts/{started.json()['id']}/")

    assert started.status_code == 201
    assert (started.json()["number"], started.json()["score"], started.json()["results"]) == (
        1,
        None,
        None,
    )
    assert fetched.json() == started.json()
    for response in (started, fetched):
        assert "is_correct" not in response.content.decode()
        assert_no_answers(response.json())


def test_the_course_detail_shows_no_answers(auth_client, lesson, quiz):
    response = auth_client.get(f"/api/courses/{lesson.module.course_id}/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "is_correct" not in text
    assert "Choice 1.1" not in text


def test_the_instructor_and_staff_see_the_student_view(lesson, quiz):
    for viewer in (lesson.module.course.instructor, StaffFactory()):
        response = client_of(viewer).get(f"/api/lessons/{lesson.pk}/quiz/")

        assert response.status_code == 200
        assert "is_correct" not in response.content.decode()
        assert start(client_of(viewer), lesson).status_code == 403


# Submitting.


def test_submitting_returns_the_score_and_the_correct_answers(auth_client, user, lesson, quiz):
    attempt_id = start(auth_client, lesson).json()["id"]
    answers = answers_with(quiz, right=2)

    response = submit(auth_client, attempt_id, answers)

    assert response.status_code == 200
    body = response.json()
    assert (body["score"], body["passed"]) == (67, True)
    correct = right_answers(quiz)
    assert body["results"] == [
        {
            "question": int(key),
            "right": answers[key] == correct[key],
            "chosen": answers[key],
            "correct_choices": correct[key],
        }
        for key in correct
    ]
    assert LessonCompletion.objects.get(user=user, lesson=lesson).score == 67
    assert LearningStats.objects.get(user=user).average_score == 67
    summary = auth_client.get(f"/api/lessons/{lesson.pk}/quiz/").json()["my_attempts"]
    assert summary == {"attempts": 1, "best_score": 67, "passed": True}


def test_a_failed_attempt_leaves_the_lesson_open(auth_client, user, lesson, quiz):
    attempt_id = start(auth_client, lesson).json()["id"]

    response = submit(auth_client, attempt_id, wrong_answers(quiz))

    assert (response.json()["score"], response.json()["passed"]) == (0, False)
    assert not LessonCompletion.objects.filter(user=user).exists()


def test_submitting_again_is_a_409_and_changes_nothing(auth_client, lesson, quiz):
    attempt_id = start(auth_client, lesson).json()["id"]
    first = submit(auth_client, attempt_id, wrong_answers(quiz))

    again = submit(auth_client, attempt_id, right_answers(quiz))

    assert again.status_code == 409
    assert "submitted already" in again.json()["detail"]
    assert auth_client.get(f"/api/quiz-attempts/{attempt_id}/").json() == first.json()


@pytest.mark.parametrize(
    "body_of",
    [
        lambda first, second: {},
        lambda first, second: {"answers": []},
        lambda first, second: {"answers": {"999999": []}},
        lambda first, second: {"answers": {"abc": []}},
        lambda first, second: {"answers": {str(first.pk): 5}},
        lambda first, second: {"answers": {str(first.pk): ["x"]}},
        lambda first, second: {"answers": {str(first.pk): [second.choices.first().pk]}},
        lambda first, second: {"answers": {str(first.pk): [999999]}},
    ],
    ids=[
        "no answers",
        "a list",
        "unknown question",
        "not a question id",
        "not a list",
        "not a choice id",
        "choice of another question",
        "unknown choice",
    ],
)
def test_a_bad_body_is_a_400_and_stores_nothing(auth_client, lesson, quiz, body_of):
    first, second, _ = quiz.questions.all()
    attempt_id = start(auth_client, lesson).json()["id"]

    response = auth_client.post(
        f"/api/quiz-attempts/{attempt_id}/submit/", body_of(first, second), format="json"
    )

    assert response.status_code == 400, response.json()
    assert "answers" in response.json()
    attempt = QuizAttempt.objects.get(pk=attempt_id)
    assert (attempt.submitted_at, attempt.score, attempt.answers) == (None, None, {})


def test_the_submit_stays_under_its_query_bound(
    auth_client, lesson, quiz, django_assert_max_num_queries
):
    attempt_id = start(auth_client, lesson).json()["id"]
    answers = right_answers(quiz)

    # The completion cascade of a first lesson (achievement, notifications) and the
    # attempt's own reads and writes; the questions are read in bulk, not per question.
    with django_assert_max_num_queries(40):
        response = submit(auth_client, attempt_id, answers)

    assert response.json()["score"] == 100


# Who may do what.


def test_a_student_not_enrolled_is_refused(lesson, quiz):
    stranger = client_of(UserFactory())

    assert stranger.get(f"/api/lessons/{lesson.pk}/quiz/").status_code == 403
    assert start(stranger, lesson).status_code == 403
    assert not QuizAttempt.objects.exists()


def test_an_unpublished_course_is_a_404_to_outsiders(lesson, quiz):
    course = lesson.module.course
    course.is_published = False
    course.save()
    stranger = client_of(UserFactory())

    assert stranger.get(f"/api/lessons/{lesson.pk}/quiz/").status_code == 404
    assert start(stranger, lesson).status_code == 404


def test_another_students_attempt_is_a_404(auth_client, lesson, quiz):
    attempt_id = start(auth_client, lesson).json()["id"]
    classmate = UserFactory()
    EnrollmentFactory(user=classmate, course=lesson.module.course)
    theirs = client_of(classmate)

    assert theirs.get(f"/api/quiz-attempts/{attempt_id}/").status_code == 404
    assert submit(theirs, attempt_id, right_answers(quiz)).status_code == 404
    assert QuizAttempt.objects.get(pk=attempt_id).submitted_at is None


def test_anonymous_clients_are_refused(lesson, quiz):
    anonymous = APIClient()
    attempt = QuizAttempt.objects.create(user=UserFactory(), quiz=quiz, number=1)

    for response in (
        anonymous.get(f"/api/lessons/{lesson.pk}/quiz/"),
        start(anonymous, lesson),
        anonymous.get(f"/api/quiz-attempts/{attempt.pk}/"),
        submit(anonymous, attempt.pk, {}),
    ):
        assert response.status_code in (401, 403)
        assert "is_correct" not in response.content.decode()


def test_a_lesson_without_quiz_is_a_404(auth_client, user):
    lesson = lessons_of(enrolled_course(user, modules=1, lessons_per_module=1))[0]

    assert auth_client.get(f"/api/lessons/{lesson.pk}/quiz/").status_code == 404
    assert start(auth_client, lesson).status_code == 404


# The complete endpoint.


def test_the_complete_endpoint_refuses_a_lesson_whose_quiz_is_not_passed(
    auth_client, user, lesson, quiz
):
    response = auth_client.post(f"/api/lessons/{lesson.pk}/complete/", {}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Pass the quiz to complete this lesson."}
    assert not LessonCompletion.objects.filter(user=user).exists()

    submit(auth_client, start(auth_client, lesson).json()["id"], right_answers(quiz))
    again = auth_client.post(f"/api/lessons/{lesson.pk}/complete/", {"score": 5}, format="json")

    assert again.status_code == 200
    assert LessonCompletion.objects.get(user=user, lesson=lesson).score == 100


def test_the_complete_endpoint_completes_a_quiz_that_need_not_be_passed(auth_client, user):
    lesson = lessons_of(enrolled_course(user, modules=1, lessons_per_module=1))[0]
    quiz_of(Lesson.objects.get(pk=lesson.pk), [[True, False]], pass_required=False)

    response = auth_client.post(f"/api/lessons/{lesson.pk}/complete/", {}, format="json")

    assert response.status_code == 200
    assert response.json()["progress"] == 100


def test_the_quiz_endpoints_are_in_the_schema(auth_client):
    schema = auth_client.get("/api/schema/", {"format": "json"}).json()

    for path in (
        "/api/lessons/{lesson_id}/quiz/",
        "/api/lessons/{lesson_id}/quiz/attempts/",
        "/api/quiz-attempts/{attempt_id}/",
        "/api/quiz-attempts/{attempt_id}/submit/",
    ):
        assert path in schema["paths"], path
    choice = schema["components"]["schemas"]["QuizChoice"]["properties"]
    assert set(choice) == {"id", "text"}


def submit_queries(questions: int) -> int:
    student = UserFactory()
    lesson = lessons_of(enrolled_course(student, modules=1, lessons_per_module=2))[0]
    quiz = quiz_of(lesson, [[True, False, False]] * questions, pass_mark=0)
    client = client_of(student)
    attempt_id = start(client, lesson).json()["id"]
    answers = right_answers(quiz)
    with CaptureQueriesContext(connection) as queries:
        assert submit(client, attempt_id, answers).status_code == 200
    return len(queries)


def test_the_submit_costs_the_same_queries_for_2_or_20_questions():
    assert submit_queries(20) == submit_queries(2)

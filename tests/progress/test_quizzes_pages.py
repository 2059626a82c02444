"""The quiz on the lesson page (a plain form), on "My progress", and in the admin."""

import re

import pytest
from django.test import Client

from lms.catalog.models import Choice, Lesson, Question
from progress.models import LessonCompletion, QuizAttempt
from tests.factories import StaffFactory, UserFactory
from tests.progress.factories import enrolled_course, lessons_of
from tests.progress.quiz_factories import answers_with, quiz_of, right_answers, wrong_answers
from tests.security.test_csp import assert_no_inline_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def student_client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lesson(user):
    return lessons_of(enrolled_course(user, modules=1, lessons_per_module=2))[0]


@pytest.fixture
def quiz(lesson):
    return quiz_of(lesson, [[True, False, False], [True, True, False]], pass_mark=100)


def page(client, lesson, **params):
    response = client.get(f"/lessons/{lesson.pk}/", params)
    assert response.status_code == 200
    return response.content.decode()


def form_data(answers: dict[str, list[int]]) -> dict[str, list[int]]:
    return {f"question-{question}": chosen for question, chosen in answers.items()}


def test_the_lesson_page_shows_the_questions_as_checkboxes_without_answers(
    student_client, lesson, quiz
):
    html = page(student_client, lesson)

    assert 'id="quiz"' in html
    assert "Tick every right answer" in html
    inputs = re.findall(r'<input type="checkbox" name="question-[^>]*>', html)
    assert len(inputs) == 6
    # A correct and a wrong choice render alike, but for their ids.
    assert len({re.sub(r'value="\d+"', "", tag) for tag in inputs}) == len(quiz.questions.all())
    assert "correct" not in html.lower()
    assert 'type="radio"' not in html
    assert "Pass the quiz to complete this lesson." in html
    assert re.search(r"data-lesson-complete-button hidden", html)
    assert_no_inline_code(f"/lessons/{lesson.pk}/", student_client.get(f"/lessons/{lesson.pk}/"))


def test_the_form_scores_an_attempt_and_shows_its_result(student_client, user, lesson, quiz):
    answers = answers_with(quiz, right=1)

    response = student_client.post(f"/lessons/{lesson.pk}/quiz/", form_data(answers))

    attempt = QuizAttempt.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == f"/lessons/{lesson.pk}/?attempt={attempt.pk}#quiz"
    assert (attempt.score, attempt.passed) == (50, False)
    html = page(student_client, lesson, attempt=attempt.pk)
    assert "You scored 50%: the pass mark is 100%." in html
    assert f'data-quiz-result="{attempt.pk}"' in html
    assert 'data-quiz-passed="false"' in html
    assert [right == "true" for right in re.findall(r'data-right="(\w+)"', html)] == [True, False]
    correct = {pk for ids in right_answers(quiz).values() for pk in ids}
    shown = {int(pk) for pk in re.findall(r'is-correct[^"]*" data-choice="(\d+)"', html)}
    assert shown == correct
    assert "Try again" in html
    assert not LessonCompletion.objects.filter(user=user).exists()


def test_passing_with_the_form_completes_the_lesson(student_client, user, lesson, quiz):
    student_client.post(f"/lessons/{lesson.pk}/quiz/", form_data(right_answers(quiz)))

    html = page(student_client, lesson)
    assert LessonCompletion.objects.get(user=user, lesson=lesson).score == 100
    assert "Your best score: <strong>100%</strong>" in html
    assert "Pass the quiz to complete this lesson." not in html


def test_another_students_attempt_is_not_shown(student_client, lesson, quiz):
    classmate = UserFactory()
    lesson.module.course.enrollments.create(user=classmate)
    theirs = Client()
    theirs.force_login(classmate)
    theirs.post(f"/lessons/{lesson.pk}/quiz/", form_data(right_answers(quiz)))
    attempt = QuizAttempt.objects.get(user=classmate)

    html = page(student_client, lesson, attempt=attempt.pk)

    assert "data-quiz-result" not in html
    assert "correct" not in html.lower()


def test_a_bad_form_stores_nothing_and_says_why(student_client, lesson, quiz):
    first = quiz.questions.first()

    response = student_client.post(
        f"/lessons/{lesson.pk}/quiz/", {f"question-{first.pk}": ["999999"]}, follow=True
    )

    assert "is not a choice of question" in response.content.decode()
    assert not QuizAttempt.objects.exists()


def test_a_student_not_enrolled_is_sent_to_the_course(lesson, quiz):
    stranger = Client()
    stranger.force_login(UserFactory())

    response = stranger.post(f"/lessons/{lesson.pk}/quiz/", form_data(right_answers(quiz)))

    assert response.status_code == 302
    assert response["Location"] == lesson.module.course.get_absolute_url()
    assert not QuizAttempt.objects.exists()


def test_the_instructor_sees_the_questions_but_no_submit(lesson, quiz):
    instructor = Client()
    instructor.force_login(lesson.module.course.instructor)

    html = page(instructor, lesson)

    assert "enrolled students take its quiz." in html
    assert "correct" not in html.lower()


def test_mark_complete_is_refused_until_the_quiz_is_passed(student_client, user, lesson, quiz):
    response = student_client.post(f"/lessons/{lesson.pk}/complete/", follow=True)

    assert "Pass the quiz to complete this lesson." in response.content.decode()
    assert not LessonCompletion.objects.filter(user=user).exists()


def test_the_quiz_form_posts_without_javascript_under_csrf(user, lesson, quiz):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    html = page(client, lesson)
    form = re.search(r'<form method="post" action="/lessons/\d+/quiz/".*?</form>', html, re.S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)

    response = client.post(
        f"/lessons/{lesson.pk}/quiz/",
        {**form_data(wrong_answers(quiz)), "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert QuizAttempt.objects.get(user=user).score == 0


def test_my_progress_shows_the_best_quiz_result_per_course(student_client, user, lesson, quiz):
    student_client.post(f"/lessons/{lesson.pk}/quiz/", form_data(wrong_answers(quiz)))
    student_client.post(f"/lessons/{lesson.pk}/quiz/", form_data(answers_with(quiz, right=1)))

    html = student_client.get("/progress/").content.decode()

    row = re.search(rf'<tr data-quiz-result-lesson="{lesson.pk}">.*?</tr>', html, re.S).group(0)
    assert '<td data-field="best_score">50%</td>' in row
    assert "Not passed" in row
    assert '<td data-field="attempts">2</td>' in row
    assert f'data-quiz-results-course="{lesson.module.course_id}"' in html


def test_my_progress_without_quizzes_has_no_quiz_section(student_client):
    assert "Quiz results" not in student_client.get("/progress/").content.decode()


# The admin.


def admin_client() -> Client:
    client = Client()
    client.force_login(StaffFactory())
    return client


def choice_formset(rows: list[tuple[str, bool]]) -> dict:
    data = {
        "choices-TOTAL_FORMS": str(len(rows)),
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "1000",
    }
    for index, (text, correct) in enumerate(rows):
        data[f"choices-{index}-text"] = text
        data[f"choices-{index}-order"] = str(index)
        if correct:
            data[f"choices-{index}-is_correct"] = "on"
    return data


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ([("Only one", True)], "A question needs at least two choices."),
        ([("One", False), ("Two", False)], "Mark at least one choice as correct."),
    ],
)
def test_the_admin_refuses_a_question_without_two_choices_and_a_correct_one(quiz, rows, error):
    response = admin_client().post(
        "/admin/lms/question/add/",
        {"quiz": quiz.pk, "text": "New?", "order": "5", **choice_formset(rows)},
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Question.objects.filter(text="New?").exists()


def test_the_admin_saves_a_question_with_its_choices(quiz):
    response = admin_client().post(
        "/admin/lms/question/add/",
        {
            "quiz": quiz.pk,
            "text": "New?",
            "order": "5",
            **choice_formset([("Yes", True), ("No", False), ("Also yes", True)]),
        },
    )

    assert response.status_code == 302
    question = Question.objects.get(text="New?")
    assert list(question.choices.values_list("text", "is_correct")) == [
        ("Yes", True),
        ("No", False),
        ("Also yes", True),
    ]


def test_the_admin_pages_of_quizzes_open(lesson, quiz):
    client = admin_client()
    question = quiz.questions.first()

    for url in (
        f"/admin/lms/lesson/{lesson.pk}/change/",
        "/admin/lms/quiz/",
        f"/admin/lms/quiz/{quiz.pk}/change/",
        f"/admin/lms/question/{question.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    assert Choice.objects.filter(question=question, is_correct=True).exists()
    assert Lesson.objects.get(pk=lesson.pk).quiz == quiz

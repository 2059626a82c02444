"""Course authoring at /teach/admin/: instructors edit their own courses and what is in
them, never another instructor's; staff edit every course; students see edits live."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from lms.catalog.models import Choice, Course, Lesson, Module, Question, Quiz
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    LessonFactory,
    ModuleFactory,
    StaffFactory,
    UserFactory,
)
from tests.wsclient import ws_connect

ADMIN = "/teach/admin/"
NO_INLINES = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inline(prefix: str, **management) -> dict:
    return {f"{prefix}-{key}": value for key, value in {**NO_INLINES, **management}.items()}


def course_content(instructor=None):
    """A course with one module, lesson, quiz and question (two choices)."""
    course = CourseFactory(**({"instructor": instructor} if instructor else {}))
    module = ModuleFactory(course=course)
    lesson = LessonFactory(module=module)
    quiz = Quiz.objects.create(lesson=lesson, pass_mark=50)
    question = Question.objects.create(quiz=quiz, text="2 + 2?")
    Choice.objects.create(question=question, text="4", is_correct=True)
    Choice.objects.create(question=question, text="5")
    return {
        "course": course,
        "module": module,
        "lesson": lesson,
        "quiz": quiz,
        "question": question,
    }


def change_url(obj) -> str:
    return f"{ADMIN}lms/{type(obj)._meta.model_name}/{obj.pk}/change/"


def delete_url(obj) -> str:
    return f"{ADMIN}lms/{type(obj)._meta.model_name}/{obj.pk}/delete/"


@pytest.fixture
def mine(db):
    return course_content()


@pytest.fixture
def theirs(db):
    return course_content()


# Who gets in.


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page():
    response = Client().get(ADMIN, follow=True)

    assert response.redirect_chain[-1][0].startswith("/login/?next=/teach/admin/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_students_and_former_instructors_are_refused(mine):
    deactivated = InstructorFactory(is_active=False)
    for user in (EnrollmentFactory(course=mine["course"]).user, UserFactory()):
        client = signed_in(user)
        assert client.get(ADMIN, follow=True).status_code == 403
        assert client.get(change_url(mine["course"]), follow=True).status_code == 403
    response = signed_in(deactivated).get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")


@pytest.mark.django_db
def test_an_instructor_gets_in_without_becoming_staff(mine):
    instructor = mine["course"].instructor

    response = signed_in(instructor).get(ADMIN)

    assert response.status_code == 200
    assert b"Course authoring" in response.content
    instructor.refresh_from_db()
    assert not instructor.is_staff
    # The staff admin stays closed to them.
    assert signed_in(instructor).get("/admin/").status_code == 302


# What an instructor sees.


@pytest.mark.django_db
def test_an_instructor_lists_only_their_own_content(mine, theirs):
    client = signed_in(mine["course"].instructor)
    for kind in ("course", "module", "lesson", "quiz", "question"):
        page = client.get(f"{ADMIN}lms/{kind}/").content.decode()
        assert change_url(mine[kind]) in page, kind
        assert change_url(theirs[kind]) not in page, kind
        assert client.get(change_url(mine[kind])).status_code == 200, kind
    courses = client.get(f"{ADMIN}lms/course/").content.decode()
    assert theirs["course"].title not in courses


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["course", "module", "lesson", "quiz", "question"])
def test_another_instructors_content_does_not_exist_for_them(mine, theirs, kind):
    client = signed_in(mine["course"].instructor)
    target = theirs[kind]
    before = {field.name: getattr(target, field.name) for field in target._meta.concrete_fields}

    for url in (change_url(target), delete_url(target)):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == ADMIN
        assert "doesn’t exist" in response.content.decode()
    changed = client.post(change_url(target), {"title": "Taken", "text": "Taken", "_save": "1"})
    deleted = client.post(delete_url(target), {"post": "yes"})

    assert changed.status_code == 302 and changed["Location"] == ADMIN
    assert deleted.status_code == 302 and deleted["Location"] == ADMIN
    target.refresh_from_db()
    assert {field.name: getattr(target, field.name) for field in target._meta.concrete_fields} == (
        before
    )


@pytest.mark.django_db
def test_the_bulk_delete_action_reaches_only_their_own_courses(mine, theirs):
    client = signed_in(mine["course"].instructor)

    client.post(
        f"{ADMIN}lms/course/",
        {
            "action": "delete_selected",
            "_selected_action": [theirs["course"].pk],
            "post": "yes",
        },
    )

    assert Course.objects.filter(pk=theirs["course"].pk).exists()


# Writing.


@pytest.mark.django_db
def test_an_instructor_adds_a_module_to_their_course(mine):
    client = signed_in(mine["course"].instructor)

    response = client.post(
        f"{ADMIN}lms/module/add/",
        {
            "course": mine["course"].pk,
            "title": "Week two",
            "description": "",
            "order": 5,
            **inline("lessons"),
        },
    )

    assert response.status_code == 302
    assert Module.objects.filter(course=mine["course"], title="Week two").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "field", "parent_kind", "extra"),
    [
        ("module", "course", "course", {"title": "Sneaked", "order": 0, **inline("lessons")}),
        (
            "lesson",
            "module",
            "module",
            {"title": "Sneaked", "content": "", "order": 0, "duration_minutes": 5}
            | inline("quiz", MAX_NUM_FORMS=1),
        ),
        ("quiz", "lesson", "lesson", {"pass_mark": 50, **inline("questions")}),
        ("question", "quiz", "quiz", {"text": "Sneaked", "order": 0, **inline("choices")}),
    ],
)
def test_content_cannot_be_added_to_another_instructors_course(
    mine, theirs, kind, field, parent_kind, extra
):
    if kind == "quiz":  # a lesson has one quiz: offer one without it
        theirs["quiz"].delete()
    model = {"module": Module, "lesson": Lesson, "quiz": Quiz, "question": Question}[kind]
    before = model.objects.count()

    response = signed_in(mine["course"].instructor).post(
        f"{ADMIN}lms/{kind}/add/", {field: theirs[parent_kind].pk, **extra}
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert model.objects.count() == before


@pytest.mark.django_db
def test_a_module_cannot_be_moved_into_another_instructors_course(mine, theirs):
    module = mine["module"]

    response = signed_in(mine["course"].instructor).post(
        change_url(module),
        {
            "course": theirs["course"].pk,
            "title": module.title,
            "description": "",
            "order": module.order,
            **inline("lessons"),
        },
    )

    assert response.status_code == 200
    assert "course" in response.context["adminform"].form.errors
    module.refresh_from_db()
    assert module.course == mine["course"]


@pytest.mark.django_db
def test_a_course_added_by_an_instructor_is_theirs_whatever_is_posted(mine, theirs):
    instructor = mine["course"].instructor

    response = signed_in(instructor).post(
        f"{ADMIN}lms/course/add/",
        {
            "title": "New course",
            "description": "About it.",
            "instructor": theirs["course"].instructor.pk,
            **inline("modules"),
        },
    )

    assert response.status_code == 302
    course = Course.objects.get(title="New course")
    assert course.instructor == instructor
    assert not course.is_published


@pytest.mark.django_db
def test_an_instructor_adds_a_question_with_its_choices(mine):
    response = signed_in(mine["course"].instructor).post(
        f"{ADMIN}lms/question/add/",
        {
            "quiz": mine["quiz"].pk,
            "text": "Capital of France?",
            "order": 1,
            **inline("choices", TOTAL_FORMS=2),
            "choices-0-text": "Paris",
            "choices-0-is_correct": "on",
            "choices-0-order": 0,
            "choices-1-text": "Lyon",
            "choices-1-order": 1,
        },
    )

    assert response.status_code == 302
    question = Question.objects.get(text="Capital of France?")
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        ("Paris", True),
        ("Lyon", False),
    ]


# Staff.


@pytest.mark.django_db
def test_staff_see_and_edit_every_course(mine, theirs):
    client = signed_in(StaffFactory())

    page = client.get(f"{ADMIN}lms/course/").content.decode()
    assert change_url(mine["course"]) in page and change_url(theirs["course"]) in page
    for kind in ("course", "module", "lesson", "quiz", "question"):
        assert client.get(change_url(theirs[kind])).status_code == 200, kind

    response = client.post(
        f"{ADMIN}lms/module/add/",
        {"course": theirs["course"].pk, "title": "By staff", "order": 9, **inline("lessons")},
    )
    assert response.status_code == 302
    assert Module.objects.filter(course=theirs["course"], title="By staff").exists()


# Live.


@database_sync_to_async
def class_of_one():
    course = course_content()["course"]
    return course, EnrollmentFactory(course=course).user


@database_sync_to_async
def rename_in_authoring(course, title):
    return signed_in(course.instructor).post(
        change_url(course),
        {
            "title": title,
            "description": course.description,
            "is_published": "on",
            **inline("modules", INITIAL_FORMS=0),
        },
    )


@database_sync_to_async
def add_lesson_in_authoring(course):
    module = course.modules.get()
    return signed_in(course.instructor).post(
        f"{ADMIN}lms/lesson/add/",
        {
            "module": module.pk,
            "title": "Added live",
            "content": "Text",
            "order": 7,
            "duration_minutes": 12,
            **inline("quiz", MAX_NUM_FORMS=1),
        },
    )


@pytest.mark.django_db(transaction=True)
async def test_an_edit_in_authoring_reaches_a_students_socket():
    course, student = await class_of_one()
    async with ws_connect(student) as ws:
        assert (await ws.join(f"course:{course.pk}"))["ok"] is True

        assert (await rename_in_authoring(course, "Renamed live")).status_code == 302
        updated = await ws.next_event(f"course:{course.pk}", "course.updated")
        assert updated["data"]["title"] == "Renamed live"

        assert (await add_lesson_in_authoring(course)).status_code == 302
        created = await ws.next_event(f"course:{course.pk}", "lesson.created")
        assert (created["data"]["title"], created["data"]["duration_minutes"]) == (
            "Added live",
            12,
        )

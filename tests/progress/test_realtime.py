"""Progress and course events on real sockets: they reach the owner, and no one else."""

import pytest
from channels.db import database_sync_to_async

from lms.catalog.models import Enrollment, Lesson, Module
from lms.catalog.services import enrollment_delete
from notifications.services import (
    announcement_send,
    notification_create,
    notification_mark_all_read,
)
from progress.services import lesson_activity_record, lesson_complete
from tests.factories import (
    EnrollmentFactory,
    InstructorFactory,
    LessonFactory,
    StaffFactory,
    UserFactory,
    course_with_lessons,
)
from tests.progress.factories import lessons_of
from tests.wsclient import ws_connect

pytestmark = pytest.mark.django_db(transaction=True)

CASCADE = [
    "lesson.completed",
    "module.completed",
    "progress.updated",
    "course.completed",
    "certificate.issued",
    "achievement.unlocked",
    "stats.updated",
    "notification.created",
]


@database_sync_to_async
def classroom(modules=1, lessons_per_module=1):
    """alice and bob enrolled in one course, carol in none."""
    course = course_with_lessons(modules=modules, lessons_per_module=lessons_per_module)
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    EnrollmentFactory(user=alice, course=course)
    EnrollmentFactory(user=bob, course=course)
    return course, alice, bob, carol


@database_sync_to_async
def complete_course(user, course):
    enrollment = None
    for lesson in lessons_of(course):
        enrollment, _ = lesson_complete(user=user, lesson=lesson)
    return enrollment


async def test_every_step_of_the_cascade_reaches_the_owner_only():
    course, alice, bob, _ = await classroom()
    async with ws_connect(alice) as alice_ws, ws_connect(bob) as bob_ws:
        assert (await alice_ws.join(f"user:{alice.pk}"))["ok"] is True
        assert (await bob_ws.join(f"user:{bob.pk}"))["ok"] is True

        enrollment = await complete_course(alice, course)

        received = {}
        for name in CASCADE:
            frame = await alice_ws.next_event(f"user:{alice.pk}", name)
            received[name] = frame
        assert received["progress.updated"]["data"]["id"] == enrollment.pk
        assert received["progress.updated"]["data"]["progress"] == 100
        assert received["course.completed"]["data"]["completed_at"] is not None
        assert received["notification.created"]["data"]["type"] == "success"
        ids = [frame["id"] for frame in received.values()]
        assert len(set(ids)) == len(ids)
        await bob_ws.assert_silent()


async def test_nobody_may_join_another_users_topic():
    _, alice, bob, _ = await classroom()
    async with ws_connect(bob) as ws:
        reply = await ws.join(f"user:{alice.pk}")
        assert reply["ok"] is False
        assert reply["error"]["code"] == "forbidden"


async def test_joining_my_topic_tells_my_unread_count():
    _, alice, _, _ = await classroom()
    await database_sync_to_async(notification_create)(user=alice, title="One")
    await database_sync_to_async(notification_create)(user=alice, title="Two")
    async with ws_connect(alice) as ws:
        reply = await ws.join(f"user:{alice.pk}")
        assert reply["data"]["unread_notifications"] == 2


async def test_mark_all_read_reaches_the_owner_with_ids_and_count():
    _, alice, bob, _ = await classroom()
    first = await database_sync_to_async(notification_create)(user=alice, title="One")
    async with ws_connect(alice) as alice_ws, ws_connect(bob) as bob_ws:
        await alice_ws.join(f"user:{alice.pk}")
        await bob_ws.join(f"user:{bob.pk}")

        await database_sync_to_async(notification_mark_all_read)(user=alice)

        frame = await alice_ws.next_event(f"user:{alice.pk}", "notification.read")
        assert frame["data"] == {"ids": [first.pk], "unread_count": 0}
        await bob_ws.assert_silent()


async def test_activity_time_reaches_the_owner_as_stats():
    course, alice, bob, _ = await classroom()
    lesson = (await database_sync_to_async(lessons_of)(course))[0]
    async with ws_connect(alice) as alice_ws, ws_connect(bob) as bob_ws:
        await alice_ws.join(f"user:{alice.pk}")
        await bob_ws.join(f"user:{bob.pk}")

        await database_sync_to_async(lesson_activity_record)(user=alice, lesson=lesson, seconds=120)

        frame = await alice_ws.next_event(f"user:{alice.pk}", "stats.updated")
        assert frame["data"]["total_time_spent"] == 2
        await bob_ws.assert_silent()


async def test_course_topic_is_for_students_instructor_and_staff():
    course, alice, _, carol = await classroom()
    staff = await database_sync_to_async(StaffFactory)()
    instructor = await database_sync_to_async(lambda: course.instructor)()
    other_instructor = await database_sync_to_async(InstructorFactory)()
    topic = f"course:{course.pk}"
    for user, allowed in [
        (alice, True),
        (instructor, True),
        (staff, True),
        (carol, False),
        (other_instructor, False),
    ]:
        async with ws_connect(user) as ws:
            reply = await ws.join(topic)
            assert reply["ok"] is allowed, user
            if not allowed:
                assert reply["error"]["code"] == "forbidden"
    async with ws_connect(alice) as ws:
        assert (await ws.join(topic))["data"]["progress"] == 0
    async with ws_connect(staff) as ws:
        assert (await ws.join(topic))["data"]["progress"] is None
    async with ws_connect(alice) as ws:
        assert (await ws.join("course:999999"))["error"]["code"] == "forbidden"


async def test_content_changes_reach_the_course_page_of_enrolled_students():
    course, alice, _, carol = await classroom()
    module = await database_sync_to_async(lambda: Module.objects.get(course=course))()
    async with ws_connect(alice) as ws, ws_connect(carol) as carol_ws:
        await ws.join(f"course:{course.pk}")
        await carol_ws.join(f"user:{carol.pk}")

        lesson = await database_sync_to_async(LessonFactory)(module=module, title="Fresh")
        created = await ws.next_event(f"course:{course.pk}", "lesson.created")
        assert created["data"]["id"] == lesson.pk
        assert created["data"]["title"] == "Fresh"

        def rename():
            lesson.title = "Renamed"
            lesson.save()

        await database_sync_to_async(rename)()
        updated = await ws.next_event(f"course:{course.pk}", "lesson.updated")
        assert updated["data"]["title"] == "Renamed"

        await database_sync_to_async(lambda: Lesson.objects.get(pk=lesson.pk).delete())()
        deleted = await ws.next_event(f"course:{course.pk}", "lesson.deleted")
        assert deleted["data"] == {"id": lesson.pk, "module": module.pk}

        new_module = await database_sync_to_async(Module.objects.create)(
            course=course, title="Appendix", order=9
        )
        assert (await ws.next_event(f"course:{course.pk}", "module.created"))["data"]["id"] == (
            new_module.pk
        )

        def edit_module_and_course():
            new_module.title = "Appendix A"
            new_module.save()
            Module.objects.get(pk=new_module.pk).delete()
            course.title = "Course, revised"
            course.save()

        await database_sync_to_async(edit_module_and_course)()
        updated_module = await ws.next_event(f"course:{course.pk}", "module.updated")
        assert updated_module["data"]["title"] == "Appendix A"
        deleted_module = await ws.next_event(f"course:{course.pk}", "module.deleted")
        assert deleted_module["data"] == {"id": new_module.pk, "course": course.pk}
        updated_course = await ws.next_event(f"course:{course.pk}", "course.updated")
        assert updated_course["data"]["title"] == "Course, revised"
        await carol_ws.assert_silent()


async def test_adding_a_lesson_moves_the_progress_bar_of_a_student_who_had_finished():
    course, alice, _, _ = await classroom(modules=2, lessons_per_module=1)
    await complete_course(alice, course)
    module = await database_sync_to_async(lambda: Module.objects.filter(course=course).first())()
    async with ws_connect(alice) as ws:
        await ws.join(f"user:{alice.pk}")

        await database_sync_to_async(LessonFactory)(module=module)

        frame = await ws.next_event(f"user:{alice.pk}", "progress.updated")
        assert frame["data"]["progress"] == 50
        assert frame["data"]["completed_at"] is not None


async def test_an_announcement_reaches_students_of_the_course():
    course, alice, bob, carol = await classroom()
    async with (
        ws_connect(alice) as alice_ws,
        ws_connect(bob) as bob_ws,
        ws_connect(carol) as carol_ws,
    ):
        await alice_ws.join(f"course:{course.pk}")
        await bob_ws.join(f"user:{bob.pk}")
        await carol_ws.join(f"user:{carol.pk}")

        await database_sync_to_async(announcement_send)(
            course=course, author=course.instructor, title="Live session", message="Tonight at 8."
        )

        announced = await alice_ws.next_event(f"course:{course.pk}", "announcement")
        assert announced["data"]["title"] == "Live session"
        notified = await bob_ws.next_event(f"user:{bob.pk}", "notification.created")
        assert notified["data"]["message"] == "Tonight at 8."
        await carol_ws.assert_silent()


async def test_unenrolling_removes_the_course_from_the_students_sockets():
    course, alice, bob, _ = await classroom()
    module = await database_sync_to_async(lambda: Module.objects.get(course=course))()
    async with ws_connect(alice) as alice_ws, ws_connect(bob) as bob_ws:
        await alice_ws.join(f"course:{course.pk}")
        await bob_ws.join(f"course:{course.pk}")

        enrollment = await database_sync_to_async(Enrollment.objects.get)(user=alice, course=course)
        await database_sync_to_async(enrollment_delete)(enrollment=enrollment)

        notice = await alice_ws.receive_until(lambda f: f["op"] == "error")
        assert notice["topic"] == f"course:{course.pk}"
        assert notice["error"]["code"] == "forbidden"
        await database_sync_to_async(LessonFactory)(module=module)
        created = await bob_ws.next_event(f"course:{course.pk}", "lesson.created")
        assert created["data"]["module"] == module.pk
        await alice_ws.assert_silent(f"course:{course.pk}")

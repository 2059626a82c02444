"""Live course content: changes made in the admin reach open course pages on `course:{id}`.

Each receiver publishes one event inside the writer's transaction (sent on
commit). Adding or removing lessons also schedules one recomputation of the
course's enrollments after commit, since progress counts the current lessons.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lms.models import Course, Lesson, Module
from lms.realtime.events import publish, retract
from progress.services import course_progress_refresh_on_commit


def course_data(course: Course) -> dict:
    return {
        "id": course.pk,
        "title": course.title,
        "description": course.description,
        "instructor": course.instructor_id,
        "is_published": course.is_published,
    }


def module_data(module: Module) -> dict:
    return {
        "id": module.pk,
        "course": module.course_id,
        "title": module.title,
        "order": module.order,
    }


def lesson_data(lesson: Lesson) -> dict:
    return {
        "id": lesson.pk,
        "module": lesson.module_id,
        "title": lesson.title,
        "order": lesson.order,
        "duration_minutes": lesson.duration_minutes,
    }


def lesson_course_id(lesson: Lesson) -> int | None:
    """The lesson's course, or None when its module is gone (a cascade delete)."""
    if Lesson.module.is_cached(lesson):
        return lesson.module.course_id
    return Module.objects.filter(pk=lesson.module_id).values_list("course_id", flat=True).first()


@receiver(post_save, sender=Course, dispatch_uid="course_content_saved")
def course_saved(sender, instance: Course, created: bool, raw: bool = False, **kwargs) -> None:
    if not created and not raw:
        publish(f"course:{instance.pk}", "course.updated", course_data(instance))


@receiver(post_save, sender=Module, dispatch_uid="module_content_saved")
def module_saved(sender, instance: Module, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw:
        event = "module.created" if created else "module.updated"
        publish(f"course:{instance.course_id}", event, module_data(instance))


@receiver(post_delete, sender=Module, dispatch_uid="module_content_deleted")
def module_deleted(sender, instance: Module, **kwargs) -> None:
    data = {"id": instance.pk, "course": instance.course_id}
    retract(
        f"course:{instance.course_id}",
        events=["module.created", "module.updated"],
        replacement="module.deleted",
        data=data,
    )


@receiver(post_save, sender=Lesson, dispatch_uid="lesson_content_saved")
def lesson_saved(sender, instance: Lesson, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    course_id = lesson_course_id(instance)
    publish(
        f"course:{course_id}",
        "lesson.created" if created else "lesson.updated",
        lesson_data(instance),
    )
    if created:
        course_progress_refresh_on_commit(course_id=course_id)


@receiver(post_delete, sender=Lesson, dispatch_uid="lesson_content_deleted")
def lesson_deleted(sender, instance: Lesson, **kwargs) -> None:
    course_id = lesson_course_id(instance)
    if course_id is None:
        return
    data = {"id": instance.pk, "module": instance.module_id}
    retract(
        f"course:{course_id}",
        events=["lesson.created", "lesson.updated"],
        replacement="lesson.deleted",
        data=data,
    )
    course_progress_refresh_on_commit(course_id=course_id)

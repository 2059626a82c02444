"""The realtime side of users, the catalog and enrollment: the `course:{id}` topic, and
the receivers that turn each row change into its event.

`course:{id}` carries live changes to a course (content, threads, announcements, the
student's progress in it) for the people who take part in it.

Content: changes made in the admin reach open course pages on `course:{id}`, one
event each, published inside the writer's transaction (sent on commit). (The
progress app listens to lessons too: progress counts the lessons a course has now.)

Access: each change that can take a topic away from a user sends one control
message after commit (lms.realtime.events): the sockets it concerns drop what is
no longer granted at once, on every server process.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from lms.catalog.models import Course, Enrollment, Lesson, Module
from lms.catalog.permissions import course_access
from lms.catalog.selectors import enrollment_progress, lesson_course_id
from lms.realtime.auth import SESSION, TOKEN, fingerprint
from lms.realtime.events import disconnect, publish, reauthorize, retract, revoke
from lms.realtime.registry import ID, Grant, Topic, register


def course_topic(course_id: int) -> str:
    return f"course:{course_id}"


def course_authorize(user, *, course_id: int) -> Grant | None:
    return course_access(user=user, course_id=course_id)


def course_join_data(user, *, course_id: int) -> dict:
    """The joining user's progress in the course, or None when they are not enrolled."""
    return {"progress": enrollment_progress(user=user, course_id=course_id)}


register(
    Topic(
        name="course",
        pattern=rf"course:(?P<course_id>{ID})",
        authorize=course_authorize,
        join_data=course_join_data,
        persistent=True,
    )
)


# Fields of a user that topic grants depend on.
ACCESS_FIELDS = ("role", "is_staff", "is_superuser", "password")


# pre_save reads what the row was, post_save sends: a revocation must leave after the
# row is written, or (outside a transaction, where on_commit runs at once) a server
# could check the user again before the change and keep the grant.


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="user_access_before")
def user_access_before(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    instance._access_change = None
    if raw or not instance.pk:
        return
    if update_fields is not None and not set(update_fields) & {"is_active", *ACCESS_FIELDS}:
        return  # a login's last_login, say: nothing access depends on
    before = sender.objects.filter(pk=instance.pk).values("is_active", *ACCESS_FIELDS).first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        instance._access_change = "deactivated"
    elif any(before[name] != getattr(instance, name) for name in ACCESS_FIELDS):
        instance._access_change = "changed"


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="user_access_changed")
def user_access_changed(sender, instance, **kwargs) -> None:
    change = getattr(instance, "_access_change", None)
    instance._access_change = None
    if change == "deactivated":
        disconnect(user_ids=[instance.pk])
    elif change == "changed":
        reauthorize(user_ids=[instance.pk])


@receiver(pre_save, sender=Course, dispatch_uid="course_instructor_before")
def course_instructor_before(sender, instance: Course, raw: bool = False, **kwargs) -> None:
    instance._former_instructor_id = None
    if raw or not instance.pk:
        return
    before = sender.objects.filter(pk=instance.pk).values_list("instructor_id", flat=True).first()
    if before is not None and before != instance.instructor_id:
        instance._former_instructor_id = before


@receiver(post_save, sender=Course, dispatch_uid="course_instructor_changed")
def course_instructor_changed(sender, instance: Course, **kwargs) -> None:
    former = getattr(instance, "_former_instructor_id", None)
    instance._former_instructor_id = None
    if former is not None:
        reauthorize(user_ids=[former], course_id=instance.pk)


@receiver(user_logged_out, dispatch_uid="logout_closes_sockets")
def logout_closes_sockets(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        disconnect(user_ids=[user.pk], credential=fingerprint((SESSION, session_key)))


@receiver(post_delete, sender=Token, dispatch_uid="token_revoked_closes_sockets")
def token_revoked_closes_sockets(sender, instance: Token, **kwargs) -> None:
    disconnect(user_ids=[instance.user_id], credential=fingerprint((TOKEN, instance.key)))


@receiver(post_delete, sender=Enrollment, dispatch_uid="enrollment_deleted_revoke")
def enrollment_deleted_revoke(sender, instance: Enrollment, **kwargs) -> None:
    """Unenrolled (by a service or in the admin): the course leaves the user's live sockets."""
    revoke(user_ids=[instance.user_id], course_id=instance.course_id)


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


@receiver(post_save, sender=Course, dispatch_uid="course_content_saved")
def course_saved(sender, instance: Course, created: bool, raw: bool = False, **kwargs) -> None:
    if not created and not raw:
        publish(course_topic(instance.pk), "course.updated", course_data(instance))


@receiver(post_save, sender=Module, dispatch_uid="module_content_saved")
def module_saved(sender, instance: Module, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw:
        event = "module.created" if created else "module.updated"
        publish(course_topic(instance.course_id), event, module_data(instance))


@receiver(post_delete, sender=Module, dispatch_uid="module_content_deleted")
def module_deleted(sender, instance: Module, **kwargs) -> None:
    data = {"id": instance.pk, "course": instance.course_id}
    retract(
        course_topic(instance.course_id),
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
        course_topic(course_id),
        "lesson.created" if created else "lesson.updated",
        lesson_data(instance),
    )


@receiver(post_delete, sender=Lesson, dispatch_uid="lesson_content_deleted")
def lesson_deleted(sender, instance: Lesson, **kwargs) -> None:
    course_id = lesson_course_id(instance)
    if course_id is None:
        return
    data = {"id": instance.pk, "module": instance.module_id}
    retract(
        course_topic(course_id),
        events=["lesson.created", "lesson.updated"],
        replacement="lesson.deleted",
        data=data,
    )

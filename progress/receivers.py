"""Receivers of the progress app: catalog changes that progress depends on.

Progress counts the lessons a course has now: adding or removing one schedules
one recomputation of the course's enrollments after commit. A new enrollment of a
student who had left the course gets their progress back at once.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lms.catalog.models import Enrollment, Lesson
from lms.catalog.selectors import lesson_course_id
from progress.services import course_progress_refresh_on_commit, enrollment_progress_restore


@receiver(post_save, sender=Lesson, dispatch_uid="progress_lesson_added")
def lesson_added(sender, instance: Lesson, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        course_progress_refresh_on_commit(course_id=lesson_course_id(instance))


@receiver(post_delete, sender=Lesson, dispatch_uid="progress_lesson_removed")
def lesson_removed(sender, instance: Lesson, **kwargs) -> None:
    course_id = lesson_course_id(instance)
    if course_id is not None:
        course_progress_refresh_on_commit(course_id=course_id)


@receiver(post_save, sender=Enrollment, dispatch_uid="progress_enrollment_restored")
def enrollment_restored(
    sender, instance: Enrollment, created: bool, raw: bool = False, **kwargs
) -> None:
    if created and not raw:
        enrollment_progress_restore(enrollment=instance)

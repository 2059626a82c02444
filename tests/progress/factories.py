import factory

from lms.realtime.models import Event
from progress.models import Achievement, Certificate, LessonCompletion
from tests.factories import EnrollmentFactory, LessonFactory, UserFactory, course_with_lessons


class LessonCompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonCompletion

    user = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory("tests.factories.CourseFactory")


class AchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Achievement

    user = factory.SubFactory(UserFactory)
    kind = Achievement.Kind.FIRST_LESSON


def enrolled_course(user, modules: int = 2, lessons_per_module: int = 2):
    """A course of `modules` x `lessons_per_module` lessons with `user` enrolled in it."""
    course = course_with_lessons(modules=modules, lessons_per_module=lessons_per_module)
    EnrollmentFactory(user=user, course=course)
    return course


def lessons_of(course):
    from lms.catalog.models import Lesson

    return list(
        Lesson.objects.filter(module__course=course)
        .select_related("module")
        .order_by("module__order", "order", "id")
    )


def events_on(topic: str, since: int = 0) -> list[tuple[str, dict]]:
    """The events stored for a topic (what a client joining with `since` would replay)."""
    return [
        (e.event, e.data) for e in Event.objects.filter(topic=topic, seq__gt=since).order_by("seq")
    ]


def last_seq(topic: str) -> int:
    return (
        Event.objects.filter(topic=topic).order_by("-seq").values_list("seq", flat=True).first()
        or 0
    )

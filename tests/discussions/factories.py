import factory

from discussions.models import DirectMessage, DiscussionThread, ThreadMessage
from tests.factories import CourseFactory, UserFactory


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscussionThread

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Thread {n}")
    created_by = factory.SubFactory(UserFactory)
    is_active = True


class ThreadMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThreadMessage

    thread = factory.SubFactory(ThreadFactory)
    sender = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Message {n}")


class DirectMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DirectMessage

    sender = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Direct message {n}")

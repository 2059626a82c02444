from datetime import timedelta

import factory
from django.utils import timezone

from notifications.models import Notification, Subscription
from tests.factories import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Notification {n}")
    message = "Something happened."
    type = Notification.Type.INFO


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    user = factory.SubFactory(UserFactory)
    plan = "Standard"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))

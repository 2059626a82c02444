"""Receivers of the users and catalog app."""

from django.conf import settings
from django.db.models.signals import pre_save
from django.dispatch import receiver

from lms.realtime.events import revoke


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def close_sockets_of_deactivated_user(sender, instance, **kwargs):
    if instance.pk and not instance.is_active:
        was_active = sender.objects.filter(pk=instance.pk, is_active=True).exists()
        if was_active:
            revoke(user_ids=[instance.pk], disconnect=True)

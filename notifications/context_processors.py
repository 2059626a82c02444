from django.utils.functional import SimpleLazyObject

from notifications.selectors import notification_unread_count


def navigation(request):
    """The unread count of the navigation bell, counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "notification_unread_count": SimpleLazyObject(lambda: notification_unread_count(user=user))
    }

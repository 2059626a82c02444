import functools

from discussions.selectors import dm_unread_count


def navigation(request):
    """My unread direct-message count for the navigation, queried only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"dm_unread_count": functools.cache(lambda: dm_unread_count(user=user))}

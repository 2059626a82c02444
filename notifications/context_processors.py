def navigation(request):
    """Counts this app shows in the navigation bar."""
    return {}

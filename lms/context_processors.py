def navigation(request):
    """Counts shown in the navigation bar; each app adds its own through nav_counts()."""
    return {}

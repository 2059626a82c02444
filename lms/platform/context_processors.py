# First path segment -> navigation item marked as the current page.
SECTIONS = {
    "": "dashboard",
    "courses": "catalog",
    "lessons": "catalog",
    "leaderboard": "leaderboard",
    "messages": "messages",
    "threads": "catalog",
    "notifications": "notifications",
    "progress": "progress",
    "account": "account",
}


def navigation(request):
    """Which navigation item is the current page; each app adds its own counts."""
    first_segment = request.path.strip("/").split("/", 1)[0]
    return {"nav_section": SECTIONS.get(first_segment, "")}

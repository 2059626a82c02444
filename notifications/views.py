from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from notifications import services
from notifications.models import Notification
from notifications.selectors import notification_list, notification_unread_count

PAGE_SIZE = 20


def _back(request):
    """Where a mark-read form returns: its `next` when it is on this site, else the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications")


@login_required
@require_GET
def notification_list_page(request):
    unread = request.GET.get("unread") in {"1", "true"}
    page = Paginator(notification_list(user=request.user, unread=unread), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/notification_list.html",
        {
            "page": page,
            "notifications": page.object_list,
            "unread_only": unread,
            "unread_count": notification_unread_count(user=request.user),
            "nav_section": "notifications",
        },
    )


@login_required
@require_POST
def notification_read(request, notification_id: int):
    try:
        services.notification_mark_read(user=request.user, notification_id=notification_id)
    except Notification.DoesNotExist as exc:
        raise Http404("No such notification.") from exc
    return _back(request)


def _same_site_path(request, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@login_required
@require_GET
def notification_open(request, notification_id: int):
    """Follow a notification: mark it read and go where it leads (a path of this site only).

    A link, so that it opens like one (a new tab too). A request another site started
    (Sec-Fetch-Site: cross-site) is only led on, without marking anything read.
    """
    notification = Notification.objects.filter(pk=notification_id, user=request.user).first()
    if notification is None:
        raise Http404("No such notification.")
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "cross-site":
        services.notification_mark_read(user=request.user, notification_id=notification.pk)
    if _same_site_path(request, notification.url):
        return redirect(notification.url)
    return redirect("notifications")


@login_required
@require_POST
def notification_read_all(request):
    ids = services.notification_mark_all_read(user=request.user)
    if ids:
        messages.success(
            request, f"Marked {len(ids)} notification{'s' if len(ids) != 1 else ''} read."
        )
    return _back(request)

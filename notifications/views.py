from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.catalog.models import User
from notifications import emails, services
from notifications.forms import NotificationPreferencesForm
from notifications.models import Channel, Kind, Notification
from notifications.selectors import (
    notification_channels,
    notification_list,
    notification_preference_rows,
    notification_unread_count,
)

PAGE_SIZE = 20
# The preferences table's column headings (Channel's labels explain them above it).
CHANNEL_COLUMNS = {
    Channel.SITE: "Site",
    Channel.EMAIL: "Email",
    Channel.DIGEST: "Digest",
    Channel.OFF: "Off",
}


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


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences_page(request):
    """A channel per kind: radio buttons in a plain form; only the changed kinds are saved."""
    status = 200
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            changed = services.notification_preferences_set(
                user=request.user, preferences=form.chosen()
            )
            messages.success(
                request,
                "Your notification preferences are saved."
                if changed
                else "Nothing changed: your notification preferences are as they were.",
            )
            return redirect("notification-preferences")
        messages.error(request, "Choose one of the channels for each kind.")
        status = 400
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": notification_preference_rows(user=request.user),
            "channels": [
                (channel, label, CHANNEL_COLUMNS[channel]) for channel, label in Channel.choices
            ],
            "nav_section": "account",
        },
        status=status,
    )


def _unsubscribe_subject(kind: str) -> str:
    """What an unsubscribe link stops, in words."""
    if kind == emails.DIGEST:
        return "the email digest of your notifications"
    return f"emails about \u201c{Kind(kind).label}\u201d"


# Mail clients post here without a session or CSRF token (RFC 8058 one-click
# unsubscribe): the signed token is the only credential, and all it allows is
# turning emails off.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    """GET: what the link stops, and a button; POST (the button or a mail client's
    one-click request): stop it. A tampered token is a 400 and changes nothing."""
    parsed = emails.unsubscribe_token_read(token)
    user = User.objects.filter(pk=parsed[0]).first() if parsed else None
    if user is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    kind = parsed[1]
    context = {"token": token, "kind": kind, "what": _unsubscribe_subject(kind)}
    if request.method == "POST":
        services.notification_unsubscribe(user=user, kind=kind)
        return render(request, "notifications/unsubscribe_done.html", context)
    channels = notification_channels(user=user)
    if kind == emails.DIGEST:
        subscribed = Channel.DIGEST in channels.values()
    else:
        subscribed = channels.get(kind) in (Channel.EMAIL, Channel.DIGEST)
    return render(request, "notifications/unsubscribe.html", {**context, "subscribed": subscribed})

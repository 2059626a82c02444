"""The account pages: profile, avatar, password, data export, deletion; password reset."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import AccountForm, AvatarForm, PasswordConfirmForm, ResetRequestForm

EXPORT_FILENAME = "my-data.json"


def _account_page(request, *, profile_form=None, avatar_form=None):
    return render(
        request,
        "accounts/account.html",
        {
            "profile_form": profile_form or AccountForm(user=request.user),
            "avatar_form": avatar_form or AvatarForm(),
            "avatar_small": selectors.avatar_small_url(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    if request.method == "GET":
        return _account_page(request)
    form = AccountForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.account_update(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field, error)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("account")
    return _account_page(request, profile_form=form)


@login_required
@require_POST
def avatar_upload(request):
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.avatar_set(user=request.user, upload=form.cleaned_data["avatar"])
        except ValidationError as exc:
            form.add_error("avatar", exc)
        else:
            messages.success(request, "Your new picture is in place.")
            return redirect("account")
    return _account_page(request, avatar_form=form)


@login_required
@require_POST
def avatar_remove(request):
    services.avatar_remove(user=request.user)
    messages.success(request, "Your picture is removed.")
    return redirect("account")


@login_required
@require_GET
@never_cache
def account_export(request):
    response = JsonResponse(
        selectors.account_export(user=request.user),
        encoder=DjangoJSONEncoder,
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )
    response["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    refusal = services.account_deletion_refusal(user=request.user)
    form = PasswordConfirmForm(request.POST or None, user=request.user)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            services.account_delete(user=request.user)
        except PermissionDenied as exc:
            refusal = str(exc)
        else:
            logout(request)
            messages.success(request, "Your account is deleted. Thank you for learning with us.")
            return redirect("login")
    return render(
        request,
        "accounts/account_delete.html",
        {"form": form, "refusal": refusal},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page; the email goes out through accounts.services.password_reset_send."""

    form_class = ResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        services.password_reset_send(email=form.cleaned_data["email"], request=self.request)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_completed(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"

from django import forms
from django.contrib.auth.forms import PasswordResetForm

from accounts import services
from accounts.avatars import avatar_max_bytes, avatar_rules
from lms.catalog.models import User


class AccountForm(forms.Form):
    """The account page's profile: checked by the same rules as `PATCH /api/me/`."""

    first_name = forms.CharField(max_length=services.NAME_MAX_LENGTH, required=False)
    last_name = forms.CharField(max_length=services.NAME_MAX_LENGTH, required=False)
    email = forms.EmailField(max_length=services.EMAIL_MAX_LENGTH)
    leaderboard_anonymous = forms.BooleanField(
        required=False,
        label="Hide my name on leaderboards",
        help_text="You are ranked as “Anonymous learner”, without your name or avatar.",
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        self.user = user
        kwargs.setdefault(
            "initial",
            {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "leaderboard_anonymous": user.leaderboard_anonymous,
            },
        )
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        return services.email_clean(self.cleaned_data["email"], user=self.user)


class AvatarForm(forms.Form):
    # A plain file field: Pillow checks the bytes in the service, not the browser's claims.
    avatar = forms.FileField(
        label="New picture",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["avatar"].help_text = avatar_rules()
        self.fields["avatar"].widget.attrs["data-max-bytes"] = avatar_max_bytes()


class PasswordConfirmForm(forms.Form):
    """Deleting the account asks for the current password."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.", code="invalid")
        return password


class ResetRequestForm(PasswordResetForm):
    """Django's form; sending goes through accounts.services.password_reset_send."""

    email = forms.EmailField(
        label="Email address",
        max_length=services.EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

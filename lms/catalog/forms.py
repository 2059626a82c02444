import re

from django import forms
from django.contrib.auth.forms import UserCreationForm

from lms.catalog.models import User

# Usernames deleted accounts take (accounts.services.account_delete): never a new one's.
TOMBSTONE_USERNAME = re.compile(r"deleted-\d+(-[0-9a-f]+)?", re.IGNORECASE)


class SignupForm(UserCreationForm):
    """A new student account: username, email and password required, names optional.

    The email address is where password reset links go: valid, and used by no other
    account in any case.
    """

    email = forms.EmailField(max_length=254, help_text="Where we send password reset links.")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email", "first_name", "last_name"]

    def clean_username(self) -> str:
        username = super().clean_username()
        if TOMBSTONE_USERNAME.fullmatch(username or ""):
            raise forms.ValidationError("This username is reserved. Choose another one.")
        return username

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"].strip())
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email

"""Forms of the discussion pages; the services trim and validate what they carry."""

from django import forms

from discussions.models import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH


class ThreadForm(forms.Form):
    title = forms.CharField(
        strip=False,
        widget=forms.TextInput(
            attrs={"maxlength": TITLE_MAX_LENGTH, "placeholder": "What is it about?"}
        ),
    )


class MessageForm(forms.Form):
    content = forms.CharField(
        strip=False,
        label="Message",
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": CONTENT_MAX_LENGTH, "placeholder": "Write a message"}
        ),
    )


class RenameForm(forms.Form):
    title = forms.CharField(
        strip=False, widget=forms.TextInput(attrs={"maxlength": TITLE_MAX_LENGTH})
    )

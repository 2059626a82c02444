"""Forms of the discussion pages; the services trim and validate what they carry."""

from django import forms


class ThreadForm(forms.Form):
    title = forms.CharField(
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 255, "placeholder": "What is it about?"}),
    )


class MessageForm(forms.Form):
    content = forms.CharField(
        strip=False,
        label="Message",
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": 4000, "placeholder": "Write a message"}
        ),
    )


class RenameForm(forms.Form):
    title = forms.CharField(strip=False, widget=forms.TextInput(attrs={"maxlength": 255}))

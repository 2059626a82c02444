from django import forms

from notifications.services import MESSAGE_MAX, TITLE_MAX


class AnnouncementForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, strip=True)
    message = forms.CharField(
        max_length=MESSAGE_MAX, strip=True, widget=forms.Textarea(attrs={"rows": 6, "cols": 60})
    )

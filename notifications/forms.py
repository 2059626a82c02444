from django import forms

from notifications.models import MESSAGE_MAX, TITLE_MAX, Channel, Kind


class AnnouncementForm(forms.Form):
    """An announcement to a course: on the course page, and in the admin's "announce" action."""

    title = forms.CharField(max_length=TITLE_MAX, strip=True)
    message = forms.CharField(
        max_length=MESSAGE_MAX, strip=True, widget=forms.Textarea(attrs={"rows": 6, "cols": 60})
    )


class NotificationPreferencesForm(forms.Form):
    """A channel per kind (radio buttons); a kind left out of the post keeps its channel."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label, choices=Channel.choices, required=False, widget=forms.RadioSelect
            )

    def chosen(self) -> dict[str, str]:
        return {kind: channel for kind, channel in self.cleaned_data.items() if channel}

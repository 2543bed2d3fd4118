from django import forms
from django.utils.translation import gettext_lazy as _


class ConnectForm(forms.Form):
    provider = forms.ChoiceField(choices=[("google", "Google"), ("microsoft", "Microsoft")])
    write_back = forms.BooleanField(required=False)
    replaces = forms.UUIDField(required=False)


class CalDAVForm(forms.Form):
    url = forms.URLField(label=_("Calendar address (https://…)"), max_length=500, assume_scheme="https")
    username = forms.CharField(label=_("User name"), max_length=200)
    password = forms.CharField(
        label=_("App password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Create an app-specific password at your calendar provider; do not use your main password."),
    )
    write_back = forms.BooleanField(label=_("Also write my booked appointments into this calendar"), required=False)

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


def timezone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


def language_choices(blank: bool = True) -> list[tuple[str, str]]:
    """Each language in its own name (Deutsch, Français), as people look for their own language."""
    from django.utils.translation import get_language_info

    choices = [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]
    return [("", str(_("Browser language"))), *choices] if blank else choices


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    remember = forms.BooleanField(label=_("Stay signed in on this device"), required=False)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


class NewPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Repeat the new password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data


class InvitationAcceptForm(NewPasswordForm):
    name = forms.CharField(label=_("Your name"), max_length=150)
    language = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)
    field_order = ["name", "language", "password", "password2"]


class AccountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    language = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)


class PasswordChangeForm(NewPasswordForm):
    current = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["current", "password", "password2"]

from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from parley.accounts.forms import language_choices
from parley.tenants.models import MAX_RETENTION_MONTHS, colour_validator


class TenantSettingsForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=120)
    controller_contact = forms.CharField(
        label=_("Controller (name, address, e-mail)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    dpo_contact = forms.CharField(
        label=_("Data-protection officer (name, e-mail)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    primary_colour = forms.CharField(
        label=_("Primary colour"), max_length=7, validators=[colour_validator], widget=forms.TextInput(attrs={"type": "color"})
    )
    accent_colour = forms.CharField(
        label=_("Accent colour"), max_length=7, validators=[colour_validator], widget=forms.TextInput(attrs={"type": "color"})
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=partial(language_choices, blank=False))
    chat_enabled = forms.BooleanField(label=_("Chat"), required=False)
    documents_enabled = forms.BooleanField(label=_("Documents"), required=False)
    appointments_enabled = forms.BooleanField(label=_("Appointments"), required=False)
    calls_enabled = forms.BooleanField(label=_("Audio and video calls"), required=False)
    retention_months = forms.IntegerField(
        label=_("Delete customer data after (months)"),
        min_value=1,
        max_value=MAX_RETENTION_MONTHS,
        help_text=_("At most 12 months, as the privacy policy promises."),
    )
    require_two_factor = forms.BooleanField(label=_("Require two-factor authentication for everyone"), required=False)
    logo = forms.ImageField(label=_("Logo"), required=False)
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=[("expert", _("Expert")), ("admin", _("Administrator"))], initial="expert")

from functools import partial
from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from parley.accounts.forms import language_choices
from parley.experts.forms import PathPatternsField
from parley.tenants.document_types import document_type_choices
from parley.tenants.models import MAX_RETENTION_MONTHS, colour_validator
from parley.tenants.origins import clean_origins


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
    calls_relay_only = forms.BooleanField(
        label=_("Relay the customer's call connection"),
        required=False,
        help_text=_("The customer's browser connects through the TURN server only, so experts never learn their IP address."),
    )
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


class OriginsField(forms.CharField):
    """Website origins, one per line; cleans to the normalised, de-duplicated lines."""

    def clean(self, value: Any) -> str:
        return clean_origins(super().clean(value) or "")


class WidgetWebsiteForm(forms.Form):
    """Where the widget may be embedded and which privacy notice it links."""

    website_origins = OriginsField(
        label=_("Websites that embed Parley"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocapitalize": "none"}),
        help_text=_("One origin per line, e.g. https://www.example.com (scheme and host, no path)."),
    )
    privacy_notice_url = forms.URLField(
        label=_("Address of your privacy notice"),
        required=False,
        max_length=200,
        validators=[URLValidator(schemes=["http", "https"])],
        widget=forms.URLInput(attrs={"size": 50}),
        help_text=_("Linked from the customer app, e.g. https://www.example.com/privacy"),
    )


class WidgetInvitationForm(forms.Form):
    """The proactive invitation: after a delay, on some pages, the widget invites the visitor to a conversation."""

    proactive_delay_seconds = forms.IntegerField(
        label=_("Invite visitors after (seconds)"),
        required=False,
        min_value=3,
        max_value=600,
        help_text=_("From 3 to 600 seconds; leave empty to invite nobody."),
    )
    proactive_text = forms.CharField(
        label=_("Invitation text"),
        required=False,
        max_length=200,
        help_text=_("For example: Questions about your loan? Our experts are happy to help."),
    )
    proactive_pages = PathPatternsField(
        label=_("Invite on these pages"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "none"}),
        help_text=_("One path pattern per line, e.g. /loans/* (* stands for any characters). Empty: every page."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("proactive_delay_seconds") is not None and not data.get("proactive_text"):
            self.add_error("proactive_text", _("Write the invitation text, or leave the delay empty to invite nobody."))
        return data


class WidgetDocumentsForm(forms.Form):
    """Which documents customers and experts may send in a conversation."""

    document_max_mb = forms.IntegerField(
        label=_("Largest document (MB)"), min_value=1, max_value=50, help_text=_("From 1 to 50.")
    )
    document_types = forms.MultipleChoiceField(
        label=_("Document types customers and experts may send"),
        choices=document_type_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one document type.")},
    )


WIDGET_FORMS = (WidgetWebsiteForm, WidgetInvitationForm, WidgetDocumentsForm)

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.interactions.inbox import inbox_experts
from parley.interactions.models import Interaction
from parley.interactions.selectors import expert_transfer_choices
from parley.interactions.services import MAX_MESSAGE_CHARS
from parley.tenants.models import Tenant


class ExpertChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class InboxFilterForm(forms.Form):
    STATUS_CHOICES = [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("A whole word of the customer's name, or their full e-mail address."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    expert = ExpertChoiceField(label=_("Expert"), queryset=User.objects.none(), required=False, empty_label=_("All experts"))

    def __init__(self, *args: Any, tenant: Tenant, is_admin: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_admin:
            self.fields["expert"].queryset = inbox_experts(tenant=tenant)  # type: ignore[attr-defined]
        else:
            del self.fields["expert"]

    def filters(self) -> dict[str, Any]:
        """What inbox_list takes; an invalid value falls back to the default rather than failing the page."""
        data = self.cleaned_data if self.is_valid() else {}
        expert = data.get("expert")
        return {"q": data.get("q") or "", "status": data.get("status") or "open", "expert_id": expert.id if expert else None}


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ctrl+Enter sends."),
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Send a document"))


class TransferForm(forms.Form):
    expert = ExpertChoiceField(label=_("Transfer to"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args: Any, interaction: Interaction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = expert_transfer_choices(interaction=interaction)  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Interaction.Status.choices)

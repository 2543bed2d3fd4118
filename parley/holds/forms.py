from django import forms
from django.utils.translation import gettext_lazy as _

from parley.holds.services import REASON_MAX


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Legal reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example the statute or the proceedings that require keeping the data. Only administrators see it."),
    )


class ReleaseForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, release the hold"), required=True)

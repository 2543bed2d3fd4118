from django import forms
from django.utils.translation import gettext_lazy as _

from parley.dsr.models import DataSubjectRequest, Right
from parley.dsr.services import MAX_TEXT_CHARS


class RequestForm(forms.Form):
    """A formless request in the person's own words; choosing a right is optional (Art. 12(2): no form required)."""

    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send a link to this address: opening it confirms that the request comes from you."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Your name (optional)"), max_length=120, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    right = forms.ChoiceField(label=_("What would you like? (optional)"), choices=[("", "—"), *Right.choices], required=False)
    text = forms.CharField(
        label=_("Your request"),
        max_length=MAX_TEXT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("In your own words. Tell us anything that helps us find your data, e.g. when you talked to us."),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if not (data.get("text") or "").strip() and not data.get("right"):
            raise forms.ValidationError(_("Tell us what you would like us to do, or choose one of the rights."))
        return data


_STATUS_CHOICES = [(s.value, s.label) for s in DataSubjectRequest.Status if s != DataSubjectRequest.Status.UNCONFIRMED]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=_STATUS_CHOICES)
    note = forms.CharField(
        label=_("Note (optional)"), max_length=MAX_TEXT_CHARS, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tell_person = forms.BooleanField(label=_("When closing, tell the person by e-mail (the note is included)"), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=MAX_TEXT_CHARS, widget=forms.Textarea(attrs={"rows": 3}))


class RectifyForm(forms.Form):
    name = forms.CharField(label=_("Corrected name"), max_length=120, required=False)
    email = forms.EmailField(label=_("Corrected e-mail address"), max_length=254, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("name") and not data.get("email"):
            raise forms.ValidationError(_("Enter the corrected name or e-mail address."))
        return data

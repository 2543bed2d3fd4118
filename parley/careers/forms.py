from django import forms
from django.utils.translation import gettext_lazy as _

from parley.careers.models import Application
from parley.careers.services import CV_MAX_BYTES, PHOTO_MAX_BYTES


class ApplyForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("Your e-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label=_("Phone (optional)"), max_length=40, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    linkedin_url = forms.URLField(label=_("LinkedIn profile (optional)"), max_length=300, required=False, assume_scheme="https")
    cover_letter = forms.CharField(label=_("Cover letter"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 8}))
    cv = forms.FileField(
        label=_("CV (PDF)"),
        help_text=_("A PDF file of at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def clean_cv(self):  # type: ignore[no-untyped-def]
        cv = self.cleaned_data["cv"]
        if cv is not None and cv.size > CV_MAX_BYTES:
            raise forms.ValidationError(_("The CV is too large (at most 10 MB)."))
        return cv

    def clean_photo(self):  # type: ignore[no-untyped-def]
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError(_("The photo is too large (at most 5 MB)."))
        return photo


class PositionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Application.Status.choices)


class NotesForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 5}))

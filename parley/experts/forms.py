from django import forms
from django.utils.translation import gettext_lazy as _

from parley.experts.languages import advisory_language_choices


class ExpertProfileForm(forms.Form):
    description = forms.CharField(
        label=_("About you"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Customers read this when they choose an expert."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you advise in"), choices=advisory_language_choices, widget=forms.CheckboxSelectMultiple
    )


class PhotoForm(forms.Form):
    photo = forms.ImageField(label=_("Profile photo"), required=False)
    remove = forms.BooleanField(label=_("Remove the photo"), required=False)

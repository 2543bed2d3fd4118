from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parley.experts.languages import advisory_language_choices
from parley.experts.models import Topic
from parley.experts.pages import clean_path_patterns
from parley.experts.selectors import topic_list
from parley.tenants.models import Tenant


class PathPatternsField(forms.CharField):
    """Page path patterns such as /loans/*, one per line; cleans to the normalised, de-duplicated lines."""

    def clean(self, value: Any) -> str:
        return clean_path_patterns(super().clean(value) or "")


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


class TopicForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("A subject or team, e.g. Mortgages."))
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=999, initial=0, help_text=_("Lower numbers are listed first.")
    )


class ExpertWidgetForm(forms.Form):
    """Which topics an expert serves and on which pages of the website they are offered."""

    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Visitors who pick one of these topics can choose this expert."),
    )
    page_include = PathPatternsField(
        label=_("Show on pages"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "none"}),
        help_text=_("One path pattern per line, e.g. /loans/* (* stands for any characters). Empty: every page."),
    )
    page_exclude = PathPatternsField(
        label=_("Never on pages"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "none"}),
        help_text=_("One path pattern per line; these win over the pages above."),
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this tenant's topics can be chosen; another tenant's topic id is "not a valid choice".
        self.fields["topics"].queryset = topic_list(tenant=tenant)  # type: ignore[attr-defined]

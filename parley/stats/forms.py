from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parley.stats.models import Metric
from parley.stats.services import RETENTION_MONTHS, _months_back, utc_day

DEFAULT_DAYS = 30


class RangeForm(forms.Form):
    """A date range of at most 14 months (what is kept, P25); UTC days."""

    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )
    metric = forms.ChoiceField(label=_("Chart"), choices=Metric.choices, required=False)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        today = utc_day()
        return {"start": today - timedelta(days=DEFAULT_DAYS - 1), "end": today, "metric": Metric.CONVERSATION_STARTED}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start must not be after the end."))
            if start < _months_back(end, RETENTION_MONTHS):
                raise forms.ValidationError(_("Choose a range of at most 14 months."))
        data["metric"] = data.get("metric") or Metric.CONVERSATION_STARTED
        return data

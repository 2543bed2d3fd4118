"""Forms of the appointment pages. Local times are read in the expert's own zone and turned into UTC here, so a
wall-clock time that does not exist (the hour skipped in spring) is refused with a clear message instead of being
moved silently; a repeated one (autumn) is its first occurrence, as in the slot computation."""

import re
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError
from parley.scheduling.models import AppointmentType
from parley.scheduling.selectors import schedule_experts
from parley.scheduling.services import (
    MAX_NOTE_CHARS,
    MAX_RANGES_PER_DAY,
    AppointmentTypeValues,
    hours_range_errors,
    reminder_offsets_clean,
)
from parley.tenants.models import Tenant

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in `zone`; ValidationError if the clocks skip it."""
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValidationError(
            _("%(time)s does not exist in %(zone)s: the clocks are put forward then. Choose another time."),
            code="nonexistent",
            params={"time": naive.strftime("%Y-%m-%d %H:%M"), "zone": zone.key},
        )
    return aware.astimezone(UTC)


class LocalDateTimeField(forms.Field):
    """A datetime-local input read in a given zone; cleans to an aware UTC datetime."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    default_error_messages = {"invalid": _("Enter a date and time.")}

    def __init__(self, *, zone: ZoneInfo, **kwargs: Any) -> None:
        self.zone = zone
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(self.zone).replace(tzinfo=None)
        return value

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else local_to_utc(value, self.zone)
        text = str(value).strip()
        for pattern in LOCAL_FORMATS:
            try:
                naive = datetime.strptime(text, pattern)  # noqa: DTZ007 (a wall-clock time, read in self.zone below)
            except ValueError:
                continue
            return local_to_utc(naive, self.zone)
        raise ValidationError(self.error_messages["invalid"], code="invalid")


def _time_field(label: "str | StrPromise", *, required: bool = True) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


def _message_field(label: "str | StrPromise") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_NOTE_CHARS}),
    )


# --- the week ------------------------------------------------------------------------------------------------------


class ExpertChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class WeekFilterForm(forms.Form):
    """Admins choose one expert (or everyone); experts see only their own week."""

    expert = ExpertChoiceField(label=_("Expert"), queryset=User.objects.none(), required=False, empty_label=_("All experts"))

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = schedule_experts(tenant=tenant)  # type: ignore[attr-defined]

    def chosen_expert(self) -> User | None:
        """An unknown or foreign id falls back to everyone rather than failing the page."""
        return self.cleaned_data.get("expert") if self.is_valid() else None


class DeclineForm(forms.Form):
    message = _message_field(_("Message to the customer (optional)"))


class CancelForm(forms.Form):
    message = _message_field(_("Message to the customer (optional)"))


class ProposeForm(forms.Form):
    message = _message_field(_("Message to the customer (optional)"))

    def __init__(self, *args: Any, zone: ZoneInfo, own: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if own:
            help_text = _("In your time zone, %(zone)s. It must be free in your working hours.") % {"zone": zone.key}
        else:
            help_text = _("In the expert's time zone, %(zone)s. It must be free in their working hours.") % {"zone": zone.key}
        self.fields = {
            "starts_at": LocalDateTimeField(zone=zone, label=_("Another time"), help_text=help_text),
            **self.fields,
        }


# --- availability ------------------------------------------------------------------------------------------------


class WeeklyHoursForm(forms.Form):
    """Per weekday several ranges; rows are fields named h<weekday>-<n>-start/end. An empty row is ignored."""

    def __init__(self, *args: Any, hours: dict[int, list[tuple[time, time]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: dict[int, int] = {}
        for weekday in range(7):
            count = len(hours.get(weekday, [])) + 1
            if self.data:
                posted = [int(m.group(1)) for key in self.data if (m := re.fullmatch(rf"h{weekday}-(\d+)-start", key))]
                count = max(posted, default=-1) + 1
            self.rows[weekday] = min(max(count, 1), MAX_RANGES_PER_DAY)
            for n in range(self.rows[weekday]):
                self.fields[f"h{weekday}-{n}-start"] = _time_field(_("From"), required=False)
                self.fields[f"h{weekday}-{n}-end"] = _time_field(_("Until"), required=False)
                if n < len(hours.get(weekday, [])):
                    start, end = hours[weekday][n]
                    self.initial[f"h{weekday}-{n}-start"], self.initial[f"h{weekday}-{n}-end"] = start, end

    def days(self) -> list[dict[str, Any]]:
        """For the template: per weekday its name and rows of bound (start, end) fields."""
        return [
            {
                "weekday": weekday,
                "name": WEEKDAYS[weekday],
                "rows": [(n + 1, self[f"h{weekday}-{n}-start"], self[f"h{weekday}-{n}-end"]) for n in range(self.rows[weekday])],
            }
            for weekday in range(7)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ranges: list[tuple[int, time, time]] = []
        for weekday in range(7):
            day: list[tuple[time, time]] = []
            names: list[str] = []
            for n in range(self.rows[weekday]):
                start_name, end_name = f"h{weekday}-{n}-start", f"h{weekday}-{n}-end"
                if start_name in self.errors or end_name in self.errors:
                    continue
                start, end = data.get(start_name), data.get(end_name)
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(start_name if start is None else end_name, _("Enter both times, or neither."))
                    continue
                day.append((start, end))
                names.append(start_name)
            for index, problem in hours_range_errors(day).items():
                backwards = bool(hours_range_errors([day[index]]))  # else it overlaps another range
                self.add_error(names[index].replace("-start", "-end") if backwards else names[index], problem)
            ranges += [(weekday, start, end) for start, end in day]
        data["ranges"] = ranges
        return data


class ExtraHoursForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = _time_field(_("From"))
    end = _time_field(_("Until"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") is not None and data.get("end") is not None:
            for problem in hours_range_errors([(data["start"], data["end"])]).values():
                self.add_error("end", problem)
        return data


class AbsenceForm(forms.Form):
    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_at"] = LocalDateTimeField(zone=zone, label=_("Away from"))
        self.fields["ends_at"] = LocalDateTimeField(zone=zone, label=_("Back at"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The end must be after the start."))
        return data


def _minutes(
    label: "str | StrPromise", low: int, high: int, *, required: bool = True, help_text: "str | StrPromise" = ""
) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=low, max_value=high, required=required, help_text=help_text)


class TypeSettingForm(forms.Form):
    """An expert's own times for one type; empty means the type's value (shown as the placeholder)."""

    offered = forms.BooleanField(label=_("Offer this type"), required=False)
    duration_minutes = _minutes(_("Duration (minutes)"), 5, 480, required=False)
    buffer_before_minutes = _minutes(_("Buffer before (minutes)"), 0, 240, required=False)
    buffer_after_minutes = _minutes(_("Buffer after (minutes)"), 0, 240, required=False)
    min_notice_minutes = _minutes(_("Minimum notice (minutes)"), 0, 60 * 24 * 30, required=False)
    max_days_ahead = _minutes(_("Bookable up to (days ahead)"), 1, 365, required=False)

    def __init__(self, *args: Any, appointment_type: AppointmentType, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"type-{appointment_type.id}")
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.IntegerField):
                field.widget.attrs["placeholder"] = str(getattr(appointment_type, name))
                field.widget.attrs["class"] = "narrow"


# --- the admin's types and settings -----------------------------------------------------------------------------


class AppointmentTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("As customers see it, e.g. Video consultation."))
    channel = forms.ChoiceField(label=_("How"), choices=AppointmentType.Channel.choices)
    duration_minutes = _minutes(_("Duration (minutes)"), 5, 480)
    buffer_before_minutes = _minutes(_("Buffer before (minutes)"), 0, 240, help_text=_("Free time kept before it."))
    buffer_after_minutes = _minutes(_("Buffer after (minutes)"), 0, 240, help_text=_("Free time kept after it."))
    min_notice_minutes = _minutes(
        _("Minimum notice (minutes)"), 0, 60 * 24 * 30, help_text=_("How long before it customers can book at the latest.")
    )
    max_days_ahead = _minutes(_("Bookable up to (days ahead)"), 1, 365)
    position = _minutes(_("Position"), 0, 999, help_text=_("Smaller numbers come first."))
    is_active = forms.BooleanField(label=_("Offered to customers"), required=False)

    def values(self) -> AppointmentTypeValues:
        return AppointmentTypeValues(**self.cleaned_data)

    @staticmethod
    def initial_for(kind: AppointmentType) -> dict[str, Any]:
        return {name: getattr(kind, name) for name in AppointmentTypeForm.base_fields}


class RemindersField(forms.CharField):
    """Minutes before the appointment, separated by commas: "1440, 60"."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def clean(self, value: Any) -> list[int]:
        text = super().clean(value) or ""
        parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        if any(not part.isdigit() for part in parts):
            raise ValidationError(_("Write whole numbers of minutes separated by commas, e.g. 1440, 60."), code="invalid")
        try:
            return reminder_offsets_clean(int(part) for part in parts)
        except ApplicationError as exc:
            raise ValidationError(exc.message, code="invalid") from None


class BookingSettingsForm(forms.Form):
    booking_needs_confirmation = forms.TypedChoiceField(
        label=_("When a customer books"),
        choices=[
            ("0", _("The appointment is confirmed at once")),
            ("1", _("It is a request the expert accepts, declines or answers with another time")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    reminder_offsets = RemindersField(
        label=_("Reminders (minutes before)"),
        required=False,
        max_length=100,
        help_text=_("Separated by commas, e.g. 1440, 60 (a day and an hour before). 5 to 43200 minutes, at most 5. Empty: none."),
    )
    calendar_sync_minutes = _minutes(_("Sync connected calendars every (minutes)"), 5, 240, help_text=_("From 5 to 240."))
    calendar_stale_hours = _minutes(
        _("Stop offering an expert's slots when their calendar has not synced for (hours)"),
        1,
        168,
        help_text=_("From 1 to 168. Better no slot than a double booking."),
    )
    calendar_write_back = forms.BooleanField(label=_("Write booked appointments into the experts' calendars"), required=False)

    @staticmethod
    def initial_for(tenant: Tenant) -> dict[str, Any]:
        return {
            "booking_needs_confirmation": "1" if tenant.booking_needs_confirmation else "0",
            "reminder_offsets": list(tenant.reminder_offsets or []),
            "calendar_sync_minutes": tenant.calendar_sync_minutes,
            "calendar_stale_hours": tenant.calendar_stale_hours,
            "calendar_write_back": tenant.calendar_write_back,
        }


def parse_week(value: str | None, today: date) -> date:
    """The date of ?week=YYYY-MM-DD, or today for a missing or unusable value."""
    try:
        chosen = date.fromisoformat(value or "")
    except ValueError:
        return today
    return chosen if date(2000, 1, 1) <= chosen <= date(2100, 12, 31) else today

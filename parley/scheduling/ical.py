"""iCalendar invitations (RFC 5545/5546): one VEVENT per appointment, UID stable, SEQUENCE raised on every change,
times in UTC so no client has to guess a zone."""

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from parley.scheduling.models import Appointment


def appointment_calendar(*, appointment: Appointment, method: str, summary: str, description: str, location: str = "") -> str:
    """METHOD:REQUEST for a new or changed appointment, METHOD:CANCEL for a cancelled one."""
    calendar = Calendar()
    calendar.add("prodid", "-//Parley//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{appointment.id}@{_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", _utc(appointment.starts_at))
    event.add("dtend", _utc(appointment.ends_at))
    event.add("sequence", appointment.sequence)
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    expert = appointment.expert
    if expert is not None:
        organizer = vCalAddress(f"mailto:{expert.email}")
        organizer.params["cn"] = vText(expert.name)
        event.add("organizer", organizer)
    interaction = appointment.interaction
    attendee = vCalAddress(f"mailto:{interaction.customer_email}")
    attendee.params["cn"] = vText(interaction.customer_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _host() -> str:
    return settings.PARLEY_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "parley"

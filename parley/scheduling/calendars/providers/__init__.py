"""One module per provider behind the CalendarProvider interface (base.py)."""

from parley.scheduling.calendars.providers.base import CalendarProvider
from parley.scheduling.calendars.providers.caldav import CalDAVCalendar
from parley.scheduling.calendars.providers.google import GoogleCalendar
from parley.scheduling.calendars.providers.microsoft import MicrosoftCalendar

PROVIDERS: dict[str, CalendarProvider] = {
    "google": GoogleCalendar(),
    "microsoft": MicrosoftCalendar(),
    "caldav": CalDAVCalendar(),
}


def provider_for(name: str) -> CalendarProvider:
    return PROVIDERS[name]

"""CalDAV against a real Radicale server started by the tests: expanded calendar-query (recurrences across the March
daylight-saving change keep their local time), all-day and floating events, TRANSP:TRANSPARENT and STATUS:CANCELLED,
URL checks, write-back."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from parley.core.testing import client_for
from parley.scheduling.calendars import services
from parley.scheduling.calendars.providers import base
from parley.scheduling.calendars.providers.caldav import _mapped
from parley.scheduling.calendars.tests.conftest import free_port
from parley.scheduling.calendars.tests.test_google import busy_rows
from parley.scheduling.models import CalendarConnection

BERLIN = ZoneInfo("Europe/Berlin")
MARCH = datetime(2026, 3, 10, tzinfo=UTC)  # window: 10 March to 5 May 2026, across the change on 29 March


def _berlin_expert(world):
    expert = world.acme_expert
    expert.timezone = "Europe/Berlin"
    expert.save(update_fields=["timezone"])
    return expert


def _connect(world, url, now=MARCH, **kwargs):
    return services.caldav_connect(actor=world.acme_expert, url=url, username="expert", password="app-pw", now=now, **kwargs)


def test_a_weekly_event_across_the_march_change_stays_at_the_same_local_time(world, radicale):
    _berlin_expert(world)
    url = radicale.calendar(
        """BEGIN:VEVENT
UID:weekly-1
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Berlin:20260316T140000
DTEND;TZID=Europe/Berlin:20260316T150000
RRULE:FREQ=WEEKLY;COUNT=4
SUMMARY:Weekly review
END:VEVENT"""
    )
    connection = _connect(world, url)
    rows = busy_rows(connection)
    assert [start for start, _end in rows] == [
        datetime(2026, 3, 16, 13, tzinfo=UTC),
        datetime(2026, 3, 23, 13, tzinfo=UTC),
        datetime(2026, 3, 30, 12, tzinfo=UTC),  # CEST from 29 March: 14:00 local is 12:00 UTC
        datetime(2026, 4, 6, 12, tzinfo=UTC),
    ]
    assert {start.astimezone(BERLIN).time() for start, _end in rows} == {time(14)}
    assert {end - start for start, end in rows} == {timedelta(hours=1)}


def test_transparent_cancelled_all_day_and_floating_events(world, radicale):
    _berlin_expert(world)
    url = radicale.calendar(
        """BEGIN:VEVENT
UID:free-1
DTSTAMP:20260301T000000Z
DTSTART:20260317T080000Z
DTEND:20260317T090000Z
TRANSP:TRANSPARENT
SUMMARY:Reminder only
END:VEVENT""",
        """BEGIN:VEVENT
UID:cancelled-1
DTSTAMP:20260301T000000Z
DTSTART:20260318T080000Z
DTEND:20260318T090000Z
STATUS:CANCELLED
SUMMARY:Called off
END:VEVENT""",
        """BEGIN:VEVENT
UID:allday-1
DTSTAMP:20260301T000000Z
DTSTART;VALUE=DATE:20260401
DTEND;VALUE=DATE:20260402
SUMMARY:Holiday
END:VEVENT""",
        """BEGIN:VEVENT
UID:floating-1
DTSTAMP:20260301T000000Z
DTSTART:20260319T100000
DURATION:PT30M
SUMMARY:Floating
END:VEVENT""",
        """BEGIN:VEVENT
UID:series-1
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Berlin:20260320T090000
DTEND;TZID=Europe/Berlin:20260320T100000
RRULE:FREQ=DAILY;COUNT=3
EXDATE;TZID=Europe/Berlin:20260321T090000
SUMMARY:Series
END:VEVENT
BEGIN:VEVENT
UID:series-1
DTSTAMP:20260301T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260322T090000
DTSTART;TZID=Europe/Berlin:20260322T090000
DTEND;TZID=Europe/Berlin:20260322T100000
STATUS:CANCELLED
SUMMARY:Series
END:VEVENT""",
    )
    connection = _connect(world, url)
    assert busy_rows(connection) == [
        (datetime(2026, 3, 19, 9, tzinfo=UTC), datetime(2026, 3, 19, 9, 30, tzinfo=UTC)),  # floating: Berlin wall time
        (datetime(2026, 3, 20, 8, tzinfo=UTC), datetime(2026, 3, 20, 9, tzinfo=UTC)),  # the one occurrence left
        (datetime(2026, 3, 31, 22, tzinfo=UTC), datetime(2026, 4, 1, 22, tzinfo=UTC)),  # 1 April, Berlin's whole day
    ]


def test_connecting_through_the_portal_and_a_principal_url(world, radicale):
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    stamp = soon.strftime("%Y%m%dT%H%M%SZ")
    end = (soon + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    radicale.calendar(
        f"BEGIN:VEVENT\nUID:soon-1\nDTSTAMP:{stamp}\nDTSTART:{stamp}\nDTEND:{end}\nSUMMARY:x\nEND:VEVENT", user="pat"
    )
    client = client_for(world.acme_expert)
    response = client.post(
        reverse("calendars:caldav", kwargs={"slug": "acme"}),
        # The principal's address: Parley finds its calendars.
        {"url": radicale.base + "/pat/", "username": "pat", "password": "app-pw"},
    )
    assert response.status_code == 302, response.content.decode()
    connection = CalendarConnection.objects.get()
    assert connection.caldav_url == radicale.base + "/pat/" and connection.caldav_password == "app-pw"
    assert (soon, soon + timedelta(hours=1)) in busy_rows(connection)


def test_an_unreachable_server_is_refused_and_nothing_is_stored(world, radicale):
    with pytest.raises(services.CalendarError, match="could not read"):
        _connect(world, f"http://127.0.0.1:{free_port()}/expert/work/")
    assert not CalendarConnection.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://calendar.example.com/dav/",  # plain http
        "https://user:pw@calendar.example.com/dav/",  # credentials in the URL
        "https://127.0.0.1/dav/",  # loopback
        "https://10.1.2.3/dav/",  # private network
        "https://169.254.169.254/latest/",  # cloud metadata
        "ftp://calendar.example.com/",
    ],
)
def test_urls_that_could_reach_parleys_own_network_are_refused(world, settings, url):
    settings.PARLEY_CALDAV_ALLOW_PRIVATE = False
    with pytest.raises(services.CalendarError):
        services.caldav_url_checked(url)


def test_write_back_creates_and_deletes_an_event_in_the_calendar(world, radicale):
    from caldav.davclient import DAVClient

    from parley.scheduling.calendars.providers.caldav import CalDAVCalendar

    url = radicale.calendar()
    connection = _connect(world, url, now=datetime.now(UTC), write_back=True)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    CalDAVCalendar().write_event(connection, "abc123", start, start + timedelta(minutes=30), "Appointment")
    with DAVClient(url=url, username="expert", password="x", enable_rfc6764=False) as client:
        event = client.calendar(url=url).event_by_uid("abc123@parley").icalendar_component
        assert str(event["summary"]) == "Appointment" and event.decoded("dtstart") == start
        assert "attendee" not in event and "description" not in event
    assert services.sync_connection(connection)
    assert busy_rows(connection) == [(start, start + timedelta(minutes=30))]
    CalDAVCalendar().delete_event(connection, "abc123")
    CalDAVCalendar().delete_event(connection, "abc123")  # idempotent
    assert services.sync_connection(connection)
    assert busy_rows(connection) == []


def test_library_errors_map_to_the_small_set():
    from caldav.lib import error

    assert _mapped(error.AuthorizationError("u", "Unauthorized", status=401)).kind == "reconnect"
    throttled = _mapped(error.RateLimitError("u", "slow", retry_after="30", retry_after_seconds=30))
    assert throttled.kind == "throttled" and throttled.retry_after == timedelta(seconds=30)
    assert _mapped(error.ReportError("u", "boom", status=502)).kind == "unavailable"
    assert _mapped(error.NotFoundError("u", "gone", status=404)).kind == "rejected"
    assert _mapped(ConnectionRefusedError()).kind == "network"
    assert isinstance(_mapped(ValueError("parse")), base.ServerUnavailable)

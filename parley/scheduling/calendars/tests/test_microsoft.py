"""Microsoft 365 / Outlook.com against a local identity platform + Graph answering with the documented shapes:
calendarView with $select and paging, showAs and isCancelled, all-day events in the expert's zone, rotating refresh
tokens, invalid_grant (AADSTS), 429 with Retry-After, unlink without a revocation endpoint, write-back."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from parley.notifications.models import OutboxMail
from parley.scheduling.calendars import services
from parley.scheduling.calendars.providers.microsoft import MARKER
from parley.scheduling.calendars.tests.conftest import oauth_connection
from parley.scheduling.calendars.tests.fakes import all_day
from parley.scheduling.calendars.tests.test_google import REDIRECT, busy_rows, consent
from parley.scheduling.models import BusyInterval, CalendarConnection

SCOPE = "offline_access Calendars.ReadBasic"


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def test_connecting_microsoft_through_the_common_endpoint(world, microsoft):
    location = services.oauth_start(actor=world.acme_expert, provider="microsoft", redirect_uri=REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(microsoft.base + "/common/oauth2/v2.0/authorize?")
    assert query["scope"] == [SCOPE] and query["response_mode"] == ["query"] and query["code_challenge_method"] == ["S256"]
    back = parse_qs(urlsplit(consent(location)).query)
    connection = services.oauth_callback(
        actor=world.acme_expert, state=back["state"][0], code=back["code"][0], redirect_uri=REDIRECT
    )
    assert connection.provider == "microsoft" and connection.last_success_at is not None
    assert connection.refresh_token in microsoft.state.refresh_tokens


def test_calendar_view_is_read_page_by_page_and_only_busy_time_is_kept(world, microsoft):
    expert = world.acme_expert
    expert.timezone = "Europe/Zurich"
    expert.save(update_fields=["timezone"])
    connection = oauth_connection(microsoft, expert, "microsoft", scope=SCOPE)
    holiday = all_day(datetime.now(UTC) + timedelta(days=5))
    microsoft.state.events = [
        {"start": _at(1, 9), "end": _at(1, 10), "showAs": "busy"},
        {"start": _at(1, 9, 30), "end": _at(1, 11), "showAs": "tentative"},  # blocks, merged with the first
        {"start": _at(2, 9), "end": _at(2, 10), "showAs": "free"},
        {"start": _at(2, 11), "end": _at(2, 12), "showAs": "workingElsewhere"},
        {"start": _at(3, 9), "end": _at(3, 10), "showAs": "busy", "isCancelled": True},
        {"start": _at(3, 14), "end": _at(3, 15), "showAs": "oof"},
        {"start": holiday[0], "end": holiday[1], "showAs": "busy", "isAllDay": True},
    ]
    assert services.sync_connection(connection)
    zurich = ZoneInfo("Europe/Zurich")
    day = holiday[0].date()
    assert busy_rows() == [
        (_at(1, 9), _at(1, 11)),
        (_at(3, 14), _at(3, 15)),
        # The all-day event is the expert's whole local day, not midnight to midnight UTC.
        (datetime.combine(day, time(0), tzinfo=zurich), datetime.combine(day + timedelta(days=1), time(0), tzinfo=zurich)),
    ]
    pages = [r for r in microsoft.state.requests if r == ("GET", "/v1.0/me/calendarView")]
    assert len(pages) == 4  # seven events, two per page


def test_every_refresh_stores_the_new_refresh_token(world, microsoft):
    connection = oauth_connection(microsoft, world.acme_expert, "microsoft", scope=SCOPE, expires_in=timedelta(0))
    first = connection.refresh_token
    assert services.sync_connection(connection)
    connection.refresh_from_db()
    assert connection.refresh_token != first and connection.refresh_token in microsoft.state.refresh_tokens
    assert first not in microsoft.state.refresh_tokens


def test_invalid_grant_asks_to_reconnect_and_reconnecting_replaces_the_connection(world, microsoft):
    connection = oauth_connection(microsoft, world.acme_expert, "microsoft", scope=SCOPE, expires_in=timedelta(0))
    microsoft.state.invalid_grant = True
    assert not services.sync_connection(connection)
    connection.refresh_from_db()
    assert connection.last_error == services.RECONNECT and "AADSTS" not in connection.last_error
    assert OutboxMail.objects.filter(template="calendars/mail/sync_failed.txt").count() == 1

    microsoft.state.invalid_grant = False
    location = services.oauth_start(actor=world.acme_expert, provider="microsoft", redirect_uri=REDIRECT)
    back = parse_qs(urlsplit(consent(location)).query)
    again = services.oauth_callback(
        actor=world.acme_expert, state=back["state"][0], code=back["code"][0], redirect_uri=REDIRECT, replaces=connection.id
    )
    assert again.id == connection.id and CalendarConnection.objects.count() == 1
    again.refresh_from_db()
    assert again.last_error == "" and again.error_notified_at is None and again.last_success_at is not None


def test_throttling_sets_retry_after(world, microsoft):
    connection = oauth_connection(microsoft, world.acme_expert, "microsoft", scope=SCOPE)
    microsoft.state.throttle, microsoft.state.retry_after = 1, "90"
    now = datetime.now(UTC)
    assert not services.sync_connection(connection, now=now)
    connection.refresh_from_db()
    assert connection.retry_after == now + timedelta(seconds=90)
    assert connection.last_error == services.ERRORS["throttled"]


def test_unlink_deletes_everything_and_calls_no_revocation(world, microsoft):
    connection = oauth_connection(microsoft, world.acme_expert, "microsoft", scope=SCOPE)
    microsoft.state.events = [{"start": _at(1, 9), "end": _at(1, 10)}]
    services.sync_connection(connection)
    before = len(microsoft.state.requests)
    services.calendar_unlink(actor=world.acme_expert, connection=connection)
    assert not CalendarConnection.objects.exists() and not BusyInterval.objects.exists()
    assert len(microsoft.state.requests) == before  # Graph has no revocation endpoint; revokeSignInSessions is never used


def test_write_back_marks_the_event_and_removes_it_again(world, microsoft, django_capture_on_commit_callbacks):
    from parley.scheduling.services import appointment_book, appointment_cancel
    from parley.scheduling.tests.conftest import bookable, next_monday_utc

    world.acme.calendar_write_back = True
    world.acme.save(update_fields=["calendar_write_back"])
    kind, profile = bookable.__wrapped__(world)
    oauth_connection(microsoft, world.acme_expert, "microsoft", scope=f"{SCOPE} Calendars.ReadWrite", write_back=True)
    with django_capture_on_commit_callbacks(execute=True):
        appointment, _m, _v = appointment_book(
            tenant=world.acme,
            appointment_type_id=kind.id,
            starts_at=next_monday_utc(8),
            expert_profile_id=profile.id,
            name="Carla Customer",
            email="carla@example.test",
        )
    (event,) = microsoft.state.written.values()
    assert event["subject"] == "Appointment" and event["start"]["timeZone"] == "UTC"
    assert event["singleValueExtendedProperties"] == [{"id": MARKER, "value": appointment.id.hex}]
    assert "carla" not in str(event).lower()
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, actor=world.acme_expert)
    assert microsoft.state.written == {}


@pytest.mark.parametrize(
    ("status", "kind"), [(401, "reconnect"), (403, "reconnect"), (429, "throttled"), (503, "unavailable"), (400, "rejected")]
)
def test_graph_errors_map_to_the_small_set(status, kind):
    import httpx

    from parley.scheduling.calendars.providers import base, microsoft

    response = httpx.Response(status, json={"error": {"code": "x", "message": "secret text"}}, headers={"Retry-After": "7"})
    with pytest.raises(base.ProviderError) as caught:
        microsoft._raise_for(response)
    assert caught.value.kind == kind
    assert "secret" not in str(caught.value)
    if status in (429, 503):
        assert caught.value.retry_after == timedelta(seconds=7)

"""Google Calendar against a local server answering with the documented shapes: the OAuth flow with PKCE and a
single-use state, token refresh, invalid_grant, 429 with Retry-After, 5xx, unlink with revocation, write-back."""

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.urls import reverse

from parley.accounts.services import user_create
from parley.core.testing import PASSWORD, client_for
from parley.notifications.models import OutboxMail
from parley.scheduling.calendars import services
from parley.scheduling.calendars.providers.base import code_challenge
from parley.scheduling.calendars.providers.google import SCOPE_READ
from parley.scheduling.calendars.tests.conftest import book_with_write_back, oauth_connection
from parley.scheduling.models import BusyInterval, CalendarConnection, OAuthState

REDIRECT = "http://127.0.0.1:8000/t/acme/calendars/oauth/callback/"


def _hour(days: int, hour: int) -> datetime:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return base.replace(hour=hour)


def consent(location: str) -> str:
    """The expert agrees on the provider's page; returns the callback path and query the browser is sent back to."""
    response = httpx.get(location, follow_redirects=False)
    assert response.status_code == 302, response.text
    back = urlsplit(response.headers["Location"])
    return f"{back.path}?{back.query}"


def busy_rows(connection=None):
    rows = BusyInterval.objects.all() if connection is None else BusyInterval.objects.filter(connection=connection)
    return list(rows.order_by("starts_at").values_list("starts_at", "ends_at"))


def test_connecting_google_uses_pkce_and_a_single_use_state_then_syncs(world, google):
    meeting = (_hour(2, 9), _hour(2, 10))
    google.state.events = [{"start": meeting[0], "end": meeting[1]}]
    client = client_for(world.acme_expert)

    response = client.post(reverse("calendars:connect", kwargs={"slug": "acme"}), {"provider": "google"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(google.base + "/o/oauth2/v2/auth?")
    query = parse_qs(urlsplit(location).query)
    assert query["scope"] == [SCOPE_READ]  # free/busy only, never calendar.readonly
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    assert query["redirect_uri"] == [REDIRECT]
    pending = OAuthState.objects.get()
    assert pending.state_hash == hashlib.sha256(query["state"][0].encode()).hexdigest()  # stored hashed
    assert code_challenge(pending.code_verifier) == query["code_challenge"][0]

    callback = consent(location)
    response = client.get(callback)
    assert response.status_code == 302 and response["Location"] == "/t/acme/calendars/"
    connection = CalendarConnection.objects.get()
    assert connection.provider == "google" and connection.expert == world.acme_expert
    assert connection.refresh_token in google.state.refresh_tokens
    assert connection.last_success_at is not None and connection.last_error == ""
    assert busy_rows() == [meeting]
    assert not OAuthState.objects.exists()

    # The same state again (a replayed or double-clicked callback) is refused and changes nothing.
    response = client.get(callback, follow=True)
    assert "expired or was already used" in response.content.decode()
    assert CalendarConnection.objects.count() == 1


def test_a_state_works_only_for_its_own_expert_and_for_ten_minutes(world, google):
    colleague = user_create(tenant=world.acme, name="Cleo Colleague", email="cleo@acme.test", password=PASSWORD, role="expert")
    location = services.oauth_start(actor=world.acme_expert, provider="google", redirect_uri=REDIRECT)
    query = parse_qs(urlsplit(consent(location)).query)
    with pytest.raises(services.CalendarError):
        services.oauth_callback(actor=colleague, state=query["state"][0], code=query["code"][0], redirect_uri=REDIRECT)
    assert OAuthState.objects.count() == 1  # the colleague's attempt did not consume Eve's state

    later = datetime.now(UTC) + timedelta(minutes=11)
    with pytest.raises(services.CalendarError):
        services.oauth_callback(
            actor=world.acme_expert, state=query["state"][0], code=query["code"][0], redirect_uri=REDIRECT, now=later
        )
    assert not CalendarConnection.objects.exists() and not OAuthState.objects.exists()


def test_an_unticked_calendar_scope_is_refused_and_the_grant_revoked(world, google, django_capture_on_commit_callbacks):
    google.state.grant_scope = "openid https://www.googleapis.com/auth/userinfo.email"
    location = services.oauth_start(actor=world.acme_expert, provider="google", redirect_uri=REDIRECT)
    query = parse_qs(urlsplit(consent(location)).query)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.CalendarError, match="permission"):
        services.oauth_callback(actor=world.acme_expert, state=query["state"][0], code=query["code"][0], redirect_uri=REDIRECT)
    assert not CalendarConnection.objects.exists()
    assert len(google.state.revoked) == 1


def test_the_access_token_is_refreshed_before_expiry_and_once_after_a_401(world, google):
    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ, expires_in=timedelta(seconds=30))
    refresh_token, old_access = connection.refresh_token, connection.access_token
    assert services.sync_connection(connection)
    assert google.state.refreshes == 1
    connection.refresh_from_db()
    assert connection.access_token != old_access and connection.refresh_token == refresh_token
    assert connection.token_expires_at > datetime.now(UTC) + timedelta(minutes=50)

    del google.state.access_tokens[connection.access_token]  # revoked early: the API answers 401 authError
    assert services.sync_connection(connection)
    assert google.state.refreshes == 2


def test_an_expired_or_revoked_grant_asks_the_expert_to_reconnect_once(world, google):
    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ, expires_in=timedelta(0))
    earlier = (_hour(3, 9), _hour(3, 10))
    BusyInterval.objects.create(connection=connection, expert=world.acme_expert, starts_at=earlier[0], ends_at=earlier[1])
    google.state.invalid_grant = True

    assert not services.sync_connection(connection)
    connection.refresh_from_db()
    assert connection.last_error == services.RECONNECT
    assert busy_rows() == [earlier]  # a failure never makes the expert look free
    mails = OutboxMail.objects.filter(template="calendars/mail/sync_failed.txt")
    assert mails.count() == 1 and mails.get().recipient == "eve@acme.test"
    assert "reconnect" in mails.get().subject.lower()
    assert "Token has been expired" not in connection.last_error  # never the provider's text

    # Not polled any more, and no second mail when the expert retries by hand.
    assert services.sync_due(now=datetime.now(UTC) + timedelta(hours=1)) == 0
    assert not services.sync_now(actor=world.acme_expert, connection=connection, now=datetime.now(UTC) + timedelta(hours=1))
    assert mails.count() == 1


def test_429_with_retry_after_backs_off(world, google):
    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ)
    google.state.throttle, google.state.retry_after = 1, "3600"
    now = datetime.now(UTC)
    assert not services.sync_connection(connection, now=now)
    connection.refresh_from_db()
    assert connection.retry_after == now + timedelta(seconds=3600)
    assert connection.last_error == services.ERRORS["throttled"]
    assert not OutboxMail.objects.exists()  # slots are still offered: nothing to tell the expert yet

    assert services.sync_due(now=now + timedelta(minutes=30)) == 0  # interval passed, Retry-After not
    assert services.sync_due(now=now + timedelta(minutes=61)) == 1
    connection.refresh_from_db()
    assert connection.last_error == "" and connection.retry_after is None


def test_server_errors_and_per_calendar_errors_keep_the_old_busy_times(world, google):
    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ)
    meeting = (_hour(1, 14), _hour(1, 15))
    google.state.events = [{"start": meeting[0], "end": meeting[1]}]
    assert services.sync_connection(connection)

    google.state.server_error = 1
    assert not services.sync_connection(connection)
    connection.refresh_from_db()
    assert connection.last_error == services.ERRORS["unavailable"]
    assert busy_rows() == [meeting]

    # HTTP 200 with calendars.primary.errors: unknown availability, never "free".
    google.state.events.append({"start": _hour(4, 9), "end": _hour(4, 10), "error": True})
    assert not services.sync_connection(connection)
    assert busy_rows() == [meeting]


def test_unlink_deletes_tokens_and_busy_times_and_revokes_at_google(world, google, django_capture_on_commit_callbacks):
    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ)
    google.state.events = [{"start": _hour(2, 9), "end": _hour(2, 10)}]
    services.sync_connection(connection)
    assert BusyInterval.objects.count() == 1
    refresh_token = connection.refresh_token
    client = client_for(world.acme_expert)
    url = reverse("calendars:unlink", kwargs={"slug": "acme", "connection_id": connection.id})
    assert client.get(url).status_code == 200
    client.post(url, {})  # without the confirmation box nothing happens
    assert CalendarConnection.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "unlink"})
    assert response.status_code == 302
    assert not CalendarConnection.objects.exists() and not BusyInterval.objects.exists()
    assert google.state.revoked == [refresh_token]


def test_write_back_puts_only_appointment_and_time_into_google(world, google, django_capture_on_commit_callbacks):
    from parley.scheduling.services import appointment_cancel

    appointment, start = book_with_write_back(
        world,
        google,
        django_capture_on_commit_callbacks,
        name="Carla Customer",
        email="carla@example.test",
        note="About my mortgage",
    )
    event = google.state.written[appointment.id.hex]
    assert event["summary"] == "Appointment"
    assert event["start"] == {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%SZ")}
    flat = str(event).lower()
    assert "carla" not in flat and "mortgage" not in flat and "video" not in flat

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, actor=world.acme_expert, message="Sorry")
    assert appointment.id.hex not in google.state.written


def test_connect_buttons_appear_only_for_configured_providers(world, settings):
    settings.PARLEY_GOOGLE_CLIENT_ID = settings.PARLEY_MICROSOFT_CLIENT_ID = ""
    client = client_for(world.acme_expert)
    page = client.get(reverse("calendars:list", kwargs={"slug": "acme"})).content.decode()
    assert 'value="google"' not in page and 'value="microsoft"' not in page
    response = client.post(reverse("calendars:connect", kwargs={"slug": "acme"}), {"provider": "google"})
    assert response.status_code == 302 and response["Location"] == "/t/acme/calendars/"
    assert not OAuthState.objects.exists()
    settings.PARLEY_GOOGLE_CLIENT_ID, settings.PARLEY_GOOGLE_CLIENT_SECRET = "id", "secret"
    page = client.get(reverse("calendars:list", kwargs={"slug": "acme"})).content.decode()
    assert 'value="google"' in page and 'value="microsoft"' not in page


def test_p09_erasing_an_expert_revokes_their_google_grant_and_deletes_the_busy_times(
    world, google, django_capture_on_commit_callbacks
):
    from parley.accounts.services import user_erase

    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ)
    google.state.events = [{"start": _hour(2, 9), "end": _hour(2, 10)}]
    services.sync_connection(connection)
    refresh_token = connection.refresh_token
    with django_capture_on_commit_callbacks(execute=True):
        user_erase(actor=world.acme_admin, user=world.acme_expert)
    assert not CalendarConnection.objects.exists() and not BusyInterval.objects.exists()
    assert google.state.revoked == [refresh_token]

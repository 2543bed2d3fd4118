"""The scheduled run and what the sync means for slots: synced busy time blocks slots; a calendar that has not synced
past the tenant's staleness pauses the expert's slots and the expert gets one mail per failure period."""

from datetime import UTC, datetime, timedelta

from parley.notifications.models import OutboxMail
from parley.scheduling.calendars import services
from parley.scheduling.calendars.providers.google import SCOPE_READ
from parley.scheduling.calendars.tests.conftest import oauth_connection
from parley.scheduling.models import CalendarConnection, OAuthState
from parley.scheduling.selectors import calendars_stale, expert_slots
from parley.scheduling.tests.conftest import bookable, next_monday_utc


def _slots(world, kind, start, now=None):
    return expert_slots(
        tenant=world.acme, expert=world.acme_expert, appointment_type=kind, start=start, end=start + timedelta(hours=9), now=now
    )


def test_synced_busy_time_blocks_slots(world, google):
    kind, _profile = bookable.__wrapped__(world)
    start = next_monday_utc(8)
    assert start in _slots(world, kind, start)
    google.state.events = [{"start": start, "end": start + timedelta(minutes=30)}]
    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ)
    assert services.sync_connection(connection)
    assert start not in _slots(world, kind, start) and start + timedelta(minutes=30) in _slots(world, kind, start)


def test_a_stale_calendar_pauses_slots_and_the_expert_gets_one_mail(world, google):
    kind, _profile = bookable.__wrapped__(world)
    start = next_monday_utc(8) + timedelta(days=7)
    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ)
    now = datetime.now(UTC)
    assert start in _slots(world, kind, start, now=now)
    assert services.sync_connection(connection, now=now)
    mails = OutboxMail.objects.filter(template="calendars/mail/sync_failed.txt")

    google.state.server_error = 10
    later = now + timedelta(hours=2)
    assert services.sync_due(now=later) == 1  # fails, but within the 6 hours: slots stay, no mail yet
    assert not calendars_stale(expert=world.acme_expert, tenant=world.acme, now=later) and not mails.exists()

    stale = now + timedelta(hours=7)
    assert calendars_stale(expert=world.acme_expert, tenant=world.acme, now=stale)
    assert _slots(world, kind, start, now=stale) == []  # better no slot than a double booking
    assert services.sync_due(now=stale) == 1
    assert services.sync_due(now=stale + timedelta(minutes=20)) == 1
    assert mails.count() == 1
    mail = mails.get()
    assert mail.recipient == "eve@acme.test" and "paused" in mail.body and "/t/acme/calendars/" in mail.body

    google.state.server_error = 0
    back = stale + timedelta(minutes=40)
    assert services.sync_due(now=back) == 1
    connection.refresh_from_db()
    assert connection.last_error == "" and connection.error_notified_at is None
    assert not calendars_stale(expert=world.acme_expert, tenant=world.acme, now=back)


def test_sync_due_follows_each_tenants_interval_and_runs_each_connection_once(world, google):
    world.globex.calendar_sync_minutes = 5
    world.globex.save(update_fields=["calendar_sync_minutes"])
    acme = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ)  # Acme: every 15 minutes
    globex = oauth_connection(google, world.globex_expert, "google", scope=SCOPE_READ)
    now = datetime.now(UTC)
    assert services.sync_due(now=now) == 2
    assert services.sync_due(now=now) == 0  # a second worker in the same minute finds nothing to do
    assert services.sync_due(now=now + timedelta(minutes=6)) == 1
    globex.refresh_from_db()
    acme.refresh_from_db()
    assert globex.last_success_at == now + timedelta(minutes=6) and acme.last_success_at == now
    assert services.sync_due(now=now + timedelta(minutes=16)) == 2


def test_sync_due_forgets_abandoned_oauth_states(world, google):
    services.oauth_start(actor=world.acme_expert, provider="google", redirect_uri="http://127.0.0.1:8000/cb/")
    assert OAuthState.objects.count() == 1
    services.sync_due(now=datetime.now(UTC) + timedelta(minutes=5))
    assert OAuthState.objects.count() == 1
    services.sync_due(now=datetime.now(UTC) + timedelta(minutes=11))
    assert not OAuthState.objects.exists()


def test_a_connection_unlinked_during_a_sync_stores_nothing(world, google):
    from parley.scheduling.models import BusyInterval

    google.state.events = [{"start": next_monday_utc(8), "end": next_monday_utc(9)}]
    connection = oauth_connection(google, world.acme_expert, "google", scope=SCOPE_READ)
    CalendarConnection.objects.filter(pk=connection.pk).delete()
    assert not services.sync_connection(connection)
    assert not BusyInterval.objects.exists()

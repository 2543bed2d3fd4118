"""The Calendars page and its actions: health shown to the expert, and nobody else reaches a connection (another
tenant: 404; an admin: 403; a colleague: 404, as if it did not exist)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from parley.accounts.services import user_create
from parley.core.testing import PASSWORD, client_for
from parley.scheduling.calendars import services
from parley.scheduling.models import BusyInterval, CalendarConnection

PAGE_ROUTES = [
    ("calendars:list", "get"),
    ("calendars:connect", "post"),
    ("calendars:callback", "get"),
    ("calendars:caldav", "post"),
]
CONNECTION_ROUTES = [("calendars:sync", "post"), ("calendars:unlink", "get"), ("calendars:unlink", "post")]


@pytest.fixture
def eves_calendar(world):
    connection = CalendarConnection.objects.create(
        tenant=world.acme,
        expert=world.acme_expert,
        provider="caldav",
        caldav_url="https://dav.example.test/eve/",
        caldav_username="eve",
        caldav_password="app-pw",
        last_success_at=datetime.now(UTC),
    )
    now = datetime.now(UTC)
    BusyInterval.objects.create(connection=connection, expert=world.acme_expert, starts_at=now, ends_at=now + timedelta(hours=1))
    return connection


def _url(name, slug="acme", **kwargs):
    return reverse(name, kwargs={"slug": slug, **kwargs})


def _untouched(connection) -> bool:
    return CalendarConnection.objects.filter(pk=connection.pk, last_attempt_at__isnull=True).exists() and (
        BusyInterval.objects.filter(connection=connection).count() == 1
    )


@pytest.mark.parametrize(("name", "method"), PAGE_ROUTES)
def test_page_routes_are_for_the_tenants_experts_only(world, name, method):
    for outsider in (world.globex_admin, world.globex_expert):
        assert getattr(client_for(outsider), method)(_url(name)).status_code == 404
    assert getattr(client_for(world.acme_admin), method)(_url(name)).status_code == 403
    response = getattr(Client(), method)(_url(name))
    assert response.status_code == 302 and response["Location"] == "/t/acme/login/"


@pytest.mark.parametrize(("name", "method"), CONNECTION_ROUTES)
def test_nobody_but_the_expert_reaches_a_connection(world, eves_calendar, name, method):
    colleague = user_create(tenant=world.acme, name="Cleo Colleague", email="cleo@acme.test", password=PASSWORD, role="expert")
    kwargs = {"connection_id": eves_calendar.id}
    data = {"confirm": "unlink"}
    # Another tenant, through its own portal and through Acme's (Globex's admin is stopped by role first at home).
    for outsider, home_status in ((world.globex_admin, 403), (world.globex_expert, 404)):
        assert getattr(client_for(outsider), method)(_url(name, "acme", **kwargs), data).status_code == 404
        assert getattr(client_for(outsider), method)(_url(name, "globex", **kwargs), data).status_code == home_status
    assert getattr(client_for(world.acme_admin), method)(_url(name, **kwargs), data).status_code == 403
    assert getattr(client_for(colleague), method)(_url(name, **kwargs), data).status_code == 404
    assert getattr(client_for(world.acme_expert), method)(_url(name, connection_id=uuid.uuid4()), data).status_code == 404
    response = getattr(Client(), method)(_url(name, **kwargs), data)
    assert response.status_code == 302 and response["Location"] == "/t/acme/login/"
    assert _untouched(eves_calendar)


def test_the_page_shows_health_and_paused_slots(world, eves_calendar):
    world.acme_expert.timezone = "Europe/Zurich"
    world.acme_expert.save(update_fields=["timezone"])
    client = client_for(world.acme_expert)
    page = client.get(_url("calendars:list")).content.decode()
    assert "CalDAV" in page and "Last successful sync" in page and "Your slots are paused" not in page
    assert "app-pw" not in page and "dav.example.test" not in page  # credentials are never shown back

    CalendarConnection.objects.filter(pk=eves_calendar.pk).update(
        last_success_at=datetime(2026, 1, 5, 8, 30, tzinfo=UTC), last_error=services.ERRORS["network"]
    )
    page = client.get(_url("calendars:list")).content.decode()
    assert "Your slots are paused because the calendar has not synced since 5 January 2026, 09:30." in page
    assert "Parley could not reach the calendar provider." in page


def test_a_colleague_sees_only_their_own_calendars(world, eves_calendar):
    colleague = user_create(tenant=world.acme, name="Cleo Colleague", email="cleo@acme.test", password=PASSWORD, role="expert")
    page = client_for(colleague).get(_url("calendars:list")).content.decode()
    assert str(eves_calendar.id) not in page and "No calendar is connected." in page


def test_a_caldav_form_error_is_shown_without_storing_anything(world, settings):
    settings.PARLEY_CALDAV_ALLOW_PRIVATE = False
    response = client_for(world.acme_expert).post(
        _url("calendars:caldav"), {"url": "http://dav.example.test/", "username": "eve", "password": "app-pw"}
    )
    assert response.status_code == 400
    assert "https://" in response.content.decode()
    assert not CalendarConnection.objects.exists()


def test_an_oauth_error_at_the_provider_is_reported(world, settings):
    settings.PARLEY_GOOGLE_CLIENT_ID, settings.PARLEY_GOOGLE_CLIENT_SECRET = "id", "secret"
    client = client_for(world.acme_expert)
    location = client.post(_url("calendars:connect"), {"provider": "google"})["Location"]
    state = location.split("state=")[1].split("&")[0]
    response = client.get(_url("calendars:callback") + f"?error=access_denied&state={state}", follow=True)
    assert "access was not granted" in response.content.decode()
    assert not CalendarConnection.objects.exists()

"""Booking an appointment through the web app on the demo partner page (issue 4), and the customer's appointment page.

The visitor's browser lives in New York (the context's time zone), the demo expert works 09:00-17:00 in Zurich: the
times the visitor clicks are New York wall-clock times, and the appointment must land on the matching UTC instant.
"""

import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import FrameLocator, Locator, Page, expect

from parley.accounts.services import user_get_by_email
from parley.experts.models import ExpertProfile
from parley.interactions.models import VisitorAccess
from parley.interactions.selectors import token_hash
from parley.scheduling import services
from parley.scheduling.models import Appointment, AppointmentType
from parley.tenants.models import Tenant

from .conftest import AsgiLiveServer, BrowserGuard
from .helpers import assert_accessible, frame_of, open_widget, wait_until

VISITOR_ZONE = "America/New_York"
pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(timezone_id=VISITOR_ZONE)]

DEMO_PASSWORD = "demo-browser-test-passphrase-5"
ANNA = "anna.keller@demo.parley.test"
VISITOR = "Vera Visitor"
VISITOR_EMAIL = "vera.visitor@example.org"
TIMEOUT_MS = 10_000
CLOCK = re.compile(r"(\d{1,2}):(\d{2})\s*([AP]M)?", re.I)


@pytest.fixture
def demo(live_server: AsgiLiveServer, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    """The demo tenant as `parley demo` sets it up: appointment types, and Mon-Fri 09:00-17:00 for its experts."""
    monkeypatch.setenv("PARLEY_DEMO_PASSWORD", DEMO_PASSWORD)
    call_command("demo", stdout=io.StringIO())
    tenant = Tenant.objects.get(slug="demo")
    assert not tenant.booking_needs_confirmation  # bookings are confirmed at once
    return tenant


def utc_of(day: str, clock: str) -> datetime:
    """The UTC instant of a wall-clock time the visitor saw ("10:30 AM" or "10:30") on a date in their zone."""
    match = CLOCK.search(clock.replace("\u202f", " ").replace("\u00a0", " "))
    assert match, clock
    hour, minute, half = int(match.group(1)), int(match.group(2)), (match.group(3) or "").upper()
    if half:
        hour = hour % 12 + (12 if half == "PM" else 0)
    local = datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=ZoneInfo(VISITOR_ZONE))
    return local.astimezone(UTC)


def times_of(widget: FrameLocator) -> Locator:
    return widget.get_by_role("tabpanel").get_by_role("button")


def choose_a_day_with_several_times(widget: FrameLocator) -> str:
    """From the day selected on arrival, walk the strip with the arrow key to a day with at least two free times."""
    for _step in range(14):
        selected = widget.get_by_role("tab", selected=True)
        expect(widget.get_by_role("tabpanel")).to_be_visible()
        if times_of(widget).count() >= 2:
            return selected.get_attribute("data-date") or ""
        selected.focus()
        selected.press("ArrowRight")
    raise AssertionError("no day with two free times in the next 14 days")


def test_a_visitor_books_a_slot_through_the_widget_on_the_demo_page(
    page: Page, guard: BrowserGuard, demo: Tenant, live_server: AsgiLiveServer
) -> None:
    page.goto("/demo/")
    widget = open_widget(page)
    widget.get_by_role("button", name="Loans").click()
    card = widget.get_by_role("listitem").filter(has=widget.get_by_role("heading", name="Anna Keller"))
    expect(card).to_contain_text("Next free:")
    expect(widget.get_by_role("button", name="Book with the first free expert")).to_be_visible()
    assert_accessible(frame_of(widget), "the web app: experts with booking")
    card.get_by_role("button", name="Book an appointment").click()

    # The type (the demo offers two).
    heading = widget.get_by_role("heading", level=1)
    expect(heading).to_have_text("Book an appointment with Anna Keller")
    assert_accessible(frame_of(widget), "the web app: appointment types")
    widget.get_by_role("button", name=re.compile(r"^Video consultation")).click()

    # The day strip: 14 days, keyboard-operable tabs; the times are the visitor's own.
    expect(heading).to_have_text("Choose a time")
    expect(widget.get_by_text("Times are shown in your time zone: America/New York.")).to_be_visible()
    tabs = widget.get_by_role("tablist", name="Days").get_by_role("tab")
    expect(tabs).to_have_count(14)
    expect(widget.get_by_role("tab", selected=True)).to_have_count(1)
    first = widget.get_by_role("tab", selected=True)
    first_date = first.get_attribute("data-date")
    first.focus()
    first.press("End")
    expect(tabs.last).to_be_focused()
    expect(tabs.last).to_have_attribute("aria-selected", "true")
    tabs.last.press("Home")
    expect(tabs.first).to_be_focused()
    tabs.first.press("ArrowRight")
    expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
    tabs.nth(1).press("ArrowLeft")
    expect(tabs.first).to_have_attribute("aria-selected", "true")
    widget.locator(f'[role="tab"][data-date="{first_date}"]').click()
    day = choose_a_day_with_several_times(widget)
    assert_accessible(frame_of(widget), "the web app: days and times")

    # The last time of that day; someone else takes it while the visitor fills in the form.
    taken = times_of(widget).last
    taken_text = taken.inner_text()
    taken_at = utc_of(day, taken_text)
    taken.click()
    expect(heading).to_have_text("Your details")
    expect(widget.get_by_role("main")).to_contain_text("(America/New York)")
    widget.get_by_label("Your name").fill(VISITOR)
    widget.get_by_label("Your e-mail address").fill(VISITOR_EMAIL)
    widget.get_by_label("Note for the expert (optional)").fill("About a mortgage for a flat in Basel.")
    expect(widget.get_by_text("We store your name, e-mail and messages to answer you")).to_be_visible()
    expect(widget.get_by_role("link", name="privacy notice")).to_have_attribute("href", "/w/demo/privacy/")
    assert_accessible(frame_of(widget), "the web app: the booking form")
    anna = user_get_by_email(tenant=demo, email=ANNA)
    assert anna is not None
    video = AppointmentType.objects.get(tenant=demo, name="Video consultation")
    services.appointment_book(
        tenant=demo,
        appointment_type_id=video.id,
        starts_at=taken_at,
        expert_profile_id=ExpertProfile.objects.get(user=anna).id,
        name="Quick Quentin",
        email="quentin@example.org",
    )
    guard.allow_failed_load(f"{live_server.url}/api/v1/widget/demo/appointments", 409)
    widget.get_by_role("button", name="Book", exact=True).click()

    # 409: said (role=alert), the times reloaded without the taken one, the same day still chosen.
    expect(heading).to_have_text("Choose a time")
    expect(widget.get_by_role("alert")).to_have_text(
        "This time is no longer free. The free times are updated: please choose another one."
    )
    expect(widget.get_by_role("tab", selected=True)).to_have_attribute("data-date", day)
    expect(times_of(widget).filter(has_text=taken_text)).to_have_count(0)
    chosen = times_of(widget).last
    chosen_text = chosen.inner_text()
    chosen_at = utc_of(day, chosen_text)
    chosen.click()
    expect(widget.get_by_label("Your name")).to_have_value(VISITOR)  # what was typed is kept
    widget.get_by_role("button", name="Book", exact=True).click()

    # Confirmed, in the visitor's zone.
    expect(heading).to_have_text("Confirmed")
    main = widget.get_by_role("main")
    expect(main).to_contain_text("Anna Keller")
    expect(main).to_contain_text(chosen_text)
    expect(main).to_contain_text("(America/New York)")
    expect(main).to_contain_text("We sent you an e-mail with a link to change or cancel.")
    assert_accessible(frame_of(widget), "the web app: booking confirmed")

    appointment = (
        Appointment.objects.select_related("interaction", "expert", "appointment_type").exclude(starts_at=taken_at).get()
    )
    assert appointment.interaction.customer_email == VISITOR_EMAIL
    assert appointment.starts_at == chosen_at
    assert (appointment.status, appointment.expert, appointment.customer_timezone) == ("confirmed", anna, VISITOR_ZONE)
    assert appointment.appointment_type == video
    assert appointment.note == "About a mortgage for a flat in Basel."

    # The conversation token is kept like a chat's: the visitor finds the conversation with Anna again.
    stored = json.loads(frame_of(widget).evaluate("() => localStorage.getItem('parley:demo')"))
    assert len(stored) == 1
    assert VisitorAccess.objects.get(token_hash=token_hash(stored[0])).interaction_id == appointment.interaction_id
    widget.get_by_role("button", name="Go to the conversation with Anna Keller").click()
    expect(heading).to_have_text("Conversation with Anna Keller")
    page.reload()
    widget = open_widget(page)
    expect(widget.get_by_role("heading", level=1)).to_have_text("Conversation with Anna Keller")

    # The confirmation mail carries the manage link; it shows the appointment in the visitor's zone.
    wait_until(page, lambda: any(m.to == [VISITOR_EMAIL] for m in mail.outbox), timeout_ms=TIMEOUT_MS, what="the mail")
    confirmation = next(m for m in mail.outbox if m.to == [VISITOR_EMAIL])
    match = re.search(rf"{re.escape(live_server.url)}/w/demo/appointments/[A-Za-z0-9_-]+/", confirmation.body)
    assert match, confirmation.body
    page.goto(match.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment")
    details = page.get_by_role("main")
    expect(details).to_contain_text("Video consultation")
    expect(details).to_contain_text("Anna Keller")
    expect(details).to_contain_text(f"{chosen_at.astimezone(ZoneInfo(VISITOR_ZONE)):%H:%M}")
    expect(details).to_contain_text("(America/New York)")
    expect(details).to_contain_text("Confirmed")
    assert_accessible(page, "the appointment page")

    page.get_by_role("link", name="Choose another time").click()
    expect(page.get_by_role("heading", name="Choose another time")).to_be_visible()
    expect(page.get_by_role("radio").first).to_be_visible()
    assert_accessible(page, "the appointment page: another time")
    page.get_by_role("link", name="Back").click()

    page.get_by_role("link", name="Cancel the appointment").click()
    expect(page.get_by_role("heading", name="Cancel this appointment?")).to_be_visible()
    assert_accessible(page, "the appointment page: cancel")
    page.get_by_role("button", name="Yes, cancel the appointment").click()
    expect(page.get_by_role("status")).to_have_text("Your appointment is cancelled. We sent you an e-mail.")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    guard.assert_clean(page)


def test_a_visitor_asks_the_first_free_expert_of_a_topic_for_a_call(page: Page, guard: BrowserGuard, demo: Tenant) -> None:
    """A tenant that confirms bookings itself: the booking is a request, with whichever expert of the topic is free."""
    demo.booking_needs_confirmation = True
    demo.save(update_fields=["booking_needs_confirmation"])
    page.goto("/demo/insurance/")
    widget = open_widget(page)
    widget.get_by_role("button", name="Insurance").click()
    widget.get_by_role("button", name="Book with the first free expert").click()
    heading = widget.get_by_role("heading", level=1)
    expect(heading).to_have_text("Book with the first free expert")
    widget.get_by_role("button", name=re.compile(r"^Phone call")).click()
    expect(heading).to_have_text("Choose a time")
    expect(widget.get_by_role("main")).to_contain_text("First free expert")
    day = widget.get_by_role("tab", selected=True).get_attribute("data-date") or ""
    first = times_of(widget).first
    clock = first.inner_text()
    first.click()
    widget.get_by_label("Your name").fill(VISITOR)
    widget.get_by_label("Your e-mail address").fill("not-an-address")
    widget.get_by_role("button", name="Book", exact=True).click()
    expect(widget.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    expect(widget.get_by_label("Your e-mail address")).to_be_focused()
    widget.get_by_label("Your e-mail address").fill(VISITOR_EMAIL)
    widget.get_by_role("button", name="Book", exact=True).click()
    expect(heading).to_have_text("Requested: the expert will confirm")
    expect(widget.get_by_role("main")).to_contain_text("Marc Dubois")
    assert_accessible(frame_of(widget), "the web app: booking requested")
    appointment = Appointment.objects.select_related("expert", "appointment_type").get()
    assert appointment.status == "requested" and appointment.starts_at == utc_of(day, clock)
    assert (appointment.expert.email, appointment.appointment_type.name) == ("marc.dubois@demo.parley.test", "Phone call")
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=15)
    guard.assert_clean(page)

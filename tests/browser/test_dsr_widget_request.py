"""P29 in a real browser: a visitor sends a data-subject request from the web app — from the footer without a
conversation, or from their conversation (the form is prefilled with its address and the request records where it
came from). The same intake as the public page answers, and a confirmation link is mailed."""

import pytest
from django.core import mail
from playwright.sync_api import FrameLocator, Page, expect

from parley.dsr.models import DataSubjectRequest
from parley.interactions.models import Interaction
from parley.tenants.models import Tenant

from .conftest import BrowserGuard
from .helpers import SocketFrames, assert_accessible, frame_of, open_widget, wait_until
from .test_live_advisory import (  # noqa: F401 (demo is a fixture)
    TIMEOUT_MS,
    VISITOR_EMAIL,
    WIDGET_SOCKET,
    demo,
    expert_online,
    start_conversation,
)

pytestmark = pytest.mark.browser

SENT = "Check your e-mail to confirm the request"


def _confirmation_mailed(page: Page, address: str) -> None:
    wait_until(page, lambda: any(m.to == [address] for m in mail.outbox), timeout_ms=TIMEOUT_MS, what="the confirmation mail")
    body = next(m for m in mail.outbox if m.to == [address]).body
    assert "/t/demo/privacy/request/confirm/" in body


def _sent(widget: FrameLocator) -> None:
    heading = widget.get_by_role("heading", level=1)
    expect(heading).to_have_text(SENT)
    expect(heading).to_be_focused()  # the message is read out where focus lands
    expect(widget.get_by_role("status").filter(has_text=SENT)).to_be_visible()


def test_p29_a_visitor_without_a_conversation_sends_a_request_from_the_web_app(
    page: Page,
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811
) -> None:
    page.goto("/demo/")
    widget = open_widget(page)
    expect(widget.get_by_role("heading", name="What would you like to talk about?")).to_be_visible()
    widget.get_by_role("contentinfo").get_by_role("button", name="Your privacy rights").click()
    heading = widget.get_by_role("heading", level=1)
    expect(heading).to_have_text("Your privacy rights")
    expect(heading).to_be_focused()
    email = widget.get_by_label("Your e-mail address")
    expect(email).to_have_value("")  # nothing to prefill without a conversation
    assert_accessible(frame_of(widget), "the web app: the privacy-rights form")

    # Nothing filled in: the problems are marked, announced, and focus goes to the first one.
    widget.get_by_role("button", name="Send the request").click()
    expect(widget.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    expect(email).to_be_focused()
    expect(email).to_have_attribute("aria-invalid", "true")
    request = widget.get_by_label("Your request")
    expect(request).to_have_attribute("aria-invalid", "true")
    expect(request).to_have_accessible_description(
        "Tell us anything that helps us find your data, e.g. when you talked to us. "
        "Tell us what you would like us to do, or choose one of the rights."
    )
    assert_accessible(frame_of(widget), "the web app: the privacy-rights form with errors")

    email.fill(VISITOR_EMAIL)
    widget.get_by_label("What would you like? (optional)").select_option(label="Access to my data (Art. 15)")
    request.fill("Which data do you keep about me?")
    widget.get_by_role("button", name="Send the request").click()
    _sent(widget)
    expect(widget.get_by_text(f"We sent a link to {VISITOR_EMAIL}.")).to_be_visible()
    assert_accessible(frame_of(widget), "the web app: the request was sent")

    _confirmation_mailed(page, VISITOR_EMAIL)
    dsr = DataSubjectRequest.objects.get()
    assert (dsr.tenant_id, dsr.status, dsr.right) == (demo.id, "unconfirmed", "access")
    assert dsr.text == "Which data do you keep about me?" and dsr.outcome == []
    widget.get_by_role("button", name="Back").click()
    expect(heading).to_have_text("What would you like to talk about?")
    guard.assert_clean(page)


def test_p29_from_the_conversation_the_request_is_prefilled_and_records_the_conversation(
    page: Page,
    open_context,
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811
) -> None:
    expert_online(open_context)
    widget = start_conversation(page, SocketFrames(page, WIDGET_SOCKET))
    expect(widget.get_by_role("button", name="Export my conversation")).to_be_visible()
    widget.get_by_role("main").get_by_role("button", name="Your privacy rights").click()
    expect(widget.get_by_role("heading", level=1)).to_have_text("Your privacy rights")
    expect(widget.get_by_label("Your e-mail address")).to_have_value(VISITOR_EMAIL)
    widget.get_by_label("What would you like? (optional)").select_option(label="Erase my data (Art. 17)")
    widget.get_by_role("button", name="Send the request").click()
    _sent(widget)

    _confirmation_mailed(page, VISITOR_EMAIL)
    dsr = DataSubjectRequest.objects.get()
    [entry] = dsr.outcome
    assert entry["action"] == "widget" and entry["counts"] == {"interaction": str(Interaction.objects.get().id)}
    assert dsr.right == "erasure" and dsr.text is None

    # Back leads to the conversation, live again.
    widget.get_by_role("button", name="Back").click()
    expect(widget.get_by_role("heading", level=1)).to_have_text("Conversation with Anna Keller")
    guard.assert_clean(page)

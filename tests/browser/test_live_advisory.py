"""Live advisory end to end (issue 3): a visitor on the demo partner site talks to a demo expert in real time.

Everything runs against the real ASGI application (uvicorn, WebSockets through Channels), with the demo tenant that
`parley demo` creates. The visitor's browser is the `page` fixture's context; the expert has a context of their own.
Every context is watched by the BrowserGuard: no console error, no CSP violation, no request to another origin
(P17).
"""

import io
import json
import re
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import BrowserContext, FrameLocator, Page, expect

from parley.accounts.services import user_get_by_email
from parley.crypto.models import DataKey
from parley.experts.models import ExpertProfile
from parley.experts.services import expert_status_set
from parley.interactions.models import Document, Interaction, Message, VisitorAccess
from parley.interactions.selectors import token_hash
from parley.realtime.selectors import visitor_connected
from parley.tenants.models import Tenant

from .conftest import AsgiLiveServer, BrowserGuard
from .helpers import SocketFrames, assert_accessible, frame_of, open_widget, sign_in, wait_until
from .images import png, size_of

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-browser-test-passphrase-5"
ANNA = "anna.keller@demo.parley.test"
VISITOR = "Vera Visitor"
VISITOR_EMAIL = "vera.visitor@example.org"
FIRST = "Hello, I would like advice on a mortgage for a flat in Basel."
REPLY = "Good morning Vera, happy to help. What price range are you thinking of?"
SECOND = "Around 800 000 francs, with 20 percent of my own."
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
WIDGET_SOCKET = "/ws/widget/demo/"
PORTAL_SOCKET = "/ws/t/demo/inbox/"
TIMEOUT_MS = 10_000


@pytest.fixture
def demo(live_server: AsgiLiveServer, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    """The demo tenant exactly as `parley demo` sets it up (PARLEY_BASE_URL is the live server, so /demo/ may frame
    the web app), with Anna Keller (Loans) set online; she shows online once her portal socket beats."""
    monkeypatch.setenv("PARLEY_DEMO_PASSWORD", DEMO_PASSWORD)
    call_command("demo", stdout=io.StringIO())
    tenant = Tenant.objects.get(slug="demo")
    assert live_server.url in tenant.website_origin_list()
    anna = user_get_by_email(tenant=tenant, email=ANNA)
    assert anna is not None
    expert_status_set(profile=ExpertProfile.objects.get(user=anna), status="online")
    return tenant


# --- steps ------------------------------------------------------------------------------------------------------


def expert_online(open_context) -> tuple[Page, SocketFrames]:
    """Anna signs in in a browser of her own and opens the Conversations page; returns once its socket has
    answered the first heartbeat (from then on she counts as online)."""
    expert = open_context().new_page()
    socket = SocketFrames(expert, PORTAL_SOCKET)
    sign_in(expert, ANNA, DEMO_PASSWORD, slug="demo")
    expect(expert).to_have_url("/t/demo/expert/")
    since = socket.mark()
    expert.get_by_role("navigation", name="Portal").get_by_role("link", name="Conversations").click()
    expect(expert.get_by_role("heading", level=1)).to_have_text("Conversations")
    socket.wait_for("pong", since=since)
    # The page never reloads from here on: rows must arrive over the socket.
    expert.evaluate("() => { window.__sameDocument = true; }")
    return expert, socket


def start_conversation(page: Page, socket: SocketFrames, *, axe: bool = False) -> FrameLocator:
    """On /demo/: open the web app, pick Loans and Anna Keller, say who you are and send the first message."""
    page.goto("/demo/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Demo Bank")
    widget = open_widget(page)
    expect(widget.get_by_role("heading", name="What would you like to talk about?")).to_be_visible()
    if axe:
        assert_accessible(frame_of(widget), "the web app: topics")
    widget.get_by_role("button", name="Loans").click()
    expect(widget.get_by_role("heading", level=1)).to_have_text("Loans")
    expect(widget.get_by_role("heading", name="Marc Dubois")).to_have_count(0)  # he serves Insurance
    card = widget.get_by_role("listitem").filter(has=widget.get_by_role("heading", name="Anna Keller"))
    expect(card).to_contain_text("Online")
    if axe:
        assert_accessible(frame_of(widget), "the web app: experts")
    card.get_by_role("button", name="Chat now").click()
    expect(widget.get_by_role("heading", level=1)).to_have_text("Write to Anna Keller")
    widget.get_by_label("Your name").fill(VISITOR)
    widget.get_by_label("Your e-mail address").fill(VISITOR_EMAIL)
    widget.get_by_label("Your message").fill(FIRST)
    # What happens with the data is said before sending, with a link to the privacy notice.
    expect(widget.get_by_text("We store your name, e-mail and messages to answer you")).to_be_visible()
    expect(widget.get_by_role("link", name="privacy notice")).to_have_attribute("href", "/w/demo/privacy/")
    if axe:
        assert_accessible(frame_of(widget), "the web app: the start form")
    since = socket.mark()
    widget.get_by_role("button", name="Send").click()
    expect(widget.get_by_role("heading", level=1)).to_have_text("Conversation with Anna Keller")
    expect(widget.get_by_role("log", name="Messages")).to_contain_text(FIRST)
    socket.wait_for("ready", since=since)
    return widget


def open_conversation(expert: Page, socket: SocketFrames) -> None:
    """From the Conversations page (the row is there): open the visitor's conversation, wait until it is live."""
    since = socket.mark()
    expert.get_by_role("link", name=VISITOR).click()
    expect(expert.get_by_role("heading", level=1)).to_have_text(VISITOR)
    expect(expert.get_by_role("log", name="Messages")).to_contain_text(FIRST)
    socket.wait_for("ready", since=since)


def expert_reply(expert: Page, text: str) -> None:
    expert.get_by_label("Your reply").fill(text)
    expert.get_by_role("button", name="Send", exact=True).click()
    expect(expert.get_by_role("log", name="Messages")).to_contain_text(text)


def inbox_row(expert: Page):
    return expert.get_by_role("row").filter(has=expert.get_by_role("link", name=VISITOR))


def storage_of(context: BrowserContext) -> dict:
    return context.storage_state(indexed_db=True)


# --- tests ------------------------------------------------------------------------------------------------------


def test_p16_p17_a_visitor_chats_live_with_an_online_expert_and_finds_the_conversation_again_after_a_reload(
    page: Page, open_context, guard: BrowserGuard, demo: Tenant, live_server: AsgiLiveServer
) -> None:
    """Issue 3's journey. The expert is online while her portal socket beats; the visitor starts from the demo
    partner page; messages and typing travel live both ways (no reload on either side); after a reload the visitor
    sees the whole history at once (P16) from a browser that keeps only a random token (P16); neither browser
    asks any origin but Parley's (P17); axe-core finds no WCAG 2.1 A/AA violation in the web app or the demo page."""
    expert, expert_socket = expert_online(open_context)
    visitor_socket = SocketFrames(page, WIDGET_SOCKET)
    widget = start_conversation(page, visitor_socket, axe=True)
    log = widget.get_by_role("log", name="Messages")

    # The new conversation appears in the expert's list as it happens, with one unread message.
    row = inbox_row(expert)
    expect(row).to_contain_text("1 unread")
    assert expert.evaluate("() => window.__sameDocument === true"), "the Conversations page reloaded"

    open_conversation(expert, expert_socket)
    expert_log = expert.get_by_role("log", name="Messages")

    # Typing shows on the other side while one types.
    composer = widget.get_by_label("Message", exact=True)
    composer.fill(SECOND)
    expect(expert.locator("#typing")).to_have_text("Customer is typing…")
    reply_box = expert.get_by_label("Your reply")
    reply_box.fill(REPLY)
    typing = widget.get_by_text("Anna Keller is typing…")
    expect(typing).to_be_visible()

    # The expert's reply reaches the visitor's open web app live; the typing line goes with it.
    widget_frame = frame_of(widget)
    widget_frame.evaluate("() => { window.__sameDocument = true; }")
    expert.evaluate("() => { window.__sameDocument = true; }")
    expert.get_by_role("button", name="Send", exact=True).click()
    expect(log).to_contain_text(REPLY)
    expect(log.locator(".msg-expert")).to_contain_text("Anna Keller")
    expect(typing).to_have_count(0)
    # The visitor has it on screen: the expert's page says so under her message.
    expect(expert_log.locator("li").filter(has_text=REPLY)).to_contain_text("Seen")

    # The visitor's answer (Enter sends) reaches the expert live, and she has read it.
    composer.press("Enter")
    expect(expert_log).to_contain_text(SECOND)
    expect(expert.locator("#typing")).to_have_text("")
    expect(log.locator(".msg-customer").last.locator(".tick")).to_contain_text("Read")
    assert widget_frame.evaluate("() => window.__sameDocument === true"), "the web app reloaded"
    assert expert.evaluate("() => window.__sameDocument === true"), "the conversation page reloaded"
    assert_accessible(widget_frame, "the web app: a conversation")

    # P16: back on the partner site after a reload, the launcher opens the whole conversation, nothing typed.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Demo Bank")
    widget = open_widget(page)
    expect(widget.get_by_role("heading", level=1)).to_have_text("Conversation with Anna Keller")
    log = widget.get_by_role("log", name="Messages")
    expect(log.locator(".msg")).to_have_count(3)
    for text in (FIRST, REPLY, SECOND):
        expect(log).to_contain_text(text)
    assert_accessible(frame_of(widget), "the web app: a conversation after a reload")
    assert_accessible(page, "the demo partner page", iframes=False)

    # P16: the browser keeps one random token under parley:demo, and no cookie. Nothing it stores (local or
    # session storage, IndexedDB, of the page or the web app) contains the name, the e-mail or a message.
    state = storage_of(page.context)
    assert state["cookies"] == []
    assert [entry["origin"] for entry in state["origins"]] == [live_server.url]
    local = state["origins"][0]["localStorage"]
    assert [item["name"] for item in local] == ["parley:demo"]
    tokens = json.loads(local[0]["value"])
    assert len(tokens) == 1 and TOKEN.fullmatch(tokens[0])
    assert not state["origins"][0].get("indexedDB")
    # The server knows the token only by its hash.
    interaction = Interaction.objects.get()
    assert VisitorAccess.objects.filter(interaction=interaction, token_hash=token_hash(tokens[0])).exists()
    kept = json.dumps(state) + "".join(
        target.evaluate("() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
        for target in (page, frame_of(widget))
    )
    for personal in (VISITOR, "Vera", VISITOR_EMAIL, FIRST, REPLY, SECOND, "mortgage"):
        assert personal not in kept

    # P17: neither browser asked any origin but Parley's; no console error, no CSP violation.
    guard.assert_clean(page, expert)


def test_p04_documents_the_visitor_sends_a_png_the_expert_downloads_it_and_a_refused_type_is_explained(
    page: Page, open_context, guard: BrowserGuard, demo: Tenant, live_server: AsgiLiveServer, tmp_path: Path
) -> None:
    """P04 exchanged documents: a PNG sent from the web app shows in the expert's open conversation at once, and
    both sides download it (re-encoded, same pixels size). A file of a type the tenant does not allow is refused
    with the server's sentence in the web app, and nothing is stored."""
    expert, expert_socket = expert_online(open_context)
    visitor_socket = SocketFrames(page, WIDGET_SOCKET)
    widget = start_conversation(page, visitor_socket)
    expect(inbox_row(expert)).to_be_visible()
    open_conversation(expert, expert_socket)

    plan = png(tmp_path / "floor-plan.png", size=(120, 60))
    with page.expect_file_chooser(timeout=TIMEOUT_MS) as chooser:
        widget.get_by_role("button", name="Attach a document").click()
    chooser.value.set_files(plan)
    log = widget.get_by_role("log", name="Messages")
    document_button = log.get_by_role("button", name=re.compile(r"^Download: floor-plan\.png \("))
    expect(document_button).to_be_visible()
    expect(widget.locator("#parley-announce")).to_have_text("floor-plan.png was sent.")

    # The expert sees it arrive live and downloads it.
    expert_log = expert.get_by_role("log", name="Messages")
    link = expert_log.get_by_role("link", name="floor-plan.png")
    expect(link).to_be_visible()
    expect(expert_log.locator("li").filter(has=expert.get_by_role("link", name="floor-plan.png"))).to_contain_text("image/png")
    with expert.expect_download(timeout=TIMEOUT_MS) as download:
        link.click()
    assert download.value.suggested_filename == "floor-plan.png"
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and size_of(data) == (120, 60)

    # The visitor downloads it back with their token (no cookie).
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        document_button.click()
    assert download.value.suggested_filename == "floor-plan.png"
    assert Path(download.value.path()).read_bytes() == data

    # A program is not a document: the server refuses it (415) and the web app shows its sentence.
    program = tmp_path / "invoice.exe"
    program.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200))
    guard.allow_failed_load(f"{live_server.url}/api/v1/widget/demo/conversation/documents", 415)
    with page.expect_file_chooser(timeout=TIMEOUT_MS) as chooser:
        widget.get_by_role("button", name="Attach a document").click()
    chooser.value.set_files(program)
    expect(widget.get_by_role("alert").filter(has_text="This type of file cannot be sent here.")).to_be_visible()
    expect(log.locator(".msg")).to_have_count(2)
    assert Document.objects.count() == 1
    expect(expert_log.locator("li")).to_have_count(2)
    guard.assert_clean(page, expert)


def test_the_reply_mail_link_reopens_the_conversation_in_another_browser(
    page: Page, open_context, guard: BrowserGuard, demo: Tenant, live_server: AsgiLiveServer
) -> None:
    """When the visitor has left, the expert's reply sends one "continue the conversation" mail whose link
    (/w/demo/#resume=<token>, the token in the fragment only) opens the conversation in any browser."""
    expert, expert_socket = expert_online(open_context)
    visitor_socket = SocketFrames(page, WIDGET_SOCKET)
    start_conversation(page, visitor_socket)
    expect(inbox_row(expert)).to_be_visible()
    open_conversation(expert, expert_socket)
    interaction = Interaction.objects.get()

    # The visitor closes the browser; the server notices the socket is gone.
    page.context.close()
    wait_until(
        expert, lambda: not visitor_connected(interaction_id=interaction.id), timeout_ms=TIMEOUT_MS, what="the visitor to leave"
    )
    expert_reply(expert, REPLY)

    def reply_mails() -> list:
        return [m for m in mail.outbox if m.to == [VISITOR_EMAIL]]

    wait_until(expert, reply_mails, timeout_ms=TIMEOUT_MS, what="the reply mail")
    (message,) = reply_mails()
    assert message.subject == "You have a reply from Demo Bank"
    assert "Anna Keller answered your message." in message.body
    for personal in (FIRST, REPLY):
        assert personal not in message.body  # the mail says there is a reply, not what it is
    links = re.findall(rf"{re.escape(live_server.url)}/w/demo/#resume=(\S+)", message.body)
    assert len(links) == 1 and TOKEN.fullmatch(links[0])
    link = f"{live_server.url}/w/demo/#resume={links[0]}"

    # Another device: a fresh browser opens the link and is in the conversation, the token gone from the address.
    other = open_context().new_page()
    other_socket = SocketFrames(other, WIDGET_SOCKET)
    other.goto(link)
    expect(other.get_by_role("heading", level=1)).to_have_text("Conversation with Anna Keller")
    log = other.get_by_role("log", name="Messages")
    expect(log).to_contain_text(FIRST)
    expect(log).to_contain_text(REPLY)
    expect(other).to_have_url(f"{live_server.url}/w/demo/")
    assert other.evaluate("() => JSON.parse(localStorage.getItem('parley:demo'))") == [links[0]]
    other_socket.wait_for("ready")

    # And the conversation goes on from there, live.
    other.get_by_label("Message", exact=True).fill(SECOND)
    other.get_by_role("button", name="Send").click()
    expect(expert.get_by_role("log", name="Messages")).to_contain_text(SECOND)
    assert len(reply_mails()) == 1
    guard.assert_clean(other, expert)


def test_p08_the_visitor_deletes_the_conversation_early_and_it_leaves_the_experts_list_live(
    page: Page, open_context, guard: BrowserGuard, demo: Tenant
) -> None:
    """P08: "Delete this conversation" in the web app removes messages, documents, the name and e-mail and every
    token at once and destroys the conversation's key; the expert's Conversations page drops the row without a
    reload, and the visitor's browser forgets the token."""
    expert, _expert_socket = expert_online(open_context)
    visitor_socket = SocketFrames(page, WIDGET_SOCKET)
    widget = start_conversation(page, visitor_socket)
    row = inbox_row(expert)
    expect(row).to_be_visible()
    interaction_id: uuid.UUID = Interaction.objects.get().id

    widget.get_by_role("button", name="Delete this conversation").click()
    dialog = widget.get_by_role("dialog", name="Delete this conversation?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This cannot be undone.")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(widget.get_by_role("heading", level=1)).to_have_text("The conversation was deleted.")
    expect(widget.get_by_role("button", name="Start a new conversation")).to_be_visible()

    expect(row).to_have_count(0)
    expect(expert.get_by_text("No conversations here yet.")).to_be_visible()
    assert expert.evaluate("() => window.__sameDocument === true"), "the Conversations page reloaded"

    assert not Interaction.objects.filter(id=interaction_id).exists()
    assert not Message.objects.filter(interaction_id=interaction_id).exists()
    assert not VisitorAccess.objects.filter(interaction_id=interaction_id).exists()
    key = DataKey.objects.get(scope_type="interaction", scope_id=interaction_id)
    assert key.destroyed_at is not None and key.wrapped == b""
    assert frame_of(widget).evaluate("() => localStorage.getItem('parley:demo')") is None
    guard.assert_clean(page, expert)

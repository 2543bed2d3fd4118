"""P28 in a real browser: the visitor clicks "Export my conversation" in the web app and receives a ZIP with their
conversation as JSON, made on the fly from the conversation's token."""

import json
import zipfile

from playwright.sync_api import Page, expect

from parley.interactions.models import Interaction
from parley.tenants.models import Tenant

from .conftest import BrowserGuard
from .helpers import SocketFrames
from .test_live_advisory import (  # noqa: F401 (demo is a fixture)
    FIRST,
    VISITOR,
    VISITOR_EMAIL,
    WIDGET_SOCKET,
    demo,
    expert_online,
    start_conversation,
)


def test_p28_the_visitor_downloads_their_conversation_from_the_web_app(
    page: Page,
    open_context,
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811
) -> None:
    expert_online(open_context)  # the chat is offered while an expert is online
    widget = start_conversation(page, SocketFrames(page, WIDGET_SOCKET))
    with page.expect_download() as info:
        widget.get_by_role("button", name="Export my conversation").click()
    download = info.value
    assert download.suggested_filename == "conversation.zip"
    with zipfile.ZipFile(download.path()) as archive:
        assert {"README.txt", "data.json"} <= set(archive.namelist())
        data = json.loads(archive.read("data.json"))
    [conversation] = data["records"]["interactions.Interaction"]
    assert conversation["id"] == str(Interaction.objects.get().id)
    assert conversation["customer_name"] == VISITOR and conversation["customer_email"] == VISITOR_EMAIL
    assert [m["body"] for m in data["records"]["interactions.Message"]] == [FIRST]
    expect(widget.get_by_role("button", name="Delete this conversation")).to_be_visible()  # deletion is next to it
    guard.assert_clean(page)

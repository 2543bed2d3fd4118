"""P26 over the WebSockets: placing a hold closes the customer's open window and removes the conversation from the
live inboxes; afterwards neither the customer's token nor the expert's socket opens it."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from parley.core.testing import make_world
from parley.holds.services import hold_place_on_interaction
from parley.interactions.tests.conftest import start
from parley.interactions.tests.test_consumers import ORIGIN, _portal, _until, _visitor
from parley.realtime.routing import websocket_application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture
async def world():
    return await sync_to_async(make_world)()


async def test_p26_a_hold_ends_the_live_conversation_and_the_token_no_longer_opens_it(world):
    interaction, token, _first = await sync_to_async(start)(world)
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 0})
    assert (await _until(visitor, "ready"))["interaction_id"] == str(interaction.id)
    expert = await _portal(world.acme_expert, "acme")
    assert (await expert.connect())[0]
    await expert.send_json_to({"type": "open", "interaction_id": str(interaction.id), "after": 0})
    assert (await _until(expert, "ready"))["type"] == "ready"

    await sync_to_async(hold_place_on_interaction)(actor=world.acme_admin, interaction_id=interaction.id, reason="Audit")
    assert (await _until(visitor, "deleted"))["interaction_id"] == str(interaction.id)
    assert (await visitor.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4404}
    assert (await _until(expert, "inbox_removed"))["id"] == str(interaction.id)

    # The expert's socket cannot open it again (404), nor write in it.
    await expert.send_json_to({"type": "open", "interaction_id": str(interaction.id), "after": 0})
    assert (await _until(expert, "error"))["code"] == 404
    await expert.disconnect()

    # The customer's token says hello and is refused like an invalid link.
    again = WebsocketCommunicator(websocket_application, "/ws/widget/acme/", headers=[ORIGIN])
    assert (await again.connect())[0]
    await again.send_json_to({"type": "hello", "token": token, "after": 0})
    assert (await _until(again, "error"))["code"] == 401
    assert (await again.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4401}

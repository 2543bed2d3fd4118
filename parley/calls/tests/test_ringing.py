"""Ringing on the chat sockets: the other side of the conversation rings, admins looking on do not."""

import pytest
from asgiref.sync import sync_to_async

from parley.core.testing import make_world
from parley.interactions.tests.conftest import start
from parley.interactions.tests.test_consumers import _portal, _until, _visitor

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_a_visitor_rings_every_portal_tab_of_the_expert_and_the_expert_answers():
    world = await sync_to_async(make_world)()
    interaction, token, _m = await sync_to_async(start)(world)
    expert = await _portal(world.acme_expert, "acme")
    assert (await expert.connect())[0]
    admin = await _portal(world.acme_admin, "acme")
    assert (await admin.connect())[0]
    await admin.send_json_to({"type": "open", "interaction_id": str(interaction.id), "after": 1})
    await _until(admin, "ready")
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 1})
    await _until(visitor, "ready")

    await visitor.send_json_to({"type": "call", "action": "ring", "media": "video"})
    ring = await _until(expert, "call")
    assert (ring["action"], ring["media"], ring["sender"], ring["customer_name"]) == (
        "ring",
        "video",
        "customer",
        "Carla Customer",
    )

    await expert.send_json_to({"type": "open", "interaction_id": str(interaction.id), "after": 1})
    await _until(expert, "ready")
    await expert.send_json_to({"type": "call", "interaction_id": str(interaction.id), "action": "accept", "media": "video"})
    answer = await _until(visitor, "call")
    assert (answer["action"], answer["sender"]) == ("accept", "expert")
    assert await admin.receive_nothing(timeout=0.3)  # admins looking on do not ring

    await visitor.send_json_to({"type": "call", "action": "record", "media": "video"})
    assert (await _until(visitor, "error"))["message"]
    for socket in (expert, admin, visitor):
        await socket.disconnect()


async def test_with_calls_switched_off_nobody_rings():
    world = await sync_to_async(make_world)()
    world.acme.calls_enabled = False
    await sync_to_async(world.acme.save)()
    interaction, token, _m = await sync_to_async(start)(world)
    expert = await _portal(world.acme_expert, "acme")
    assert (await expert.connect())[0]
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 1})
    await _until(visitor, "ready")
    await visitor.send_json_to({"type": "call", "action": "ring", "media": "audio"})
    assert (await _until(visitor, "error"))["message"] == "Calls are switched off."
    assert await expert.receive_nothing(timeout=0.3)
    await expert.disconnect()
    await visitor.disconnect()

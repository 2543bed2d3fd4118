"""P10 with P05: a call that connected is counted once, at its end, by the expert's call socket; that counter is the
only thing a call writes."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps

from parley.core.testing import client_for, make_world
from parley.interactions.tests.conftest import start
from parley.realtime.routing import websocket_application
from parley.stats.models import DailyCount, Dimension, Metric

ORIGIN = (b"origin", b"http://127.0.0.1")


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def _call_rows() -> dict[tuple[str, str, str], int]:
    rows = DailyCount.objects.filter(metric=Metric.CALL).values_list("dimension", "value", "bucket", "count")
    return {(d, v, b): c for d, v, b, c in rows}


async def _socket(interaction, headers):
    socket = WebsocketCommunicator(websocket_application, f"/ws/call/acme/{interaction.id}/", headers=[ORIGIN, *headers])
    assert (await socket.connect())[0]
    return socket


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_p10_p05_a_connected_call_is_counted_once_at_its_end_and_nothing_else_is_written():
    world = await sync_to_async(make_world)()
    interaction, token, _m = await sync_to_async(start)(world)
    client = await sync_to_async(client_for)(world.acme_expert)
    cookie = f"parley_session={client.cookies['parley_session'].value}".encode()
    profile_id = await sync_to_async(lambda: str(world.acme_expert.expert_profile.id))()
    before = await sync_to_async(_counts)()

    customer = await _socket(interaction, [])
    await customer.send_json_to({"type": "join", "token": token})
    assert (await customer.receive_json_from(timeout=3))["type"] == "joined"
    expert = await _socket(interaction, [(b"cookie", cookie)])
    await expert.send_json_to({"type": "join"})
    assert (await expert.receive_json_from(timeout=3))["type"] == "joined"
    assert (await customer.receive_json_from(timeout=3))["type"] == "peer-joined"
    assert (await expert.receive_json_from(timeout=3))["type"] == "peer-joined"
    await expert.send_json_to({"type": "description", "description": {"type": "offer", "sdp": "v=0\r\n"}})
    assert (await customer.receive_json_from(timeout=3))["type"] == "description"
    await customer.send_json_to({"type": "description", "description": {"type": "answer", "sdp": "v=0\r\n"}})
    assert (await expert.receive_json_from(timeout=3))["type"] == "description"
    await customer.send_json_to({"type": "media", "audio": True, "video": True, "screen": False})
    assert (await expert.receive_json_from(timeout=3))["type"] == "media"
    await expert.send_json_to({"type": "leave"})
    assert (await customer.receive_json_from(timeout=3))["type"] == "leave"
    await customer.disconnect()
    assert (await expert.receive_json_from(timeout=3))["type"] == "peer-left"
    await expert.disconnect()  # already counted at the leave: not again

    after = await sync_to_async(_counts)()
    changed = {label for label in after if after[label] != before.get(label)}
    assert changed == {"stats.DailyCount"}
    assert await sync_to_async(_call_rows)() == {
        ("", "", "lt1"): 1,
        (Dimension.MEDIA, "video", "lt1"): 1,
        (Dimension.EXPERT, profile_id, ""): 1,
    }


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_p10_a_call_that_never_connected_counts_nothing():
    world = await sync_to_async(make_world)()
    interaction, token, _m = await sync_to_async(start)(world)
    client = await sync_to_async(client_for)(world.acme_expert)
    cookie = f"parley_session={client.cookies['parley_session'].value}".encode()
    expert = await _socket(interaction, [(b"cookie", cookie)])
    await expert.send_json_to({"type": "join"})
    assert (await expert.receive_json_from(timeout=3))["type"] == "joined"
    await expert.send_json_to({"type": "description", "description": {"type": "offer", "sdp": "v=0\r\n"}})
    await expert.send_json_to({"type": "leave"})
    await expert.disconnect()
    assert await sync_to_async(_call_rows)() == {}

"""Call signalling (P05): only the two participants of that conversation, in that tenant; malformed frames
refused; the relay-only filter; TURN credentials in coturn's format; nothing written to the database."""

import base64
import hashlib
import hmac

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps

from parley.accounts.services import user_create
from parley.calls.services import ice_servers, sdp_without_direct_candidates
from parley.core.testing import client_for, make_world
from parley.interactions.tests.conftest import start
from parley.realtime.routing import websocket_application

ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = "candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0"
RELAY = "candidate:2 1 udp 41885439 198.51.100.7 50000 typ relay raddr 0.0.0.0 rport 0 generation 0"


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


async def _cookie(user) -> bytes:
    client = await sync_to_async(client_for)(user)
    return f"parley_session={client.cookies['parley_session'].value}".encode()


async def _socket(interaction, slug="acme", cookie_user=None, cookie=None):
    headers = [ORIGIN]
    if cookie_user is not None:
        cookie = await _cookie(cookie_user)
    if cookie is not None:
        headers.append((b"cookie", cookie))
    socket = WebsocketCommunicator(websocket_application, f"/ws/call/{slug}/{interaction.id}/", headers=headers)
    assert (await socket.connect())[0]
    return socket


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_p05_the_two_participants_exchange_signalling_and_nothing_is_written(settings):
    settings.PARLEY_ICE_SERVERS = ["stun:127.0.0.1:3478", "turn:127.0.0.1:3478?transport=udp"]
    settings.PARLEY_TURN_SECRET = "test-turn-secret"
    world = await sync_to_async(make_world)()
    interaction, token, _m = await sync_to_async(start)(world)
    expert_cookie = await _cookie(world.acme_expert)  # signing in happens before the call
    before = await sync_to_async(_counts)()
    customer = await _socket(interaction)
    await customer.send_json_to({"type": "join", "token": token})
    joined = await customer.receive_json_from(timeout=3)
    assert (joined["role"], joined["polite"], joined["iceTransportPolicy"]) == ("customer", True, "all")
    assert joined["iceServers"][1]["username"].split(":")[0].isdigit()
    expert = await _socket(interaction, cookie=expert_cookie)
    await expert.send_json_to({"type": "join"})
    assert (await expert.receive_json_from(timeout=3))["role"] == "expert"
    assert (await customer.receive_json_from(timeout=3))["type"] == "peer-joined"
    assert (await expert.receive_json_from(timeout=3))["type"] == "peer-joined"  # the reply: the customer was there first
    offer = {"type": "offer", "sdp": f"v=0\r\na={HOST}\r\n"}
    await expert.send_json_to({"type": "description", "description": offer})
    assert (await customer.receive_json_from(timeout=3))["description"] == offer
    await customer.send_json_to({"type": "candidate", "candidate": {"candidate": HOST, "sdpMid": "0", "sdpMLineIndex": 0}})
    assert (await expert.receive_json_from(timeout=3))["candidate"]["candidate"] == HOST
    await customer.send_json_to({"type": "media", "audio": True, "video": False, "screen": 1})
    assert await expert.receive_json_from(timeout=3) == {"type": "media", "audio": True, "video": False, "screen": True}
    await customer.disconnect()
    assert (await expert.receive_json_from(timeout=3))["type"] == "peer-left"
    await expert.disconnect()
    assert await sync_to_async(_counts)() == before


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_p05_with_relay_only_the_customers_own_addresses_never_reach_the_expert():
    world = await sync_to_async(make_world)()
    world.acme.calls_relay_only = True
    await sync_to_async(world.acme.save)()
    interaction, token, _m = await sync_to_async(start)(world)
    customer = await _socket(interaction)
    await customer.send_json_to({"type": "join", "token": token})
    assert (await customer.receive_json_from(timeout=3))["iceTransportPolicy"] == "relay"
    expert = await _socket(interaction, cookie_user=world.acme_expert)
    await expert.send_json_to({"type": "join"})
    assert (await expert.receive_json_from(timeout=3))["iceTransportPolicy"] == "all"
    await expert.receive_json_from(timeout=3)  # peer-joined
    await customer.receive_json_from(timeout=3)  # peer-joined
    await customer.send_json_to({"type": "candidate", "candidate": {"candidate": HOST, "sdpMid": "0"}})
    await customer.send_json_to({"type": "candidate", "candidate": {"candidate": RELAY, "sdpMid": "0"}})
    assert (await expert.receive_json_from(timeout=3))["candidate"]["candidate"] == RELAY
    await customer.send_json_to(
        {"type": "description", "description": {"type": "answer", "sdp": f"v=0\r\na={HOST}\r\na={RELAY}\r\n"}}
    )
    sdp = (await expert.receive_json_from(timeout=3))["description"]["sdp"]
    assert "192.168.1.20" not in sdp and "typ relay" in sdp
    await customer.disconnect()
    await expert.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_only_the_participants_of_that_call_in_that_tenant_may_join():
    world = await sync_to_async(make_world)()
    interaction, token, _m = await sync_to_async(start)(world)
    colleague = await sync_to_async(user_create)(
        tenant=world.acme, name="Carl", email="carl@acme.test", password="x-Passw0rd-long-1", role="expert"
    )
    other, other_token, _m = await sync_to_async(start)(world, email="o@example.test")
    attempts = [
        (await _socket(interaction, slug="globex"), {"type": "join", "token": token}),  # another tenant
        (await _socket(interaction, cookie_user=world.acme_admin), {"type": "join"}),  # an admin looking on
        (await _socket(interaction, cookie_user=colleague), {"type": "join"}),  # a colleague
        (await _socket(interaction, cookie_user=world.globex_expert), {"type": "join"}),  # another tenant's expert
        (await _socket(interaction), {"type": "join", "token": other_token}),  # another visitor's token
        (await _socket(interaction), {"type": "join"}),  # nobody
    ]
    for socket, frame in attempts:
        await socket.send_json_to(frame)
        assert (await socket.receive_json_from(timeout=3))["type"] == "error"
        assert (await socket.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4403}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_malformed_signalling_is_refused_and_not_relayed():
    world = await sync_to_async(make_world)()
    interaction, token, _m = await sync_to_async(start)(world)
    customer = await _socket(interaction)
    await customer.send_json_to({"type": "description"})
    assert (await customer.receive_json_from(timeout=3))["type"] == "error"  # join first
    await customer.send_json_to({"type": "join", "token": token})
    await customer.receive_json_from(timeout=3)
    expert = await _socket(interaction, cookie_user=world.acme_expert)
    await expert.send_json_to({"type": "join"})
    await expert.receive_json_from(timeout=3)
    await expert.receive_json_from(timeout=3)
    await customer.receive_json_from(timeout=3)
    for frame in (
        {"type": "description", "description": {"type": "bogus", "sdp": "x"}},
        {"type": "description", "description": "offer"},
        {"type": "candidate", "candidate": "nope"},
        {"type": "record"},
    ):
        await customer.send_json_to(frame)
    assert (await customer.receive_json_from(timeout=3))["type"] == "error"  # the unknown type
    assert await expert.receive_nothing(timeout=0.3)
    await customer.disconnect()
    await expert.disconnect()


def test_turn_credentials_follow_coturns_shared_secret_format_without_identity(settings):
    settings.PARLEY_ICE_SERVERS = ["stun:turn.example:3478", "turn:turn.example:3478?transport=udp"]
    settings.PARLEY_TURN_SECRET = "s3cret"
    settings.PARLEY_TURN_TTL = 3600
    stun, turn = ice_servers(now=1_000_000)
    assert stun == {"urls": ["stun:turn.example:3478"]}
    expiry, _random = turn["username"].split(":")
    assert int(expiry) == 1_003_600
    expected = base64.b64encode(hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    settings.PARLEY_TURN_SECRET = ""
    assert ice_servers() == [{"urls": ["stun:turn.example:3478"]}]  # no secret: no TURN entry


def test_the_relay_filter_keeps_only_relay_candidates():
    sdp = f"v=0\r\na={HOST}\r\na={RELAY}\r\na=end-of-candidates\r\n"
    assert sdp_without_direct_candidates(sdp) == f"v=0\r\na={RELAY}\r\na=end-of-candidates\r\n"

"""The conversation WebSockets through Channels' test communicator: hello/backlog, resume after a dropped
connection, live delivery both ways, typing, receipts and the refusals (other tenant, other expert, bad frames)."""

import asyncio

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from parley.accounts.services import user_create
from parley.core.testing import client_for, make_world
from parley.interactions import services
from parley.interactions.models import Interaction
from parley.interactions.tests.conftest import start
from parley.realtime.models import Presence
from parley.realtime.routing import websocket_application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://127.0.0.1")


async def _visitor(slug: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(websocket_application, f"/ws/widget/{slug}/", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _portal(user, slug: str) -> WebsocketCommunicator:
    client = await sync_to_async(client_for)(user)
    cookie = f"parley_session={client.cookies['parley_session'].value}".encode()
    return WebsocketCommunicator(websocket_application, f"/ws/t/{slug}/inbox/", headers=[ORIGIN, (b"cookie", cookie)])


async def _frames(communicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=3) for _ in range(count)]


async def _until(communicator, kind: str) -> dict:
    for _ in range(20):
        frame = await communicator.receive_json_from(timeout=3)
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


@pytest_asyncio.fixture
async def world():
    return await sync_to_async(make_world)()


@pytest_asyncio.fixture
async def conversation(world):
    interaction, token, _message = await sync_to_async(start)(world)
    return interaction, token


async def test_p16_a_visitor_socket_gets_the_conversation_and_history_after_hello(world, conversation):
    interaction, token = conversation
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 0})
    ready, first = await _frames(visitor, 2)
    assert ready["type"] == "ready" and ready["conversation"]["id"] == str(interaction.id)
    assert first["type"] == "message" and first["message"]["seq"] == 1 and first["message"]["body"] == "Hello, I need advice"
    assert await sync_to_async(Presence.objects.filter(interaction_id=interaction.id).count)() == 1
    await visitor.disconnect()
    assert await sync_to_async(Presence.objects.count)() == 0


async def test_a_visitor_who_reconnects_resumes_after_the_last_seq_without_loss_or_duplicates(world, conversation):
    interaction, token = conversation
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 0})
    await _frames(visitor, 2)
    await visitor.send_json_to({"type": "message", "body": "Are you there?"})
    echoed = await _until(visitor, "message")
    assert echoed["message"]["seq"] == 2
    await visitor.disconnect()  # the connection drops; the expert answers meanwhile
    for body in ("Yes", "How can I help?"):
        await sync_to_async(services.message_post)(interaction=interaction, sender="expert", author=world.acme_expert, body=body)
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 2})
    frames = await _frames(visitor, 3)
    assert [f["message"]["seq"] for f in frames[1:]] == [3, 4]
    assert [f["message"]["body"] for f in frames[1:]] == ["Yes", "How can I help?"]
    assert await visitor.receive_nothing(timeout=0.2)
    await visitor.send_json_to({"type": "resume", "after": 3})
    assert (await visitor.receive_json_from(timeout=3))["message"]["seq"] == 4
    await visitor.disconnect()


async def test_a_token_of_another_tenant_or_no_hello_gets_no_conversation(world, conversation):
    _interaction, token = conversation
    visitor = await _visitor("globex")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 0})
    frame = await visitor.receive_json_from(timeout=3)
    assert frame["type"] == "error" and frame["code"] == 401
    assert (await visitor.receive_output(timeout=3))["type"] == "websocket.close"
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "message", "body": "sneaky"})
    assert (await visitor.receive_json_from(timeout=3))["type"] == "error"
    assert await sync_to_async(lambda: Interaction.objects.get().last_seq)() == 1
    await visitor.disconnect()


async def test_malformed_frames_get_an_error_and_the_socket_stays_usable(world, conversation):
    _interaction, token = conversation
    visitor = await _visitor("acme")
    for raw in ("not json", "[1, 2]", '{"no": "type"}', "x" * 30_000):
        await visitor.send_to(text_data=raw)
        assert (await visitor.receive_json_from(timeout=3))["type"] == "error"
    await visitor.send_json_to({"type": "hello", "token": token, "after": "nonsense"})
    assert (await visitor.receive_json_from(timeout=3))["type"] == "ready"
    await visitor.send_json_to({"type": "message", "body": ""})
    assert (await _until(visitor, "error"))["message"]
    await visitor.disconnect()


async def test_the_expert_and_visitor_talk_live_with_typing_and_receipts(world, conversation):
    interaction, token = conversation
    expert = await _portal(world.acme_expert, "acme")
    assert (await expert.connect())[0]
    await expert.send_json_to({"type": "open", "interaction_id": str(interaction.id), "after": 0})
    assert (await expert.receive_json_from(timeout=3))["type"] == "ready"
    assert (await expert.receive_json_from(timeout=3))["message"]["seq"] == 1
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 1})
    assert (await visitor.receive_json_from(timeout=3))["type"] == "ready"

    await visitor.send_json_to({"type": "typing"})
    typing = await expert.receive_json_from(timeout=3)
    assert typing == {"type": "typing", "sender": "customer", "interaction_id": str(interaction.id)}
    assert await visitor.receive_nothing(timeout=0.1)  # not echoed to the sender

    await visitor.send_json_to({"type": "message", "body": "Is a fixed rate possible?"})
    message = await _until(expert, "message")
    assert message["message"]["body"] == "Is a fixed rate possible?"
    inbox = await _until(expert, "inbox")
    assert inbox["interaction"]["unread"] == 2
    own = await _until(visitor, "message")  # the sender gets its message back, numbered
    assert own["message"]["seq"] == 2

    await expert.send_json_to({"type": "message", "interaction_id": str(interaction.id), "body": "Yes, for 10 years."})
    reply = await _until(visitor, "message")
    assert reply["message"]["sender"] == "expert" and reply["message"]["author_name"] == "Eve Expert"
    await visitor.send_json_to({"type": "seen", "delivered": 3, "read": 3})
    receipt = await _until(expert, "receipt")
    assert (receipt["side"], receipt["read"]) == ("customer", 3)
    await expert.disconnect()
    await visitor.disconnect()


async def test_the_portal_socket_refuses_anonymous_users_and_other_tenants(world):
    for socket in (
        WebsocketCommunicator(websocket_application, "/ws/t/acme/inbox/", headers=[ORIGIN]),
        await _portal(world.globex_admin, "acme"),
    ):
        await socket.connect()
        closed = await socket.receive_output(timeout=3)
        assert closed == {"type": "websocket.close", "code": 4403}
    evil = WebsocketCommunicator(websocket_application, "/ws/widget/acme/", headers=[(b"origin", b"https://evil.example")])
    assert not (await evil.connect())[0]


async def test_an_expert_cannot_open_or_write_in_a_colleagues_conversation(world, conversation):
    interaction, _token = conversation
    colleague = await sync_to_async(user_create)(
        tenant=world.acme, name="Carl Colleague", email="carl@acme.test", password="x-Passw0rd-long-1", role="expert"
    )
    socket = await _portal(colleague, "acme")
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "open", "interaction_id": str(interaction.id), "after": 0})
    assert (await socket.receive_json_from(timeout=3))["code"] == 404
    await socket.send_json_to({"type": "message", "interaction_id": str(interaction.id), "body": "hijack"})
    assert (await socket.receive_json_from(timeout=3))["type"] == "error"
    await socket.send_json_to({"type": "open", "interaction_id": "not-a-uuid"})
    assert (await socket.receive_json_from(timeout=3))["type"] == "error"
    assert await sync_to_async(lambda: Interaction.objects.get().last_seq)() == 1
    await socket.disconnect()


async def test_admins_see_every_conversation_of_their_tenant_live_but_do_not_write_for_the_expert(world, conversation):
    interaction, token = conversation
    admin = await _portal(world.acme_admin, "acme")
    assert (await admin.connect())[0]
    await sync_to_async(services.message_post)(interaction=interaction, sender="customer", body="Update")
    inbox = await _until(admin, "inbox")
    assert inbox["interaction"]["id"] == str(interaction.id)
    await admin.send_json_to({"type": "open", "interaction_id": str(interaction.id), "after": 0})
    assert (await admin.receive_json_from(timeout=3))["type"] == "ready"
    await _frames(admin, 2)
    await admin.send_json_to({"type": "message", "interaction_id": str(interaction.id), "body": "as admin"})
    assert (await _until(admin, "error"))["message"]
    other = await _portal(world.globex_admin, "globex")
    assert (await other.connect())[0]
    await sync_to_async(services.message_post)(interaction=interaction, sender="customer", body="Private")
    assert await other.receive_nothing(timeout=0.3)
    await admin.disconnect()
    await other.disconnect()


async def test_deleting_a_conversation_tells_and_closes_the_visitor_socket(world, conversation):
    interaction, token = conversation
    visitor = await _visitor("acme")
    await visitor.send_json_to({"type": "hello", "token": token, "after": 1})
    await visitor.receive_json_from(timeout=3)
    await sync_to_async(services.interaction_delete)(interaction=interaction)
    assert (await visitor.receive_json_from(timeout=3))["type"] == "deleted"
    assert (await visitor.receive_output(timeout=3))["type"] == "websocket.close"
    await asyncio.sleep(0)


async def test_after_a_transfer_the_previous_experts_socket_stops_receiving_the_conversation(world, conversation):
    interaction, _token = conversation
    colleague = await sync_to_async(user_create)(
        tenant=world.acme, name="Carl Colleague", email="carl@acme.test", password="x-Passw0rd-long-1", role="expert"
    )
    expert = await _portal(world.acme_expert, "acme")
    assert (await expert.connect())[0]
    await expert.send_json_to({"type": "open", "interaction_id": str(interaction.id), "after": 1})
    assert (await expert.receive_json_from(timeout=3))["interaction_id"] == str(interaction.id)
    await sync_to_async(services.interaction_transfer)(actor=world.acme_admin, interaction=interaction, expert_id=colleague.id)
    assert (await _until(expert, "access_lost"))["interaction_id"] == str(interaction.id)
    await sync_to_async(services.message_post)(interaction=interaction, sender="customer", body="For the new expert only")
    while not await expert.receive_nothing(timeout=0.3):
        frame = await expert.receive_json_from(timeout=1)
        assert frame["type"] not in ("message", "typing", "receipt"), frame
    await expert.disconnect()


async def test_guessing_tokens_over_sockets_is_rate_limited(world):
    from django.core.cache import cache

    await sync_to_async(cache.clear)()
    codes = []
    for _ in range(61):
        visitor = await _visitor("acme")
        await visitor.send_json_to({"type": "hello", "token": "guess", "after": 0})
        codes.append((await visitor.receive_json_from(timeout=3))["code"])
        await visitor.disconnect()
    assert codes[:60] == [401] * 60 and codes[60] == 429
    await sync_to_async(cache.clear)()

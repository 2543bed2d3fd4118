import pytest
from channels.layers import get_channel_layer
from django.conf import settings


@pytest.mark.asyncio
async def test_the_configured_channel_layer_delivers_a_group_message():
    """In-memory by default; channels-redis (pub/sub) when REDIS_URL is set, as in CI's second run."""
    layer = get_channel_layer()
    if settings.REDIS_URL:
        assert type(layer).__name__ == "RedisPubSubChannelLayer"
    channel = await layer.new_channel()
    await layer.group_add("parley-test-group", channel)
    try:
        await layer.group_send("parley-test-group", {"type": "ping", "n": 1})
        message = await layer.receive(channel)
        assert message == {"type": "ping", "n": 1}
    finally:
        await layer.group_discard("parley-test-group", channel)
        if hasattr(layer, "flush"):
            await layer.flush()


@pytest.mark.asyncio
@pytest.mark.django_db  # Channels' denier closes old DB connections, which touches the test database
async def test_portal_websockets_refuse_a_foreign_origin():
    from channels.testing.websocket import WebsocketCommunicator

    from parley.realtime.routing import websocket_application

    communicator = WebsocketCommunicator(websocket_application, "/ws/anything/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()

from parley.privacy.registry import declare
from parley.realtime.models import Presence

declare(
    Presence,
    not_personal={"channel_name": "A random channel-layer address of one connection."},
    note="Which account or conversation has a WebSocket open right now, for 'online' and for mail-when-away; "
    "deleted on disconnect, stale rows after minutes. No address, no device data.",
)

"""`parley serve` with a larger in-memory channel layer queue (for `run.py --server-env`, see README.md).

Channels' InMemoryChannelLayer keeps at most `capacity` (default 100) messages per channel and group_send drops
the rest silently. An expert socket that follows many busy conversations gets more than that in a burst.
"""

from config.django.local import *  # noqa: F403

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 10_000}}}

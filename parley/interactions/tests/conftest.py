import io

import pytest
from PIL import Image

from parley.experts.models import ExpertProfile
from parley.interactions.services import interaction_start


def png_bytes(text: bytes = b"") -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text.decode())
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def start(world, *, tenant=None, expert=None, name="Carla Customer", email="carla@example.test", body="Hello, I need advice"):
    tenant = tenant or world.acme
    expert = expert or world.acme_expert
    profile = ExpertProfile.objects.get(user=expert)
    return interaction_start(tenant=tenant, expert_profile_id=profile.id, name=name, email=email, body=body)


@pytest.fixture
def conversation(world):
    interaction, token, _message = start(world)
    return interaction, token

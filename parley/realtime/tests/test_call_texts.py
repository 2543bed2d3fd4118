import json
import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

from parley.core.testing import World, client_for
from parley.widget.texts import CALL_TEXTS, call_texts

STATIC = Path(settings.BASE_DIR) / "parley"


def _keys_used(path: str) -> set[str]:
    return set(re.findall(r'"(call[A-Z]\w*)"', (STATIC / path).read_text()))


def test_every_call_text_the_scripts_use_is_declared_once_for_both_sides():
    used = _keys_used("realtime/static/parley/call.js") | _keys_used("interactions/static/parley/inbox.js")
    assert used and used <= set(CALL_TEXTS), used - set(CALL_TEXTS)


def test_the_portal_page_carries_the_call_texts_in_the_users_language(world: World):
    world.acme_expert.language = "de"
    world.acme_expert.save(update_fields=["language"])
    html = client_for(world.acme_expert).get("/t/acme/conversations/").content.decode()
    block = re.search(r'<script id="parley-call-texts" type="application/json">(.*?)</script>', html, re.S)
    assert block, "no call texts on the portal page"
    with translation.override("de"):
        assert json.loads(block.group(1)) == call_texts()


def test_a_tenant_without_calls_gets_no_call_texts(world: World):
    world.acme.calls_enabled = False
    world.acme.save(update_fields=["calls_enabled"])
    html = client_for(world.acme_expert).get("/t/acme/conversations/").content.decode()
    assert "parley-call-texts" not in html

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import Client

from parley.core.testing import World
from parley.tenants.models import Tenant
from parley.tenants.services import tenant_create

STATIC = Path(__file__).resolve().parents[1] / "static" / "parley" / "widget"


class _Resources(HTMLParser):
    """Every URL the page would load or link to (src, href), and the JSON blocks it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href", "action", "srcset") and value]
        if tag == "script":
            self.scripts.append(values)


def _parse(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


def _json_block(html: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


# --- loader ------------------------------------------------------------------------------------------------------


def test_the_loader_is_at_most_10_kb_gzipped(world: World):
    world.acme.proactive_pages = "/loans/*\n/insurance"
    world.acme.save()
    response = Client().get("/embed/acme.js")
    assert response.status_code == 200
    assert len(gzip.compress(response.content, compresslevel=9)) <= 10_240
    assert len(gzip.compress(response.content, compresslevel=9)) <= 4_096  # the target; the line above is the limit


def test_the_loader_is_cacheable_javascript_with_the_tenant_settings_inlined(world: World):
    world.acme.primary_colour = "#ffcc00"
    world.acme.proactive_delay_seconds = 20
    world.acme.proactive_text = "Need a loan? </script><b>"
    world.acme.save()
    response = Client().get("/embed/acme.js")
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "public, max-age=300"
    body = response.content.decode()
    match = re.search(r"var C = (\{.*?\});\n", body)
    assert match
    config = json.loads(match.group(1))
    assert config["origin"] == settings.PARLEY_BASE_URL
    assert (config["slug"], config["primary"], config["text"]) == ("acme", "#ffcc00", "#000000")
    assert (config["delay"], config["invite"]) == (20, "Need a loan? </script><b>")
    assert set(config["texts"]) == {"en", "de", "fr", "it"}
    assert "</script>" not in body  # escaped, so the inlined text cannot end a script block


def test_the_loader_styles_its_elements_without_a_style_element(world: World):
    body = Client().get("/embed/acme.js").content.decode()
    assert "<style" not in body
    assert 'setAttribute("style"' not in body
    assert "innerHTML" not in body
    assert "event.origin !== C.origin" in body  # postMessage from anyone but Parley is ignored


def test_the_loader_of_an_unknown_organisation_is_a_404_javascript_comment(db):
    response = Client().get("/embed/nobody.js")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/javascript")
    assert response.content.decode().startswith("/*")


# --- web app page ------------------------------------------------------------------------------------------------


def test_the_app_page_may_be_framed_only_by_the_tenants_websites(world: World):
    world.acme.website_origins = "https://www.acme.test\nhttps://shop.acme.test"
    world.acme.save()
    response = Client().get("/w/acme/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.acme.test https://shop.acme.test" in csp
    assert "default-src 'self'" in csp
    assert "X-Frame-Options" not in response


def test_another_tenants_app_page_is_not_framed_by_acmes_website(world: World):
    world.acme.website_origins = "https://www.acme.test"
    world.acme.save()
    csp = Client().get("/w/globex/")["Content-Security-Policy"]
    assert "acme.test" not in csp
    assert "frame-ancestors 'self';" in csp or csp.endswith("frame-ancestors 'self'")


def test_the_app_page_speaks_the_browsers_first_supported_language(world: World):
    response = Client().get("/w/acme/", headers={"Accept-Language": "es-ES, fr-CH;q=0.9, de;q=0.8"})
    assert '<html lang="fr">' in response.content.decode()
    assert response["Content-Language"] == "fr"
    assert "Accept-Language" in response["Vary"]
    assert _json_block(response.content.decode(), "parley-app")["language"] == "fr"


def test_the_app_page_falls_back_to_the_tenants_default_language(world: World):
    world.acme.default_language = "it"
    world.acme.save()
    response = Client().get("/w/acme/", headers={"Accept-Language": "es-ES, ja;q=0.5"})
    assert '<html lang="it">' in response.content.decode()
    response = Client().get("/w/acme/")
    assert '<html lang="it">' in response.content.decode()


def test_p17_the_app_page_loads_only_from_parleys_own_origin(world: World):
    html = Client().get("/w/acme/").content.decode()
    parsed = _parse(html)
    assert parsed.urls
    for url in parsed.urls:
        own = url.startswith(settings.PARLEY_BASE_URL + "/") or (url.startswith("/") and not url.startswith("//"))
        assert own or url == "data:,", url
    executable = [s for s in parsed.scripts if s.get("type") != "application/json"]
    assert executable and all(s.get("nonce") and (s.get("src") or "").startswith("/static/") for s in executable)


def test_p17_the_app_scripts_and_styles_name_no_other_origin():
    # The app's own files and the call UI it imports from ../call.js (shared with the Expert portal).
    realtime = Path(__file__).resolve().parents[2] / "realtime" / "static" / "parley"
    shared = realtime / "call.js", realtime / "call.css"
    for path in [*STATIC.glob("*.*"), *shared]:
        # The SVG namespace name is an identifier, never fetched.
        text = path.read_text().replace('"http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://|url\(\s*['\"]?//|@import", text), path.name
        if path.suffix == ".js":
            imports = re.findall(r"^import .* from \"([^\"]+)\";", text, re.M)
            assert all(spec.startswith(("./", "../")) for spec in imports), path.name


def test_the_app_page_carries_the_first_paint_config_and_its_texts(world: World):
    html = Client().get("/w/acme/?page=/loans/car", headers={"Accept-Language": "en"}).content.decode()
    config = _json_block(html, "parley-config")
    assert config["tenant"]["slug"] == "acme"
    assert config["privacy_notice_url"]
    assert {"chat", "documents"} <= set(config["features"])
    assert _json_block(html, "parley-texts")["chatNow"] == "Chat now"
    assert _json_block(html, "parley-app") == {
        "slug": "acme",
        "language": "en",
        "api": "/api/v1/widget/acme",
        "socket": "/ws/widget/acme/",
        "origins": [],
    }


def test_the_app_page_sets_no_cookie_and_is_not_cached(world: World):
    response = Client().get("/w/acme/")
    assert not response.cookies
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_app_page_of_an_unknown_organisation_is_404(db):
    assert Client().get("/w/nobody/").status_code == 404


# --- privacy page ------------------------------------------------------------------------------------------------


def test_the_fallback_privacy_page_names_the_controller_and_the_dpo(db):
    tenant_create(
        slug="initech",
        name="Initech Finance",
        controller_contact="Initech AG\nMain Street 1, Zürich",
        dpo_contact="DPO Jane Roe, dpo@initech.test",
        retention_months=6,
    )
    response = Client().get("/w/initech/privacy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Initech AG<br>Main Street 1, Zürich" in html
    assert "DPO Jane Roe, dpo@initech.test" in html
    assert "6 months after the last activity" in html
    assert "random key" in html


def test_the_fallback_privacy_page_is_the_apps_privacy_link_when_the_tenant_has_none(world: World):
    html = Client().get("/w/acme/").content.decode()
    assert _json_block(html, "parley-config")["privacy_notice_url"] == "/w/acme/privacy/"


# --- demo partner site -------------------------------------------------------------------------------------------


def test_the_demo_site_is_404_without_the_demo_tenant(db):
    assert Client().get("/demo/").status_code == 404
    assert Client().get("/demo/loans/").status_code == 404


def test_the_demo_site_carries_the_one_line_snippet(db):
    tenant_create(slug="demo", name="Demo Bank")
    snippet = f'<script src="{settings.PARLEY_BASE_URL}/embed/demo.js" async></script>'
    for path in ("/demo/", "/demo/loans/", "/demo/insurance/"):
        response = Client().get(path)
        assert response.status_code == 200, path
        assert snippet in response.content.decode()
        assert settings.PARLEY_BASE_URL in response["Content-Security-Policy"]
    assert Client().get("/demo/elsewhere/").status_code == 404


def test_the_demo_command_adds_topics_and_parley_as_an_embedding_website(db, capsys):
    call_command("demo")
    call_command("demo")  # a second run changes nothing
    tenant = Tenant.objects.get(slug="demo")
    assert tenant.website_origin_list() == [settings.PARLEY_BASE_URL]
    config = _json_block(Client().get("/w/demo/").content.decode(), "parley-config")
    assert sorted(topic["name"] for topic in config["topics"]) == ["Insurance", "Loans"]
    assert all(len(expert["topic_ids"]) == 1 for expert in config["experts"])
    assert f"frame-ancestors 'self' {settings.PARLEY_BASE_URL}" in Client().get("/w/demo/")["Content-Security-Policy"]


# --- expert photos -----------------------------------------------------------------------------------------------


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


def test_an_experts_photo_is_public_for_the_web_app_of_its_own_tenant_only(world: World):
    from parley.experts.models import ExpertProfile
    from parley.experts.services import expert_photo_set

    profile = ExpertProfile.objects.get(user=world.acme_expert)
    expert_photo_set(profile=profile, data=_jpeg())
    response = Client().get(f"/w/acme/experts/{profile.id}/photo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert Client().get(f"/w/globex/experts/{profile.id}/photo").status_code == 404
    other = ExpertProfile.objects.get(user=world.globex_expert)  # has no photo
    assert Client().get(f"/w/globex/experts/{other.id}/photo").status_code == 404

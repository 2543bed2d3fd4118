"""The portal's conversation pages: the expert inbox, one conversation, and what experts and admins do with it."""

import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from parley.accounts.models import User
from parley.accounts.services import user_create
from parley.core.testing import PASSWORD, World, client_for
from parley.crypto.models import DataKey
from parley.experts.models import ExpertProfile
from parley.files.models import StoredFile
from parley.files.services import file_path
from parley.interactions import services
from parley.interactions.models import Document, Interaction, Message, SearchToken, Side, VisitorAccess


def _start(world: World, expert: User | None = None, name: str = "Clara Kunde", email: str = "clara@example.org"):
    profile = ExpertProfile.objects.get(user=expert or world.acme_expert)
    interaction, _token, _message = services.interaction_start(
        tenant=world.acme, expert_profile_id=profile.id, name=name, email=email, body="Hello"
    )
    return interaction


def _colleague(world: World) -> User:
    return user_create(tenant=world.acme, name="Carl Colleague", email="carl@acme.test", password=PASSWORD, role="expert")


def _url(interaction: Interaction, suffix: str = "") -> str:
    return f"/t/{interaction.tenant.slug}/conversations/{interaction.id}/{suffix}"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _rows(response) -> str:
    return response.content.decode()


def test_the_inbox_lists_only_the_experts_own_conversations(world: World):
    carl = _colleague(world)
    _start(world, name="Olivia Own")
    _start(world, expert=carl, name="Tom Theirs", email="tom@example.org")
    page = client_for(world.acme_expert).get("/t/acme/conversations/")
    assert page.status_code == 200
    assert "Olivia Own" in _rows(page)
    assert "Tom Theirs" not in _rows(page)
    assert "Tom Theirs" in _rows(client_for(carl).get("/t/acme/conversations/"))


def test_an_admin_sees_every_conversation_of_the_tenant_and_can_filter_by_expert(world: World):
    carl = _colleague(world)
    _start(world, name="Olivia Own")
    _start(world, expert=carl, name="Tom Theirs", email="tom@example.org")
    admin = client_for(world.acme_admin)
    text = _rows(admin.get("/t/acme/conversations/"))
    assert "Olivia Own" in text and "Tom Theirs" in text
    filtered = _rows(admin.get("/t/acme/conversations/", {"expert": str(carl.id), "status": "all"}))
    assert "Tom Theirs" in filtered and "Olivia Own" not in filtered
    # Globex's admin sees none of Acme's conversations in their own inbox.
    assert "Olivia Own" not in _rows(client_for(world.globex_admin).get("/t/globex/conversations/"))


def test_the_inbox_shows_unread_counts_and_last_activity_in_the_users_time_zone(world: World):
    interaction = _start(world, name="Olivia Own")
    services.message_post(interaction=interaction, sender=Side.CUSTOMER, body="Are you there?")
    Interaction.objects.filter(pk=interaction.pk).update(last_activity_at=datetime(2030, 1, 15, 12, 0, tzinfo=UTC))
    User.objects.filter(pk=world.acme_expert.pk).update(timezone="Asia/Tokyo")
    text = _rows(client_for(world.acme_expert).get("/t/acme/conversations/"))
    assert 'datetime="2030-01-15T21:00:00+09:00"' in text  # noon UTC is 21:00 in Tokyo
    assert '<span data-count>2</span><span class="sr-only"> unread</span>' in text
    # The nav badge carries the same count for the live script.
    assert f"{interaction.id}&quot;:2" in text


def test_a_colleague_of_the_same_tenant_gets_404_on_a_conversation_that_is_not_theirs(world: World):
    carl = _colleague(world)
    interaction = _start(world)
    message = services.document_post(interaction=interaction, sender=Side.CUSTOMER, filename="a.png", data=_png())
    client = client_for(carl)
    assert client.get(_url(interaction)).status_code == 404
    assert client.post(_url(interaction, "reply/"), {"body": "Hi"}).status_code == 404
    assert client.post(_url(interaction, "status/"), {"status": "closed"}).status_code == 404
    assert client.post(_url(interaction, "transfer/"), {"expert": str(carl.id)}).status_code == 404
    assert client.get(_url(interaction, "delete/")).status_code == 404
    assert client.post(_url(interaction, "delete/"), {"confirm": "delete"}).status_code == 404
    assert client.get(_url(interaction, f"documents/{message.document_id}/")).status_code == 404
    interaction.refresh_from_db()
    assert (interaction.expert_id, interaction.status, interaction.last_seq) == (world.acme_expert.id, "open", 2)


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_another_tenant_gets_404_on_a_conversation(world: World, slug):
    interaction = _start(world)
    base = f"/t/{slug}/conversations/{interaction.id}/"
    for user in (world.globex_admin, world.globex_expert):
        client = client_for(user)
        assert client.get(base).status_code == 404
        assert client.post(base + "reply/", {"body": "Hi"}).status_code == 404
        assert client.post(base + "status/", {"status": "closed"}).status_code == 404
        assert client.post(base + "delete/", {"confirm": "delete"}).status_code == 404
    assert Interaction.objects.filter(pk=interaction.pk, status="open").exists()


def test_anonymous_visitors_are_sent_to_the_login_from_a_conversation(world: World):
    interaction = _start(world)
    response = Client().get(_url(interaction))
    assert (response.status_code, response["Location"]) == (302, "/t/acme/login/")


def test_search_finds_by_a_whole_name_word_and_by_the_full_email_but_not_by_a_partial_word(world: World):
    _start(world, name="Clara Maria Kunde", email="Clara.Kunde@Example.org")
    _start(world, name="Bob Other", email="bob@example.org")
    client = client_for(world.acme_expert)

    def found(q: str) -> bool:
        return "Clara Maria Kunde" in _rows(client.get("/t/acme/conversations/", {"q": q, "status": "all"}))

    assert found("maria")
    assert found("KUNDE")
    assert found("clara.kunde@example.org")
    assert not found("Kun")
    assert not found("clara.kunde@example")
    assert "Bob Other" not in _rows(client.get("/t/acme/conversations/", {"q": "Kunde"}))


def test_a_reply_posted_with_the_form_is_stored_as_the_experts_message(world: World):
    interaction = _start(world)
    response = client_for(world.acme_expert).post(_url(interaction, "reply/"), {"body": "  How can I help?  "})
    assert response.status_code == 302
    assert response["Location"] == _url(interaction) + "#m-2"
    message = Message.objects.get(interaction=interaction, seq=2)
    assert (message.sender, message.author_id, message.body) == ("expert", world.acme_expert.id, "How can I help?")
    page = client_for(world.acme_expert).get(_url(interaction))
    assert "How can I help?" in page.content.decode()
    assert 'role="log" aria-live="polite"' in page.content.decode()


def test_an_empty_reply_or_one_to_a_closed_conversation_is_refused_with_a_message(world: World):
    interaction = _start(world)
    client = client_for(world.acme_expert)
    assert client.post(_url(interaction, "reply/"), {"body": "   "}).status_code == 400
    services.interaction_status_set(actor=world.acme_expert, interaction=interaction, status="closed")
    response = client.post(_url(interaction, "reply/"), {"body": "Hello again"})
    assert response.status_code == 400
    assert "This conversation is closed. Reopen it to write." in response.content.decode()
    assert Message.objects.filter(interaction=interaction).count() == 1


def test_an_admin_watches_but_does_not_reply_or_mark_messages_read(world: World):
    interaction = _start(world)
    admin = client_for(world.acme_admin)
    page = admin.get(_url(interaction))
    assert page.status_code == 200
    assert 'id="reply-form"' not in page.content.decode()
    assert admin.post(_url(interaction, "reply/"), {"body": "Admin here"}).status_code == 403
    interaction.refresh_from_db()
    assert interaction.expert_read_seq == 0
    client_for(world.acme_expert).get(_url(interaction))
    interaction.refresh_from_db()
    assert interaction.expert_read_seq == 1


def test_an_expert_uploads_a_small_png(world: World):
    interaction = _start(world)
    upload = SimpleUploadedFile("scan.png", _png(), content_type="image/png")
    response = client_for(world.acme_expert).post(_url(interaction, "upload/"), {"file": upload})
    assert response.status_code == 302
    document = Document.objects.get(interaction=interaction)
    assert (document.sender, document.content_type, document.filename) == ("expert", "image/png", "scan.png")
    assert Message.objects.get(interaction=interaction, seq=2).document_id == document.id
    page = client_for(world.acme_expert).get(_url(interaction)).content.decode()
    assert f"/t/acme/conversations/{interaction.id}/documents/{document.id}/" in page


def test_an_executable_upload_is_refused_with_a_clear_message(world: World):
    interaction = _start(world)
    client = client_for(world.acme_expert)
    blob = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256))
    response = client.post(_url(interaction, "upload/"), {"file": SimpleUploadedFile("setup.exe", blob)})
    assert response.status_code == 415
    assert "This type of file cannot be sent here." in response.content.decode()
    # The live script asks for JSON and gets the same message with the status.
    response = client.post(
        _url(interaction, "upload/"), {"file": SimpleUploadedFile("invoice.pdf", blob)}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 415
    assert response.json()["message"] == "This type of file cannot be sent here."
    assert not Document.objects.filter(interaction=interaction).exists()


def test_a_file_above_the_tenants_limit_is_refused_with_413(world: World):
    world.acme.document_max_mb = 1
    world.acme.save()
    interaction = _start(world)
    big = SimpleUploadedFile("big.txt", b"a" * (1024 * 1024 + 1), content_type="text/plain")
    response = client_for(world.acme_expert).post(_url(interaction, "upload/"), {"file": big})
    assert response.status_code == 413
    assert "The file is too large (at most 1 MB)." in response.content.decode()
    assert not Document.objects.filter(interaction=interaction).exists()


def test_a_transfer_moves_the_conversation_into_the_colleagues_inbox(world: World, django_capture_on_commit_callbacks):
    carl = _colleague(world)
    interaction = _start(world, name="Olivia Own")
    eve = client_for(world.acme_expert)
    page = eve.get(_url(interaction)).content.decode()
    assert f'value="{carl.id}"' in page  # offered as a colleague
    with django_capture_on_commit_callbacks(execute=True):
        response = eve.post(_url(interaction, "transfer/"), {"expert": str(carl.id)})
    assert (response.status_code, response["Location"]) == (302, "/t/acme/conversations/")
    assert "Olivia Own" not in _rows(eve.get("/t/acme/conversations/"))
    assert eve.get(_url(interaction)).status_code == 404
    assert "Olivia Own" in _rows(client_for(carl).get("/t/acme/conversations/"))
    # An admin transfers it back and stays on the conversation.
    response = client_for(world.acme_admin).post(_url(interaction, "transfer/"), {"expert": str(world.acme_expert.id)})
    assert (response.status_code, response["Location"]) == (302, _url(interaction))
    interaction.refresh_from_db()
    assert interaction.expert_id == world.acme_expert.id


def test_a_transfer_to_someone_who_is_not_an_expert_of_the_tenant_is_refused(world: World):
    interaction = _start(world)
    client = client_for(world.acme_expert)
    for target in (world.acme_admin, world.globex_expert):
        response = client.post(_url(interaction, "transfer/"), {"expert": str(target.id)})
        assert response.status_code == 302
    interaction.refresh_from_db()
    assert interaction.expert_id == world.acme_expert.id


def test_an_expert_closes_and_reopens_a_conversation(world: World):
    interaction = _start(world, name="Olivia Own")
    client = client_for(world.acme_expert)
    assert client.post(_url(interaction, "status/"), {"status": "closed"}).status_code == 302
    interaction.refresh_from_db()
    assert interaction.status == "closed" and interaction.closed_at is not None
    assert "Olivia Own" not in _rows(client.get("/t/acme/conversations/"))
    assert "Olivia Own" in _rows(client.get("/t/acme/conversations/", {"status": "closed"}))
    assert "Reopen the conversation" in client.get(_url(interaction)).content.decode()
    assert client.post(_url(interaction, "status/"), {"status": "open"}).status_code == 302
    interaction.refresh_from_db()
    assert interaction.status == "open" and interaction.closed_at is None
    assert client.post(_url(interaction, "status/"), {"status": "archived"}).status_code == 302
    interaction.refresh_from_db()
    assert interaction.status == "open"


def test_deleting_needs_the_confirmation_tick(world: World):
    interaction = _start(world)
    client = client_for(world.acme_expert)
    page = client.get(_url(interaction, "delete/"))
    assert page.status_code == 200 and "Yes, delete irrevocably" in page.content.decode()
    response = client.post(_url(interaction, "delete/"), {})
    assert response["Location"] == _url(interaction, "delete/")
    assert Interaction.objects.filter(pk=interaction.pk).exists()


@pytest.mark.parametrize("who", ["expert", "admin"])
def test_p08_deleting_a_conversation_early_removes_messages_documents_the_file_and_destroys_its_key(
    world: World, who, django_capture_on_commit_callbacks
):
    interaction = _start(world, name="Olivia Own")
    message = services.document_post(interaction=interaction, sender=Side.CUSTOMER, filename="id.png", data=_png())
    assert message.document_id is not None
    stored = StoredFile.objects.get(pk=Document.objects.get(pk=message.document_id).file_id)
    path = file_path(stored)
    assert path.exists()
    key = DataKey.objects.get(scope_type="interaction", scope_id=interaction.id)
    client = client_for(world.acme_expert if who == "expert" else world.acme_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(interaction, "delete/"), {"confirm": "delete"})
    assert (response.status_code, response["Location"]) == (302, "/t/acme/conversations/")
    assert not Interaction.objects.filter(pk=interaction.pk).exists()
    assert not Message.objects.filter(interaction_id=interaction.id).exists()
    assert not Document.objects.filter(interaction_id=interaction.id).exists()
    assert not SearchToken.objects.filter(interaction_id=interaction.id).exists()
    assert not VisitorAccess.objects.filter(interaction_id=interaction.id).exists()
    assert not StoredFile.objects.filter(pk=stored.pk).exists()
    assert not path.exists()
    key.refresh_from_db()
    assert key.destroyed_at is not None
    inbox = client.get(response["Location"])
    assert "The conversation and everything in it were deleted." in inbox.content.decode()
    assert "Olivia Own" not in inbox.content.decode()


def test_a_document_downloads_for_the_expert_and_an_admin_and_is_404_for_a_colleague(world: World):
    carl = _colleague(world)
    interaction = _start(world)
    png = _png()
    message = services.document_post(interaction=interaction, sender=Side.CUSTOMER, filename="scan.png", data=png)
    url = _url(interaction, f"documents/{message.document_id}/")
    for user in (world.acme_expert, world.acme_admin):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith('attachment; filename="scan.png"')
        assert response["Cache-Control"] == "private, no-store"
        Image.open(io.BytesIO(response.content)).verify()
    assert client_for(carl).get(url).status_code == 404
    assert client_for(world.globex_admin).get(url).status_code == 404
    # A document reached through another conversation's address is not found either.
    other = _start(world, name="Otto Other", email="otto@example.org")
    assert client_for(world.acme_expert).get(_url(other, f"documents/{message.document_id}/")).status_code == 404


def test_the_conversation_page_loads_the_live_script_with_the_csp_nonce(world: World):
    interaction = _start(world)
    response = client_for(world.acme_expert).get(_url(interaction))
    text = response.content.decode()
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script type="module" src="/static/parley/inbox.js" nonce="{nonce}"></script>' in text
    assert "style=" not in text  # CSP forbids inline styles
    assert "<script>" not in text

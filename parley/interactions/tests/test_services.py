import pytest
from django.core import mail
from django.db import transaction

from parley.core.exceptions import ApplicationError, NotFound, PermissionDenied
from parley.crypto.models import DataKey
from parley.files.services import file_path
from parley.interactions import services
from parley.interactions.documents import UnsupportedType
from parley.interactions.models import Document, Interaction, Message, SearchToken, VisitorAccess
from parley.interactions.selectors import Unauthorised, access_visitor_interaction, inbox_list, message_list
from parley.interactions.tests.conftest import png_bytes, start
from parley.realtime import publish
from parley.realtime.services import presence_join


def test_p04_starting_a_conversation_stores_name_email_and_the_first_message(world):
    interaction, token, message = start(world)
    interaction = Interaction.objects.get(pk=interaction.pk)
    assert (interaction.customer_name, interaction.customer_email) == ("Carla Customer", "carla@example.test")
    assert message.seq == 1 and message.body == "Hello, I need advice" and interaction.last_seq == 1
    assert access_visitor_interaction(tenant=world.acme, token=token) == interaction
    assert VisitorAccess.objects.get().token_hash != token  # only the hash is stored


def test_p04_with_chat_switched_off_nothing_is_stored_and_the_error_says_why(world):
    world.acme.chat_enabled = False
    world.acme.save()
    with pytest.raises(services.FeatureOff, match="Chat is switched off"):
        start(world)
    assert not Interaction.objects.exists() and not Message.objects.exists()


def test_bad_name_or_email_is_refused_with_field_errors(world):
    with pytest.raises(ApplicationError) as caught:
        start(world, name=" ", email="not-an-address")
    assert set(caught.value.extra["fields"]) == {"name", "email"}
    assert not Interaction.objects.exists()


def test_an_expert_of_another_tenant_cannot_be_chosen(world):
    with pytest.raises(NotFound):
        start(world, tenant=world.acme, expert=world.globex_expert)


def test_a_token_opens_its_conversation_in_its_tenant_only(world, conversation):
    _interaction, token = conversation
    with pytest.raises(Unauthorised):
        access_visitor_interaction(tenant=world.globex, token=token)
    with pytest.raises(Unauthorised):
        access_visitor_interaction(tenant=world.acme, token=token + "x")


def test_messages_are_numbered_without_gaps_and_listed_after_a_given_number(world, conversation):
    interaction, _token = conversation
    services.message_post(interaction=interaction, sender="expert", author=world.acme_expert, body="Hi Carla")
    services.message_post(interaction=interaction, sender="customer", body="Thanks")
    assert [m.seq for m in message_list(interaction=interaction)] == [1, 2, 3]
    assert [m.body for m in message_list(interaction=interaction, after=2)] == ["Thanks"]


def test_an_empty_or_overlong_message_is_refused(world, conversation):
    interaction, _token = conversation
    for body in ("", "   ", "x" * 5001, None, 42):
        with pytest.raises(ApplicationError):
            services.message_post(interaction=interaction, sender="customer", body=body)
    assert Message.objects.count() == 1


def test_the_offline_expert_is_mailed_once_per_absence(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        interaction, _token, _m = start(world)
        services.message_post(interaction=interaction, sender="customer", body="Anyone there?")
    to_expert = [m for m in mail.outbox if m.to == ["eve@acme.test"]]
    assert len(to_expert) == 1 and "Anyone there" not in to_expert[0].body and "/conversations/" in to_expert[0].body
    services.receipts_update(interaction=interaction, side="expert", delivered=2, read=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(interaction=interaction, sender="customer", body="Hello again")
    assert len([m for m in mail.outbox if m.to == ["eve@acme.test"]]) == 2


def test_a_connected_expert_is_not_mailed(world, django_capture_on_commit_callbacks):
    presence_join(channel_name="test.expert", tenant_id=world.acme.id, user_id=world.acme_expert.id)
    with django_capture_on_commit_callbacks(execute=True):
        start(world)
    assert not [m for m in mail.outbox if m.to == ["eve@acme.test"]]


def test_the_absent_visitor_gets_a_link_that_reopens_the_conversation(world, conversation, django_capture_on_commit_callbacks):
    interaction, _token = conversation
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(interaction=interaction, sender="expert", author=world.acme_expert, body="Here is my answer")
        services.message_post(interaction=interaction, sender="expert", author=world.acme_expert, body="And one more")
    to_customer = [m for m in mail.outbox if m.to == ["carla@example.test"]]
    assert len(to_customer) == 1
    link_token = to_customer[0].body.split("#resume=")[1].split()[0]
    assert "Here is my answer" not in to_customer[0].body
    assert access_visitor_interaction(tenant=world.acme, token=link_token).id == interaction.id


def test_a_connected_visitor_is_not_mailed(world, conversation, django_capture_on_commit_callbacks):
    interaction, _token = conversation
    presence_join(channel_name="test.visitor", tenant_id=world.acme.id, interaction_id=interaction.id)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(interaction=interaction, sender="expert", author=world.acme_expert, body="Answer")
    assert not [m for m in mail.outbox if m.to == ["carla@example.test"]]


def test_receipts_only_rise_and_never_pass_the_last_message(world, conversation):
    interaction, _token = conversation
    services.receipts_update(interaction=interaction, side="customer", delivered=99, read=99)
    interaction.refresh_from_db()
    assert (interaction.customer_delivered_seq, interaction.customer_read_seq) == (1, 1)
    services.receipts_update(interaction=interaction, side="customer", delivered=0, read=0)
    interaction.refresh_from_db()
    assert interaction.customer_read_seq == 1


def test_search_finds_by_a_whole_name_word_or_the_email_only(world):
    start(world, name="Zoë Müller-Lang", email="Zoe@Example.test")
    start(world, name="Other Person", email="other@example.test")
    admin = world.acme_admin
    assert inbox_list(actor=admin, q="müller-lang").count() == 1
    assert inbox_list(actor=admin, q="ZOË").count() == 1
    assert inbox_list(actor=admin, q="zoe@example.test").count() == 1
    assert inbox_list(actor=admin, q="Müll").count() == 0
    assert inbox_list(actor=admin, q="person").count() == 1
    assert inbox_list(actor=world.globex_admin, q="person").count() == 0
    assert all(len(t.token) == 64 for t in SearchToken.objects.all())


def test_inbox_counts_unread_customer_messages(world, conversation):
    interaction, _token = conversation
    services.message_post(interaction=interaction, sender="customer", body="Second")
    assert inbox_list(actor=world.acme_expert).get().unread == 2
    services.receipts_update(interaction=interaction, side="expert", delivered=2, read=1)
    assert inbox_list(actor=world.acme_expert).get().unread == 1
    assert inbox_list(actor=world.globex_expert).count() == 0


def test_a_customer_message_reopens_a_closed_conversation(world, conversation):
    interaction, _token = conversation
    services.interaction_status_set(actor=world.acme_expert, interaction=interaction, status="closed")
    with pytest.raises(ApplicationError):
        services.message_post(interaction=Interaction.objects.get(pk=interaction.pk), sender="expert", body="late")
    services.message_post(interaction=Interaction.objects.get(pk=interaction.pk), sender="customer", body="One more question")
    assert Interaction.objects.get(pk=interaction.pk).status == "open"


def test_transfer_goes_to_an_active_expert_of_the_same_tenant_only(world, conversation):
    from parley.accounts.services import user_create

    interaction, _token = conversation
    colleague = user_create(
        tenant=world.acme, name="Carl Colleague", email="carl@acme.test", password="x-Passw0rd-long-1", role="expert"
    )
    with pytest.raises(NotFound):
        services.interaction_transfer(actor=world.acme_expert, interaction=interaction, expert_id=world.globex_expert.id)
    with pytest.raises(PermissionDenied):
        services.interaction_transfer(actor=colleague, interaction=interaction, expert_id=colleague.id)
    services.interaction_transfer(actor=world.acme_expert, interaction=interaction, expert_id=colleague.id)
    assert inbox_list(actor=colleague).count() == 1 and inbox_list(actor=world.acme_expert).count() == 0


def test_documents_are_sniffed_cleaned_and_encrypted(world, conversation):
    interaction, _token = conversation
    message = services.document_post(
        interaction=interaction, sender="customer", filename="../../scan.png.exe", data=png_bytes(b"secret-meta")
    )
    document = message.document
    assert document.content_type == "image/png" and document.filename == "scan.png.png"
    raw = file_path(document.file).read_bytes()
    assert b"IHDR" not in raw and b"secret-meta" not in raw
    from parley.files.services import file_read

    assert b"secret-meta" not in file_read(stored=document.file)
    with pytest.raises(UnsupportedType):
        services.document_post(interaction=interaction, sender="customer", filename="x.pdf", data=b"MZ\x90\x00\x03binary")
    with pytest.raises(UnsupportedType):  # text is not among the tenant's default types
        services.document_post(interaction=interaction, sender="customer", filename="a.txt", data=b"plain words")


def test_pdf_metadata_and_scripts_are_removed(world, conversation):
    import io

    import pikepdf

    interaction, _token = conversation
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = "Secret Author"
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    out = io.BytesIO()
    pdf.save(out)
    message = services.document_post(interaction=interaction, sender="customer", filename="offer.pdf", data=out.getvalue())
    from parley.files.services import file_read

    clean = file_read(stored=message.document.file)
    assert b"Secret Author" not in clean and b"app.alert" not in clean
    with pikepdf.open(io.BytesIO(clean)) as reopened:
        assert len(reopened.pages) == 1


def test_documents_too_large_or_switched_off_are_refused_and_nothing_is_stored(world, conversation):
    interaction, _token = conversation
    world.acme.document_max_mb = 1
    world.acme.save()
    with pytest.raises(services.TooLarge):
        services.document_post(
            interaction=interaction, sender="customer", filename="big.png", data=b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024)
        )
    world.acme.documents_enabled = False
    world.acme.save()
    interaction = Interaction.objects.select_related("tenant").get(pk=interaction.pk)
    with pytest.raises(services.FeatureOff):
        services.document_post(interaction=interaction, sender="customer", filename="a.png", data=png_bytes())
    assert not Document.objects.exists()


def test_p08_deleting_an_interaction_removes_everything_and_shreds_its_key(
    world, conversation, django_capture_on_commit_callbacks
):
    interaction, token = conversation
    message = services.document_post(interaction=interaction, sender="customer", filename="a.png", data=png_bytes())
    path = file_path(message.document.file)
    assert path.exists()
    interaction_id = interaction.id
    with django_capture_on_commit_callbacks(execute=True):
        services.interaction_delete(interaction=interaction)
    assert not Interaction.objects.exists() and not Message.objects.exists() and not Document.objects.exists()
    assert not VisitorAccess.objects.exists() and not SearchToken.objects.exists()
    assert not path.exists()
    key = DataKey.objects.get(scope_type="interaction", scope_id=interaction_id)
    assert key.destroyed_at is not None and key.wrapped == b""
    with pytest.raises(Unauthorised):
        access_visitor_interaction(tenant=world.acme, token=token)


@pytest.mark.django_db(transaction=True)
def test_realtime_events_are_published_only_after_commit(monkeypatch):
    from parley.core.testing import make_world

    world = make_world()
    sent = []
    monkeypatch.setattr(publish, "publish", lambda group, event: sent.append((group, event["frame"]["type"])))
    with transaction.atomic():
        interaction, _token, _m = start(world)
        services.message_post(interaction=interaction, sender="customer", body="Second")
        assert sent == []
    kinds = [kind for _group, kind in sent]
    assert kinds.count("message") == 2 and "inbox" in kinds
    sent.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.message_post(interaction=interaction, sender="customer", body="rolled back")
        raise RuntimeError
    assert sent == []

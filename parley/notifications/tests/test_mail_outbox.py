from django.db import connection

from parley.core.housekeeping import housekeeping_run
from parley.core.testing import World, client_for
from parley.crypto.models import DataKey
from parley.notifications.models import OutboxMail
from parley.notifications.services import mail_send


def _send(world: World, capture) -> OutboxMail:
    with capture(execute=True):
        return mail_send(
            tenant=world.acme, to="someone@acme.test", template="mail/password_reset.txt", context={"link": "x", "minutes": 60}
        )


def test_a_sent_mail_leaves_no_copy_outside_development(world: World, settings, smtp_server, django_capture_on_commit_callbacks):
    settings.PARLEY_DEV_OUTBOX = False
    mail = _send(world, django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1
    assert not OutboxMail.objects.filter(pk=mail.pk).exists()
    assert DataKey.objects.get(scope_type="mail", scope_id=mail.pk).destroyed_at is not None


def test_a_mail_that_cannot_be_sent_waits_encrypted_and_is_retried(
    world: World, settings, smtp_server, django_capture_on_commit_callbacks
):
    good = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    mail = _send(world, django_capture_on_commit_callbacks)
    stored = OutboxMail.objects.get(pk=mail.pk)
    assert stored.sent_at is None and stored.attempts == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient FROM notifications_outboxmail")
        assert b"someone@acme.test" not in bytes(cursor.fetchone()[0])
    settings.MAILERS = good
    OutboxMail.objects.filter(pk=mail.pk).update(updated_at="2000-01-01T00:00:00Z")
    assert housekeeping_run()["mails_retried"] == 1
    assert len(smtp_server.messages) == 1
    assert OutboxMail.objects.get(pk=mail.pk).sent_at is not None


def test_the_outbox_page_shows_only_the_tenants_own_mails(world: World, django_capture_on_commit_callbacks):
    _send(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        mail_send(
            tenant=world.globex, to="other@globex.test", template="mail/password_reset.txt", context={"link": "y", "minutes": 60}
        )
    page = client_for(world.acme_admin).get("/t/acme/admin/outbox/").content.decode()
    assert "someone@acme.test" in page
    assert "other@globex.test" not in page


def test_the_outbox_page_does_not_exist_outside_development(world: World, settings):
    settings.PARLEY_DEV_OUTBOX = False
    assert client_for(world.acme_admin).get("/t/acme/admin/outbox/").status_code == 404

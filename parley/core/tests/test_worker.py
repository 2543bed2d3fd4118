import time

import pytest

from parley.core.testing import make_world
from parley.notifications.models import OutboxMail
from parley.notifications.services import mail_send


def _reset_task_backends() -> None:
    # Django's task-backend handler caches its settings and backends and does not listen to setting changes.
    from asgiref.local import Local
    from django.tasks import task_backends

    task_backends.__dict__.pop("settings", None)
    setattr(task_backends, "_settings", None)  # noqa: B010 (private attributes the stubs do not declare)
    setattr(task_backends, "_connections", Local(task_backends.thread_critical))  # noqa: B010


@pytest.fixture
def database_task_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _reset_task_backends()
    yield
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    _reset_task_backends()


@pytest.mark.django_db(transaction=True)
def test_the_in_process_worker_delivers_queued_mail(database_task_queue, mailoutbox):
    """What `make run` relies on: `parley serve --with-worker` runs the database task queue in the same process."""
    world = make_world()
    mail = mail_send(
        tenant=world.acme, to="queued@acme.test", template="mail/password_reset.txt", context={"link": "x", "minutes": 60}
    )
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 1  # queued, not sent inline
    assert OutboxMail.objects.get(pk=mail.pk).sent_at is None

    from parley.core.worker import start_in_background

    stop = start_in_background(tick=3600)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and OutboxMail.objects.get(pk=mail.pk).sent_at is None:
            time.sleep(0.2)
    finally:
        stop.set()
    assert OutboxMail.objects.get(pk=mail.pk).sent_at is not None
    assert [m.to for m in mailoutbox] == [["queued@acme.test"]]

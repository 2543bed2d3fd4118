import io
import json
import re
import zipfile

import pytest
from django.core.cache import cache
from django.test import Client

from parley.core.testing import client_for
from parley.dsr.models import DataSubjectRequest
from parley.dsr.selectors import token_hash
from parley.dsr.services import request_confirm, request_submit
from parley.interactions.models import Side
from parley.interactions.services import document_post, message_post
from parley.interactions.tests.conftest import png_bytes, start


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def mail_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://\S+", body)
    assert match is not None
    return match.group(0).removeprefix("http://127.0.0.1:8000")


def mail_body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def conversation_of(world, *, email="carla@example.test", name="Carla Customer", tenant=None, expert=None):
    """A conversation with a message each way and a document from the customer; returns (interaction, token)."""
    interaction, token, _first = start(world, tenant=tenant, expert=expert, name=name, email=email, body=f"Hello from {name}")
    message_post(interaction=interaction, sender=Side.EXPERT, body="How can I help?", author=interaction.expert)
    document_post(interaction=interaction, sender=Side.CUSTOMER, filename="payslip.png", data=png_bytes())
    interaction.refresh_from_db()
    return interaction, token


def confirmed_request(world, *, email="carla@example.test", right="access", text="Please send me my data.", tenant=None):
    """A request submitted and confirmed through the services (the HTTP path has its own tests)."""
    import secrets
    from unittest import mock

    tenant = tenant or world.acme
    token = secrets.token_urlsafe(32)
    with mock.patch("parley.dsr.services.secrets.token_urlsafe", return_value=token):
        request_submit(tenant=tenant, email=email, text=text, right=right, name="Carla")
    assert DataSubjectRequest.objects.filter(token_hash=token_hash(token)).exists()
    return request_confirm(tenant=tenant, token=token)


def admin_client(world):
    return client_for(world.acme_admin)


def unzip(content: bytes) -> tuple[dict, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return json.loads(archive.read("data.json")), archive


__all__ = ["Client", "admin_client", "confirmed_request", "conversation_of", "mail_body", "mail_link", "unzip"]

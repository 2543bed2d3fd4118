"""Shared test personas: two tenants with an administrator and an expert each.

acme_admin    manages Acme: may see and change everything of Acme, nothing of Globex.
acme_expert   advises for Acme: sees their own profile, no admin pages, nothing of Globex.
globex_admin  manages Globex: must never reach Acme's objects (404, as if they did not exist).
globex_expert advises for Globex.
"""

from dataclasses import dataclass

from django.test import Client

from parley.accounts.models import User
from parley.accounts.services import user_create
from parley.tenants.models import Tenant
from parley.tenants.services import tenant_create

PASSWORD = "correct-horse-battery-42"


@dataclass
class World:
    acme: Tenant
    globex: Tenant
    acme_admin: User
    acme_expert: User
    globex_admin: User
    globex_expert: User


def make_world() -> World:
    acme = tenant_create(slug="acme", name="Acme Bank")
    globex = tenant_create(slug="globex", name="Globex Insurance")
    return World(
        acme=acme,
        globex=globex,
        acme_admin=user_create(tenant=acme, name="Ada Admin", email="ada@acme.test", password=PASSWORD, role="admin"),
        acme_expert=user_create(tenant=acme, name="Eve Expert", email="eve@acme.test", password=PASSWORD, role="expert"),
        globex_admin=user_create(tenant=globex, name="Gus Admin", email="gus@globex.test", password=PASSWORD, role="admin"),
        globex_expert=user_create(tenant=globex, name="Gil Expert", email="gil@globex.test", password=PASSWORD, role="expert"),
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="parley.accounts.backends.TenantEmailBackend")
    return client

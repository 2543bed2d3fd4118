from django.http import HttpRequest

from parley.accounts.models import User
from parley.tenants.models import Tenant


class PortalRequest(HttpRequest):
    """A request that passed portal_view: a signed-in, active member of `tenant`."""

    user: User
    tenant: Tenant

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from parley.core.exceptions import NotFound, PermissionDenied
from parley.tenants.models import Membership, Tenant

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from parley.accounts.models import User


def tenant_get_by_slug(*, slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise NotFound(_("No such organisation."))
    return tenant


def access_tenant(*, actor: "User | AnonymousUser", slug: str, role: str | None = None) -> Tenant:
    """The tenant `slug` if `actor` is an active member of it (with `role`, if given).

    Another tenant's slug gives the same NotFound as an unknown one; a member with the wrong role gets
    PermissionDenied (it already knows the tenant exists)."""
    if actor is None or not actor.is_authenticated:
        raise NotFound(_("No such organisation."))
    if not actor.is_active:
        raise NotFound(_("No such organisation."))
    if actor.tenant.slug != slug:
        raise NotFound(_("No such organisation."))
    membership = Membership.objects.filter(user=actor, tenant_id=actor.tenant_id).first()
    if membership is None:
        raise NotFound(_("No such organisation."))
    if role is not None and membership.role != role:
        raise PermissionDenied(_("Your role does not allow this."))
    return actor.tenant


def embed_script_url(*, tenant: Tenant) -> str:
    """The absolute address of the loader a tenant's website includes."""
    return f"{settings.PARLEY_BASE_URL}/embed/{tenant.slug}.js"


def embed_snippet(*, tenant: Tenant) -> str:
    """The one line a tenant pastes into its website's pages."""
    return f'<script src="{embed_script_url(tenant=tenant)}" async></script>'

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from parley.core.exceptions import NotFound, PermissionDenied
from parley.tenants.models import Tenant
from parley.tenants.selectors import access_tenant, tenant_get_by_slug

View = Callable[..., HttpResponse]


def public_tenant_or_404(slug: str) -> Tenant:
    """The tenant of a public page (no login): an unknown slug is a plain 404."""
    try:
        return tenant_get_by_slug(slug=slug)
    except NotFound:
        raise Http404 from None


def portal_view(*, role: str | None = None, allow_without_second_factor: bool = False) -> Callable[[View], View]:
    """Resolve the tenant from the URL for a signed-in member: other tenant → 404, wrong role → 403.

    The view receives (request, tenant, ...). Where the tenant demands two-factor authentication and the user has
    none yet, every portal page except the set-up page sends them to set it up."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                try:
                    tenant_get_by_slug(slug=slug)
                except NotFound:
                    raise Http404 from None
                if request.headers.get("HX-Request"):
                    # htmx would swap the login page into the panel; make it navigate instead.
                    from django.urls import reverse

                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("accounts:login", kwargs={"slug": slug})
                    return response
                return redirect("accounts:login", slug=slug)
            try:
                tenant = access_tenant(actor=request.user, slug=slug, role=role)
            except NotFound:
                raise Http404 from None
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            if tenant.require_two_factor and not allow_without_second_factor:
                from parley.accounts.services import has_confirmed_totp

                if not has_confirmed_totp(request.user):
                    return redirect("accounts:two_factor_setup", slug=slug)
            request.tenant = tenant  # type: ignore[attr-defined]
            return view(request, tenant, *args, **kwargs)

        return wrapped

    return decorator


def home_url_for(user: Any) -> str:
    from django.urls import reverse

    if user.role == "admin":
        return reverse("portal_admin:dashboard", kwargs={"slug": user.tenant.slug})
    return reverse("portal_expert:profile", kwargs={"slug": user.tenant.slug})

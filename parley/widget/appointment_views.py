"""The customer's appointment page, reached from the link in every appointment mail (no account)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from parley.core.exceptions import NotFound
from parley.scheduling.services import access_managed_appointment
from parley.tenants.selectors import tenant_get_by_slug


@never_cache
def manage_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    try:
        tenant = tenant_get_by_slug(slug=slug)
        appointment = access_managed_appointment(tenant=tenant, token=token)
    except NotFound:
        raise Http404 from None
    return render(request, "widget/appointment.html", {"tenant": tenant, "appointment": appointment})

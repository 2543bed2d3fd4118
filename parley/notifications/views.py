from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render

from parley.notifications.models import OutboxMail
from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.tenants.models import Tenant


@portal_view(role="admin")
def outbox_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    """Development outbox: the mails this installation sent for the tenant (make run has no mail server)."""
    if not settings.PARLEY_DEV_OUTBOX:
        raise Http404
    mails = OutboxMail.objects.filter(tenant=tenant, sent_at__isnull=False)[:50]
    return render(request, "notifications/outbox.html", {"tenant": tenant, "mails": mails})

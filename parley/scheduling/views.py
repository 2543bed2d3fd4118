from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.scheduling.models import Appointment
from parley.tenants.models import Tenant


@portal_view()
def week_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    start = timezone.now() - timedelta(days=1)
    appointments = Appointment.objects.filter(tenant=tenant, starts_at__gte=start, starts_at__lt=start + timedelta(days=8))
    if request.user.role != "admin":
        appointments = appointments.filter(expert=request.user)
    return render(request, "scheduling/week.html", {"tenant": tenant, "appointments": appointments.select_related("interaction")})

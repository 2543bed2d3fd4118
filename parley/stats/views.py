"""Admin portal: anonymous statistics (P10). Only administrators; another tenant gets 404, an expert 403."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.stats.forms import RangeForm
from parley.stats.selectors import MIN_CELL, stats_report
from parley.tenants.models import Tenant


@portal_view(role="admin")
@require_GET
def stats_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    given = any(k in request.GET for k in ("start", "end", "metric"))
    form = RangeForm(request.GET if given else None, initial=RangeForm.defaults())
    if given and not form.is_valid():
        context = {"tenant": tenant, "form": form, "report": None, "min_cell": MIN_CELL}
        return render(request, "stats/report.html", context, status=400)
    values = form.cleaned_data if given else RangeForm.defaults()
    report = stats_report(tenant=tenant, start=values["start"], end=values["end"], chart_metric=values["metric"])
    return render(request, "stats/report.html", {"tenant": tenant, "form": form, "report": report, "min_cell": MIN_CELL})

"""The one-click withdrawal page: the link from a mail or confirmation page opens it, one button withdraws.

No login: the random token in the link is the credential (only its hash is stored). A GET never changes anything,
so mail scanners that open links withdraw nothing; the button POSTs. The view is CSRF-exempt on purpose: without
the token a forged POST cannot name a consent, and mail clients' RFC 8058 one-click POST
("List-Unsubscribe=One-Click") carries no CSRF token.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from parley.consent.selectors import consent_active, consent_get_by_token, subject_of
from parley.consent.services import consent_withdraw_by_token
from parley.core.exceptions import NotFound
from parley.tenants.models import Tenant
from parley.tenants.selectors import tenant_get_by_slug


def _tenant_or_404(slug: str) -> Tenant:
    try:
        return tenant_get_by_slug(slug=slug)
    except NotFound:
        raise Http404 from None


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"  # the token is in this page's URL
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def withdraw_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    tenant = _tenant_or_404(slug)
    try:
        if request.method == "POST":
            record, ended = consent_withdraw_by_token(tenant=tenant, token=token)
            state = "done" if ended else "already"
        else:
            record = consent_get_by_token(tenant=tenant, token=token)
            state = "confirm" if consent_active(subject=subject_of(record), scope=record.scope) else "already"
    except NotFound as exc:
        context = {"tenant": tenant, "message": exc.message}
        return _private(render(request, "consent/invalid.html", context, status=404))
    context = {"tenant": tenant, "record": record, "state": state, "scope": record.get_scope_display()}
    if state == "done":
        context["message"] = _("Your consent has been withdrawn.")
    return _private(render(request, "consent/withdraw.html", context))

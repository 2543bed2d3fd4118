from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from parley.tenants.models import slug_validator


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 once the database answers, 503 otherwise. Says nothing else about the installation."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    body: dict[str, object] = {"status": "ok", "database": "up"}
    if _is_admin(request):
        # Details for a signed-in administrator only: the retention reconciliation (G20), per category.
        from parley.privacy.retention import reconcile

        checks = reconcile()
        body["retention"] = {"ok": all(c.ok for c in checks), "categories": [c.as_dict() for c in checks]}
    return JsonResponse(body)


def _is_admin(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_authenticated
        and (getattr(user, "is_superuser", False) or getattr(user, "role", None) == "admin")
    )


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Entry page: name your organisation to reach its portal login."""
    if request.user.is_authenticated:
        from parley.portals.decorators import home_url_for

        return redirect(home_url_for(request.user))
    error = ""
    slug = (request.POST.get("organisation") or request.GET.get("organisation") or "").strip().lower()
    if slug:
        from django.core.exceptions import ValidationError

        try:
            slug_validator(slug)
        except ValidationError:
            error = "invalid"
        else:
            return redirect("accounts:login", slug=slug)
    return render(request, "core/home.html", {"error": error}, status=400 if error else 200)

"""Error pages: a short message, never a stack trace."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        import json

        return HttpResponse(json.dumps({"message": title, "extra": {}}), status=status, content_type="application/json")
    body: str
    try:
        body = render_to_string("portals/error.html", {"title": title, "text": text, "status": status}, request=request)
    except Exception:
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 400, _("Bad request"), _("The request could not be understood."))


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 403, _("Not allowed"), _("Your role does not allow this page."))


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 404, _("Not found"), _("There is nothing here."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500, _("Something went wrong"), _("The error was recorded. Please try again later."))

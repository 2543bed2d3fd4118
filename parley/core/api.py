"""The JSON API (django-ninja, OpenAPI schema at /api/v1/openapi.json). Errors share one shape: {"message": ..., "extra": ...}."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from parley.core.exceptions import ApplicationError

# No docs page: it would load Swagger UI from a third-party CDN. The schema is at /api/v1/openapi.json.
api = NinjaAPI(title="Parley API", version="1", urls_namespace="api", docs_url=None)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, {"message": exc.message, "extra": exc.extra}, status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"message": gettext("Invalid input."), "extra": {"errors": exc.errors}}, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"message": gettext("Sign-in or a valid token is required."), "extra": {}}, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"message": str(exc), "extra": {}}, status=exc.status_code)


def _routers() -> None:
    from parley.dsr.apis import router as dsr_router
    from parley.experts.apis import router as experts_router
    from parley.interactions.apis import router as widget_router
    from parley.scheduling.apis import router as scheduling_router

    api.add_router("/", experts_router)
    api.add_router("/", widget_router)
    api.add_router("/", scheduling_router)
    api.add_router("/", dsr_router)


_routers()

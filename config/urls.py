from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from parley.core import views as core_views
from parley.core.api import api
from parley.tenants import views as tenant_views

tenant_patterns: list[URLPattern | URLResolver] = [
    path("", include("parley.accounts.urls")),
    path("logo/", tenant_views.logo_view, name="tenant_logo"),
    path("brand.css", tenant_views.brand_css_view, name="tenant_brand_css"),
    path("admin/holds/", include("parley.holds.urls")),
    path("admin/stats/", include("parley.stats.urls")),
    path("admin/", include("parley.tenants.urls")),
    path("expert/", include("parley.experts.urls")),
    path("", include("parley.interactions.urls")),
    path("", include("parley.scheduling.urls")),
    path("", include("parley.scheduling.calendars.urls")),
    path("", include("parley.dsr.urls")),
    path("", include("parley.privacy.urls")),
    path("consent/", include("parley.consent.urls")),
    path("", include("parley.careers.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("t/<str:slug>/", include(tenant_patterns)),
    path("", include("parley.widget.urls")),
]

handler400 = "parley.portals.errors.bad_request"
handler403 = "parley.portals.errors.forbidden"
handler404 = "parley.portals.errors.not_found"
handler500 = "parley.portals.errors.server_error"

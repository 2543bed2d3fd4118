from django.urls import path

from parley.careers import views

app_name = "careers"

urlpatterns = [
    path("careers/", views.careers_view, name="index"),
    path("careers/<uuid:position_id>/apply/", views.apply_view, name="apply"),
    path("admin/applications/", views.list_view, name="applications"),
    path("admin/applications/positions/", views.positions_view, name="positions"),
    path("admin/applications/positions/<uuid:position_id>/open/", views.position_open_view, name="position_open"),
    path("admin/applications/<uuid:application_id>/", views.detail_view, name="application"),
    path("admin/applications/<uuid:application_id>/action/", views.action_view, name="action"),
    path("admin/applications/<uuid:application_id>/file/<str:kind>/", views.file_view, name="file"),
]

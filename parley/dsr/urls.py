from django.urls import path

from parley.dsr import views

app_name = "dsr"

urlpatterns = [
    path("privacy/request/", views.request_view, name="request"),
    path("privacy/request/confirm/<str:token>/", views.confirm_view, name="confirm"),
    path("admin/requests/", views.queue_view, name="queue"),
    path("admin/requests/<uuid:request_id>/", views.detail_view, name="detail"),
    path("admin/requests/<uuid:request_id>/action/", views.action_view, name="action"),
    path("admin/requests/<uuid:request_id>/export/", views.export_view, name="export"),
]

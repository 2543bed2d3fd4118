from django.urls import path

from parley.notifications.views import outbox_view
from parley.tenants import views

app_name = "portal_admin"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("settings/", views.settings_view, name="settings"),
    path("people/", views.members_view, name="members"),
    path("people/<uuid:user_id>/active/", views.member_deactivate_view, name="member_active"),
    path("people/<uuid:user_id>/delete/", views.member_delete_view, name="member_delete"),
    path("invitations/<uuid:invitation_id>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("outbox/", outbox_view, name="outbox"),
]

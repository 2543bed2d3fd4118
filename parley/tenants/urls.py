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
    path("people/<uuid:user_id>/widget/", views.expert_widget_view, name="expert_widget"),
    path("invitations/<uuid:invitation_id>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("outbox/", outbox_view, name="outbox"),
    path("widget/", views.widget_view, name="widget"),
    path("topics/", views.topics_view, name="topics"),
    path("topics/<uuid:topic_id>/", views.topic_edit_view, name="topic_edit"),
    path("topics/<uuid:topic_id>/delete/", views.topic_delete_view, name="topic_delete"),
]

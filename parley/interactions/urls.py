from django.urls import path

from parley.interactions import views

app_name = "interactions"

urlpatterns = [
    path("conversations/", views.inbox_view, name="inbox"),
    path("conversations/<uuid:interaction_id>/", views.conversation_view, name="conversation"),
    path("conversations/<uuid:interaction_id>/reply/", views.reply_view, name="reply"),
    path("conversations/<uuid:interaction_id>/upload/", views.upload_view, name="upload"),
    path("conversations/<uuid:interaction_id>/transfer/", views.transfer_view, name="transfer"),
    path("conversations/<uuid:interaction_id>/status/", views.status_view, name="status"),
    path("conversations/<uuid:interaction_id>/delete/", views.delete_view, name="delete"),
    path("conversations/<uuid:interaction_id>/documents/<uuid:document_id>/", views.document_view, name="document"),
]

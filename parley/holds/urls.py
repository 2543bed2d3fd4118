from django.urls import path

from parley.holds import views

app_name = "holds"

urlpatterns = [
    path("", views.hold_list_view, name="list"),
    path("conversations/<uuid:interaction_id>/", views.hold_interaction_view, name="place_interaction"),
    path("people/<uuid:user_id>/", views.hold_user_view, name="place_user"),
    path("<uuid:hold_id>/", views.hold_detail_view, name="detail"),
    path("<uuid:hold_id>/documents/<uuid:document_id>/", views.hold_document_view, name="document"),
    path("<uuid:hold_id>/release/", views.hold_release_view, name="release"),
]

from django.urls import path

from parley.experts import views

app_name = "portal_expert"

urlpatterns = [
    path("", views.profile_view, name="profile"),
    path("photo/", views.photo_view, name="photo"),
    path("status/", views.status_view, name="status"),
    path("photos/<uuid:profile_id>/", views.photo_file_view, name="photo_file"),
]

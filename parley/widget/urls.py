from django.urls import path

from parley.widget import appointment_views, views

app_name = "widget"

urlpatterns = [
    path("embed/<str:slug>.js", views.loader_view, name="loader"),
    path("w/<str:slug>/", views.app_view, name="app"),
    path("w/<str:slug>/privacy/", views.privacy_view, name="privacy"),
    path("w/<str:slug>/experts/<uuid:profile_id>/photo", views.expert_photo_view, name="expert_photo"),
    path("w/<str:slug>/appointments/<str:token>/", appointment_views.manage_view, name="appointment"),
    path("demo/", views.demo_view, name="demo"),
    path("demo/<str:page>/", views.demo_view, name="demo_page"),
]

from django.urls import path

from parley.privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.notice_view, name="notice"),
]

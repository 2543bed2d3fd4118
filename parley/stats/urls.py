from django.urls import path

from parley.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.stats_view, name="report"),
]

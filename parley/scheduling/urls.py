from django.urls import path

from parley.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("appointments/", views.week_view, name="week"),
]

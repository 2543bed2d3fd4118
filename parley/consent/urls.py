from django.urls import path

from parley.consent import views

app_name = "consent"

urlpatterns = [
    path("withdraw/<str:token>/", views.withdraw_view, name="withdraw"),
]

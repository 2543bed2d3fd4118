from django.urls import path

from parley.scheduling.calendars import views

app_name = "calendars"

urlpatterns = [
    path("calendars/", views.list_view, name="list"),
    path("calendars/connect/", views.connect_view, name="connect"),
    path("calendars/oauth/callback/", views.callback_view, name="callback"),
    path("calendars/caldav/", views.caldav_view, name="caldav"),
    path("calendars/<uuid:connection_id>/sync/", views.sync_view, name="sync"),
    path("calendars/<uuid:connection_id>/unlink/", views.unlink_view, name="unlink"),
]

from django.urls import path

from parley.scheduling import views

app_name = "scheduling"

urlpatterns = [
    # Experts (their own) and admins (everyone's)
    path("appointments/", views.week_view, name="week"),
    path("appointments/<uuid:appointment_id>/", views.appointment_view, name="appointment"),
    path("appointments/<uuid:appointment_id>/accept/", views.accept_view, name="accept"),
    path("appointments/<uuid:appointment_id>/decline/", views.decline_view, name="decline"),
    path("appointments/<uuid:appointment_id>/propose/", views.propose_view, name="propose"),
    path("appointments/<uuid:appointment_id>/cancel/", views.cancel_view, name="cancel"),
    # Experts
    path("appointments/availability/", views.availability_view, name="availability"),
    path("appointments/availability/extra/", views.extra_hours_add_view, name="extra_hours_add"),
    path(
        "appointments/availability/extra/<uuid:extra_hours_id>/delete/", views.extra_hours_delete_view, name="extra_hours_delete"
    ),
    path("appointments/availability/absences/", views.absence_add_view, name="absence_add"),
    path("appointments/availability/absences/<uuid:absence_id>/delete/", views.absence_delete_view, name="absence_delete"),
    path("appointments/availability/types/<uuid:type_id>/", views.type_setting_view, name="type_setting"),
    # Admins
    path("appointments/types/", views.types_view, name="types"),
    path("appointments/types/<uuid:type_id>/", views.type_edit_view, name="type_edit"),
    path("appointments/types/<uuid:type_id>/delete/", views.type_delete_view, name="type_delete"),
    path("appointments/booking-settings/", views.booking_settings_view, name="booking_settings"),
    path("appointments/mails/", views.mails_view, name="mails"),
    path("appointments/mails/<uuid:mail_id>/retry/", views.mail_retry_view, name="mail_retry"),
]

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "parley.consent"
    label = "consent"

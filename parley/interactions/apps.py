from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "parley.interactions"
    label = "interactions"

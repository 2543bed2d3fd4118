from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "parley.experts"
    label = "experts"

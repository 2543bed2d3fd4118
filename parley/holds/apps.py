from django.apps import AppConfig


class HoldsConfig(AppConfig):
    name = "parley.holds"
    label = "holds"
    verbose_name = "Legal holds"

from django.apps import AppConfig


class DsrConfig(AppConfig):
    name = "parley.dsr"
    label = "dsr"
    verbose_name = "Data-subject requests"

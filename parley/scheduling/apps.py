from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "parley.scheduling"
    label = "scheduling"

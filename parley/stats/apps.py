from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "parley.stats"
    label = "stats"
    verbose_name = "Anonymous statistics"

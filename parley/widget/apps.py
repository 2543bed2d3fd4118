from django.apps import AppConfig


class WidgetConfig(AppConfig):
    name = "parley.widget"
    label = "widget"

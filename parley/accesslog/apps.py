from django.apps import AppConfig


class AccessLogConfig(AppConfig):
    name = "parley.accesslog"
    label = "accesslog"

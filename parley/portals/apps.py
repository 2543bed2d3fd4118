from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "parley.portals"
    label = "portals"

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "parley.tenants"
    label = "tenants"

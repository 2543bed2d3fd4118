from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "parley.crypto"
    label = "crypto"

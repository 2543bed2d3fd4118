from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "parley.crypto"
    label = "crypto"

    def ready(self) -> None:
        from parley.crypto import checks  # noqa: F401  (registers the key check)

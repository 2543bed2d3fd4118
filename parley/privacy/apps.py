from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "parley.privacy"
    label = "privacy"

    def ready(self) -> None:
        from parley.privacy import checks  # noqa: F401  (registers the system check)

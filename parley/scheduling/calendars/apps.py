from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    """Calendar sync (P12). No models of its own (they live in parley.scheduling); an app for its templates and the
    write-back signal."""

    name = "parley.scheduling.calendars"
    label = "calendars"

    def ready(self) -> None:
        from parley.scheduling.calendars import signals  # noqa: F401

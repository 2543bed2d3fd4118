def declarations_loaded() -> None:
    """Import every installed parley app's privacy.py, where models are declared."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("parley.") and find_spec(f"{config.name}.privacy"):
            import_module(f"{config.name}.privacy")

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register("security")
def keyring_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The key-encryption keys load (or, locally, are generated) before anything is served."""
    from parley.crypto.keyring import get_keyring

    try:
        get_keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="parley.E100")]
    return []

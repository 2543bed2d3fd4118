"""One error hierarchy for domain failures; views and APIs map it to a 4xx with a message."""

from typing import Any


class ApplicationError(Exception):
    status = 400

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotFound(ApplicationError):
    """Raised alike for a missing object and for one in another tenant, so existence does not leak."""

    status = 404


class PermissionDenied(ApplicationError):
    status = 403

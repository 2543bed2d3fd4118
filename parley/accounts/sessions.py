"""Database sessions that remember their user id, so every session of an account can be ended at once."""

from typing import TYPE_CHECKING, Any

from django.contrib.sessions.backends.db import SessionStore as DBStore

if TYPE_CHECKING:
    from parley.accounts.models import PortalSession


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):  # type: ignore[no-untyped-def]
        from parley.accounts.models import PortalSession

        return PortalSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj: PortalSession = super().create_model_instance(data)  # type: ignore[assignment]
        obj.user_id = data.get("_auth_user_id")  # PortalSession's own column
        return obj


def sessions_end_for_user(user_id: Any) -> int:
    from parley.accounts.models import PortalSession

    deleted, _ = PortalSession.objects.filter(user_id=user_id).delete()
    return deleted

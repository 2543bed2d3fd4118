import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from parley.realtime.models import Presence


def _fresh() -> object:
    return timezone.now() - timedelta(seconds=settings.PARLEY_PRESENCE_TIMEOUT)


def users_connected(*, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these accounts have a portal socket whose heartbeat is recent."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(Presence.objects.filter(user_id__in=ids, seen_at__gte=_fresh()).values_list("user_id", flat=True))


def visitor_connected(*, interaction_id: uuid.UUID) -> bool:
    return Presence.objects.filter(interaction_id=interaction_id, user__isnull=True, seen_at__gte=_fresh()).exists()

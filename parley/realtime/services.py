import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from parley.realtime.models import Presence


def presence_join(
    *, channel_name: str, tenant_id: uuid.UUID, user_id: uuid.UUID | None = None, interaction_id: uuid.UUID | None = None
) -> None:
    Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"tenant_id": tenant_id, "user_id": user_id, "interaction_id": interaction_id, "seen_at": timezone.now()},
    )


def presence_beat(*, channel_name: str) -> None:
    Presence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def presence_leave(*, channel_name: str) -> None:
    Presence.objects.filter(channel_name=channel_name).delete()


def presences_prune() -> int:
    """Rows of connections that died with their process."""
    cutoff = timezone.now() - timedelta(seconds=settings.PARLEY_PRESENCE_TIMEOUT * 5)
    return Presence.objects.filter(seen_at__lt=cutoff).delete()[0]

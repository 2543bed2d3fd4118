"""Write-back (off by default): when an appointment is booked, moved, confirmed or cancelled and its expert has a
write-back calendar in a tenant that allows it, a task after commit puts it into (or takes it out of) that calendar."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from parley.scheduling.models import Appointment, CalendarConnection

WATCHED = {"status", "starts_at", "ends_at"}


@receiver(post_save, sender=Appointment, dispatch_uid="calendars_write_back")
def appointment_saved(sender: type, instance: Appointment, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if not created and update_fields is not None and not WATCHED & set(update_fields):
        return
    if instance.expert_id is None:
        return
    if not CalendarConnection.objects.filter(
        expert_id=instance.expert_id, write_back=True, tenant__calendar_write_back=True
    ).exists():
        return
    from parley.scheduling.calendars.tasks import write_back

    appointment_id = str(instance.id)
    transaction.on_commit(lambda: write_back.enqueue(appointment_id=appointment_id), robust=True)

from django.tasks import task

from parley.scheduling.calendars.services import appointment_write_back


@task
def write_back(*, appointment_id: str) -> int:
    return appointment_write_back(appointment_id=appointment_id)

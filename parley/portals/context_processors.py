from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {"dev_outbox": settings.PARLEY_DEV_OUTBOX}

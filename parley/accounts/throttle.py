"""Lock-out after repeated failures, keyed on (account, client) so nobody can lock an expert out from elsewhere.

The key is HMAC(SECRET_KEY, tenant|e-mail|client address): neither the address nor the IP is stored, and rows
expire with their window. Failures for an unknown address are counted the same way (no account enumeration).
"""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parley.accounts.models import LoginThrottle
from parley.crypto.blind_index import normalise_email


def throttle_key(*, tenant_id: object, email: str, client: str, purpose: str = "login") -> str:
    message = f"{purpose}|{tenant_id}|{normalise_email(email)}|{client}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def client_address(request) -> str:  # type: ignore[no-untyped-def]
    # Behind a proxy, uvicorn's --proxy-headers / --forwarded-allow-ips sets REMOTE_ADDR from the trusted hop only;
    # X-Forwarded-For itself is never read here (it can be spoofed).
    return request.META.get("REMOTE_ADDR", "")


def is_locked(key: str) -> bool:
    row = LoginThrottle.objects.filter(key=key).first()
    return bool(row and row.locked_until and row.locked_until > timezone.now())


def failure_record(key: str) -> bool:
    """Count a failure; return True if the (account, client) pair is now locked."""
    now = timezone.now()
    window = timedelta(minutes=settings.PARLEY_LOGIN_LOCK_MINUTES)
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(key=key, defaults={"window_started_at": now})
        if row.window_started_at < now - window:
            row.failures = 0
            row.window_started_at = now
            row.locked_until = None
        row.failures += 1
        if row.failures >= settings.PARLEY_LOGIN_MAX_FAILURES:
            row.locked_until = now + window
        row.save()
        return row.locked_until is not None and row.locked_until > now


def failures_reset(key: str) -> None:
    LoginThrottle.objects.filter(key=key).delete()


def throttles_prune() -> int:
    cutoff = timezone.now() - timedelta(minutes=settings.PARLEY_LOGIN_LOCK_MINUTES)
    deleted, _ = LoginThrottle.objects.filter(window_started_at__lt=cutoff).exclude(locked_until__gt=timezone.now()).delete()
    return deleted

"""Fixed-window rate limits for anonymous endpoints, counted in the cache (local memory, or Redis when REDIS_URL is
set so every process shares the count). Keys are HMACs: no address or token is stored or logged."""

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from parley.core.exceptions import ApplicationError


class TooManyRequests(ApplicationError):
    status = 429


def rate_limit(*, scope: str, key: str, limit: int, window: int) -> None:
    """Allow `limit` hits per `window` seconds for (scope, key); raise TooManyRequests beyond that."""
    if not settings.PARLEY_RATE_LIMITS:
        return
    bucket = int(time.time() // window)
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}|{key}".encode(), hashlib.sha256).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise TooManyRequests(_("Too many requests. Please wait a moment and try again."), {"retry_after": window})

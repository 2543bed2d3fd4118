"""Envelope encryption: one data key per scope (tenant, person, interaction, ...), wrapped by the active KEK.

Unwrapped keys are cached per process for a short time; destroying a key evicts it here at once, and other
processes stop using it when their cache entry expires (CACHE_SECONDS) - the rows it protected are deleted in
the same transaction anyway, so the cache only ever serves data that still exists.
"""

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from parley.crypto import aead
from parley.crypto.keyring import get_keyring
from parley.crypto.models import DataKey

logger = logging.getLogger("parley.security")

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Scope:
    tenant_id: uuid.UUID
    scope_type: str
    scope_id: uuid.UUID


class _KeyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[uuid.UUID, tuple[bytes, float]] = {}
        self._by_scope: dict[tuple[str, uuid.UUID], uuid.UUID] = {}

    def get(self, key_id: uuid.UUID) -> bytes | None:
        with self._lock:
            entry = self._by_id.get(key_id)
            if entry is None or entry[1] < time.monotonic():
                self._by_id.pop(key_id, None)
                return None
            return entry[0]

    def scope_key_id(self, scope: Scope) -> uuid.UUID | None:
        with self._lock:
            return self._by_scope.get((scope.scope_type, scope.scope_id))

    def put(self, key_id: uuid.UUID, scope: tuple[str, uuid.UUID], dek: bytes) -> None:
        with self._lock:
            if len(self._by_id) > 10_000:
                self._by_id.clear()
                self._by_scope.clear()
            self._by_id[key_id] = (dek, time.monotonic() + CACHE_SECONDS)
            self._by_scope[scope] = key_id

    def evict(self, key_ids: list[uuid.UUID]) -> None:
        with self._lock:
            for key_id in key_ids:
                self._by_id.pop(key_id, None)
            self._by_scope = {s: k for s, k in self._by_scope.items() if k not in key_ids}

    def clear(self) -> None:
        with self._lock:
            self._by_id.clear()
            self._by_scope.clear()


key_cache = _KeyCache()


def _wrap_aad(key: DataKey) -> bytes:
    return f"parley-dek|{key.id}|{key.tenant_id}|{key.scope_type}|{key.scope_id}".encode()


def _unwrap(key: DataKey) -> bytes:
    if key.destroyed_at is not None:
        raise aead.DecryptionError("The data key was destroyed: this value has been erased.")
    ring = get_keyring()
    try:
        kek = ring.kek(key.kek_version)
    except Exception:
        raise aead.DecryptionError(f"Key-encryption key version {key.kek_version} is not configured.") from None
    return aead.unseal(key=kek, blob=bytes(key.wrapped), aad=_wrap_aad(key))


def _wrap(key: DataKey, dek: bytes, version: int) -> bytes:
    kek = get_keyring().kek(version)
    return aead.seal(key_id=key.id, key=kek, plaintext=dek, aad=_wrap_aad(key))


def data_key_for_scope(scope: Scope) -> tuple[uuid.UUID, bytes]:
    """The (key id, key) that new values in this scope are encrypted with; created on first use."""
    cached_id = key_cache.scope_key_id(scope)
    if cached_id is not None:
        dek = key_cache.get(cached_id)
        if dek is not None:
            return cached_id, dek
    key = DataKey.objects.filter(scope_type=scope.scope_type, scope_id=scope.scope_id).first()
    if key is None:
        key = _data_key_create(scope)
    if key.tenant_id != scope.tenant_id:
        raise aead.DecryptionError("The data key belongs to another tenant.")
    dek = _unwrap(key)
    key_cache.put(key.id, (key.scope_type, key.scope_id), dek)
    return key.id, dek


def _data_key_create(scope: Scope) -> DataKey:
    import secrets

    version = get_keyring().active_version
    key = DataKey(tenant_id=scope.tenant_id, scope_type=scope.scope_type, scope_id=scope.scope_id, kek_version=version)
    key.wrapped = _wrap(key, secrets.token_bytes(32), version)
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:
        # Created concurrently by another request: use that one.
        return DataKey.objects.get(scope_type=scope.scope_type, scope_id=scope.scope_id)
    return key


def data_key_by_id(key_id: uuid.UUID, *, tenant_id: uuid.UUID) -> bytes:
    dek = key_cache.get(key_id)
    if dek is not None:
        return dek
    key = DataKey.objects.filter(id=key_id).first()
    if key is None:
        raise aead.DecryptionError("The data key does not exist: this value has been erased.")
    if key.tenant_id != tenant_id:
        raise aead.DecryptionError("The data key belongs to another tenant.")
    dek = _unwrap(key)
    key_cache.put(key.id, (key.scope_type, key.scope_id), dek)
    return dek


def data_keys_destroy(*, scope_type: str, scope_ids: list[uuid.UUID]) -> int:
    """Crypto-shred: forget the wrapped keys of these scopes. Everything encrypted under them, in any copy of the
    database or file store (backups included), becomes unreadable. Irreversible."""
    keys = list(DataKey.objects.filter(scope_type=scope_type, scope_id__in=scope_ids, destroyed_at__isnull=True))
    ids = [k.id for k in keys]
    count = DataKey.objects.filter(id__in=ids).update(wrapped=b"", destroyed_at=timezone.now())
    key_cache.evict(ids)
    transaction.on_commit(lambda: key_cache.evict(ids))
    return count


@dataclass
class RotationProgress:
    done: int
    remaining: int


def data_keys_rewrap(*, batch_size: int = 500) -> Iterator[RotationProgress]:
    """Re-wrap every live data key under the active KEK, one committed batch at a time.

    Resumable: each batch selects keys still wrapped under another version, so a stopped run continues where it
    stopped. Values themselves are not touched (O(keys), not O(values))."""
    ring = get_keyring()
    todo = DataKey.objects.filter(destroyed_at__isnull=True).exclude(kek_version=ring.active_version)
    done = 0
    while True:
        with transaction.atomic():
            batch = list(todo.order_by("id").select_for_update()[:batch_size])
            if not batch:
                break
            for key in batch:
                dek = _unwrap(key)
                key.wrapped = _wrap(key, dek, ring.active_version)
                key.kek_version = ring.active_version
            DataKey.objects.bulk_update(batch, ["wrapped", "kek_version"])
        done += len(batch)
        yield RotationProgress(done=done, remaining=todo.count())
    key_cache.clear()

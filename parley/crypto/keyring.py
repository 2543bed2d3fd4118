"""Key-encryption keys (KEKs) and the blind-index root key.

They come from PARLEY_KEYS (JSON) or the file PARLEY_KEYS_FILE names, never from the database or SECRET_KEY:

    {"active": 2, "keks": {"1": "<base64 32 bytes>", "2": "<base64 32 bytes>"}, "index_root": "<base64 32 bytes>"}

Every listed KEK can unwrap; only the active one wraps. `parley rotate-keys` adds a version and re-wraps.
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32


@dataclass(frozen=True)
class KeyRing:
    active_version: int
    keks: dict[int, bytes]
    index_root: bytes

    def kek(self, version: int) -> bytes:
        try:
            return self.keks[version]
        except KeyError:
            raise ImproperlyConfigured(f"Key-encryption key version {version} is not configured.") from None

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active_version,
                "keks": {str(v): base64.b64encode(k).decode() for v, k in sorted(self.keks.items())},
                "index_root": base64.b64encode(self.index_root).decode(),
            },
            indent=2,
        )


def _decode_key(label: str, raw: object) -> bytes:
    if not isinstance(raw, str):
        raise ImproperlyConfigured(f"Parley keys: {label} must be a base64 string.")
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        raise ImproperlyConfigured(f"Parley keys: {label} is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(f"Parley keys: {label} must decode to {KEY_BYTES} bytes (got {len(key)}).")
    return key


def parse_keyring(text: str, source: str) -> KeyRing:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{source} is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("keks"), dict) or not data["keks"]:
        raise ImproperlyConfigured(f"{source} must be an object with 'active', 'keks' and 'index_root'.")
    try:
        keks = {int(v): _decode_key(f"kek {v}", k) for v, k in data["keks"].items()}
        active = int(data["active"])
    except (KeyError, TypeError, ValueError):
        raise ImproperlyConfigured(f"{source}: key versions and 'active' must be whole numbers.") from None
    if active not in keks:
        raise ImproperlyConfigured(f"{source}: the active version {active} is not among the keks.")
    return KeyRing(active_version=active, keks=keks, index_root=_decode_key("index_root", data.get("index_root")))


def new_keyring() -> KeyRing:
    return KeyRing(active_version=1, keks={1: secrets.token_bytes(KEY_BYTES)}, index_root=secrets.token_bytes(KEY_BYTES))


def key_file_path() -> Path | None:
    if settings.PARLEY_KEYS_FILE:
        return Path(settings.PARLEY_KEYS_FILE)
    if settings.PARLEY_GENERATE_KEYS:
        return Path(settings.DATA_DIR) / "keys.json"
    return None


def write_key_file(path: Path, ring: KeyRing, *, create: bool) -> None:
    """Write the file with mode 0600; `create` refuses to overwrite (two processes starting at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(tmp, flags, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(ring.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    if create:
        try:
            os.link(tmp, path)
        finally:
            tmp.unlink()
    else:
        os.replace(tmp, path)


@cache
def get_keyring() -> KeyRing:
    if settings.PARLEY_KEYS:
        return parse_keyring(settings.PARLEY_KEYS, "PARLEY_KEYS")
    path = key_file_path()
    if path is None:
        raise ImproperlyConfigured("No encryption keys: set PARLEY_KEYS or PARLEY_KEYS_FILE.")
    if not path.exists():
        if not settings.PARLEY_GENERATE_KEYS:
            raise ImproperlyConfigured(f"PARLEY_KEYS_FILE {path} does not exist.")
        try:
            write_key_file(path, new_keyring(), create=True)
        except FileExistsError:
            pass  # another process created it first
    try:
        text = path.read_text()
    except OSError as exc:
        raise ImproperlyConfigured(f"Cannot read key file {path}: {exc.strerror}.") from None
    return parse_keyring(text, str(path))


def reset_keyring_cache() -> None:
    get_keyring.cache_clear()

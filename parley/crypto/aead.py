"""AES-256-GCM sealing with a versioned header: version(1) ‖ key id(16) ‖ nonce(12) ‖ ciphertext ‖ tag(16)."""

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = b"\x01"
_HEADER = 1 + 16 + 12


class DecryptionError(Exception):
    """A value could not be decrypted: wrong key, destroyed key, tampering or a value moved to another row."""


def seal(*, key_id: uuid.UUID, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(12)
    return FORMAT_VERSION + key_id.bytes + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def key_id_of(blob: bytes) -> uuid.UUID:
    if len(blob) < _HEADER + 16 or blob[:1] != FORMAT_VERSION:
        raise DecryptionError("Unknown ciphertext format.")
    return uuid.UUID(bytes=bytes(blob[1:17]))


def unseal(*, key: bytes, blob: bytes, aad: bytes) -> bytes:
    key_id_of(blob)
    nonce = bytes(blob[17:_HEADER])
    try:
        return AESGCM(key).decrypt(nonce, bytes(blob[_HEADER:]), aad)
    except InvalidTag:
        raise DecryptionError("Authentication failed: wrong key, tampered value or value moved to another row.") from None

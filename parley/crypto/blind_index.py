"""Keyed blind index for equality lookups on encrypted values (e-mail addresses).

index = HMAC-SHA256(K_tenant_purpose, normalise(value)), K derived by HKDF from the index root key with the
tenant and purpose as context. Per tenant, never global: equal addresses in two tenants give unrelated indexes.
Equality within one tenant is visible to whoever reads the table (needed for uniqueness); documented in
docs/decisions/0002-encryption-at-rest.md.
"""

import hashlib
import hmac
import unicodedata
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from parley.crypto.keyring import get_keyring


def normalise_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def _index_key(tenant_id: uuid.UUID, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"parley-blind-index-v1", info=f"{tenant_id}|{purpose}".encode())
    return hkdf.derive(get_keyring().index_root)


def blind_index(*, tenant_id: uuid.UUID, purpose: str, value: str) -> str:
    return hmac.new(_index_key(tenant_id, purpose), value.encode(), hashlib.sha256).hexdigest()


def email_index(*, tenant_id: uuid.UUID, email: str) -> str:
    return blind_index(tenant_id=tenant_id, purpose="email", value=normalise_email(email))

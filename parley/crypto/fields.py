"""Fail-closed encrypted model fields.

A value is sealed with AES-256-GCM under its row's scope key (see services.py) and bound by associated data to
tenant, table, column and primary key, so a ciphertext copied to another row, column or tenant fails to open.
Decryption happens lazily on attribute access and raises DecryptionError on any failure: it never returns the
ciphertext and never lets a failed value be saved back. Only `isnull` lookups work; search through a blind index.

A model using these fields has a UUID primary key made in Python and implements `crypto_scope()`.
"""

import json
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from parley.crypto import aead
from parley.crypto.services import Scope, data_key_by_id, data_key_for_scope


class Sealed(bytes):
    """Ciphertext as loaded from the database, not yet opened."""


class EncryptedAttribute(DeferredAttribute):
    # A data descriptor (it has __set__), so every read passes through __get__ even when the instance dict holds
    # the sealed value; a plain DeferredAttribute would be shadowed by the instance dict.
    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            field: EncryptedField = self.field  # type: ignore[assignment]
            value = field.open(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedField(models.Field):
    descriptor_class = EncryptedAttribute
    empty_strings_allowed = False

    def get_internal_type(self) -> str:
        return "BinaryField"

    # Serialisation of the Python value to bytes and back; subclasses change the type.
    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def aad(self, instance: models.Model, tenant_id: Any) -> bytes:
        return f"{tenant_id}|{instance._meta.db_table}|{self.column}|{instance.pk}".encode()

    def _scope(self, instance: models.Model) -> Scope:
        return instance.crypto_scope()  # type: ignore[attr-defined]

    def open(self, instance: models.Model, blob: Sealed) -> Any:
        scope = self._scope(instance)
        key = data_key_by_id(aead.key_id_of(blob), tenant_id=scope.tenant_id)
        return self.decode(aead.unseal(key=key, blob=blob, aad=self.aad(instance, scope.tenant_id)))

    def seal(self, instance: models.Model, value: Any) -> bytes:
        scope = self._scope(instance)
        key_id, key = data_key_for_scope(scope)
        return aead.seal(key_id=key_id, key=key, plaintext=self.encode(value), aad=self.aad(instance, scope.tenant_id))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Sealed):
            return value
        return self.seal(model_instance, value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        if value is None:
            return None
        return Sealed(bytes(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if not isinstance(value, bytes | memoryview):
            # Only pre_save produces bytes; anything else (QuerySet.update, raw values) would store plaintext.
            raise FieldError(f"{self.model.__name__}.{self.name} is encrypted: assign on an instance and save() it.")
        return connection.Database.Binary(bytes(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted and supports only isnull lookups; "
                "search through its blind index."
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, name: str) -> Any:
        raise FieldError(f"{self.model.__name__}.{self.name} is encrypted: no transforms.")

    def value_to_string(self, obj: models.Model) -> str:
        raise FieldError(f"{self.model.__name__}.{self.name} is encrypted and is not serialised.")


class EncryptedTextField(EncryptedField):
    def encode(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self.name} takes text, not {type(value).__name__}.")
        return value.encode()

    def decode(self, data: bytes) -> str:
        return data.decode()


class EncryptedJSONField(EncryptedField):
    def encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    def decode(self, data: bytes) -> Any:
        return json.loads(data)

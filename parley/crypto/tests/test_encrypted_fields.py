import pytest
from django.core.exceptions import FieldError
from django.db import connection

from parley.accounts.models import User
from parley.crypto.aead import DecryptionError
from parley.crypto.services import data_keys_destroy, key_cache
from parley.experts.models import ExpertProfile


def _raw(table: str, column: str, pk) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])
        return bytes(cursor.fetchone()[0])


def test_p07_values_round_trip_exactly_including_empty_and_unicode(world):
    profile = world.acme_expert.expert_profile
    profile.description = ""
    profile.languages = []
    profile.save()
    fresh = ExpertProfile.objects.get(pk=profile.pk)
    assert fresh.description == ""
    assert fresh.languages == []
    profile.description = "Grüezi 🙂 " + "x" * 5000
    profile.languages = ["de", "fr"]
    profile.save()
    fresh = ExpertProfile.objects.get(pk=profile.pk)
    assert fresh.description == "Grüezi 🙂 " + "x" * 5000
    assert fresh.languages == ["de", "fr"]


def test_p07_the_database_holds_ciphertext_not_the_value(world):
    raw = _raw("accounts_user", "email", world.acme_admin.pk)
    assert b"ada@acme.test" not in raw
    assert raw[:1] == b"\x01"


def test_p07_a_value_moved_to_another_row_fails_to_decrypt(world):
    ada_email = _raw("accounts_user", "email", world.acme_admin.pk)
    table = "accounts_user"
    with connection.cursor() as cursor:
        pk = world.acme_expert.pk.hex if connection.vendor == "sqlite" else world.acme_expert.pk
        cursor.execute(f"UPDATE {table} SET email = %s WHERE id = %s", [ada_email, pk])
    key_cache.clear()
    eve = User.objects.get(pk=world.acme_expert.pk)
    with pytest.raises(DecryptionError):
        _ = eve.email


def test_p07_a_tampered_value_raises_instead_of_returning_ciphertext(world):
    raw = bytearray(_raw("accounts_user", "name", world.acme_admin.pk))
    raw[-1] ^= 1
    with connection.cursor() as cursor:
        pk = world.acme_admin.pk.hex if connection.vendor == "sqlite" else world.acme_admin.pk
        cursor.execute("UPDATE accounts_user SET name = %s WHERE id = %s", [bytes(raw), pk])
    user = User.objects.get(pk=world.acme_admin.pk)
    with pytest.raises(DecryptionError):
        _ = user.name


def test_p07_lookups_on_encrypted_fields_raise_instead_of_matching_nothing(world):
    with pytest.raises(FieldError):
        list(User.objects.filter(email="ada@acme.test"))
    assert User.objects.filter(name__isnull=False).count() == 4


def test_p07_bulk_updates_cannot_write_plaintext(world):
    with pytest.raises(FieldError):
        User.objects.filter(pk=world.acme_admin.pk).update(name="Plain Text")


def test_p09_destroying_the_person_key_makes_their_values_unreadable(world):
    data_keys_destroy(scope_type="person", scope_ids=[world.acme_expert.pk])
    user = User.objects.get(pk=world.acme_expert.pk)
    with pytest.raises(DecryptionError, match="erased"):
        _ = user.name
    # Other people's data is untouched.
    assert User.objects.get(pk=world.acme_admin.pk).name == "Ada Admin"

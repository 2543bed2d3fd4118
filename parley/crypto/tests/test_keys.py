import base64
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from parley.accounts.models import User
from parley.crypto.aead import DecryptionError
from parley.crypto.keyring import KeyRing, get_keyring, parse_keyring, reset_keyring_cache
from parley.crypto.models import DataKey
from parley.crypto.services import key_cache


@pytest.fixture
def key_file(tmp_path, settings):
    path = tmp_path / "keys.json"
    ring = KeyRing(active_version=1, keks={1: b"\x01" * 32}, index_root=b"\x02" * 32)
    path.write_text(ring.to_json())
    settings.PARLEY_KEYS = ""
    settings.PARLEY_KEYS_FILE = str(path)
    reset_keyring_cache()
    key_cache.clear()
    yield path
    reset_keyring_cache()


def test_p07_a_wrong_key_encryption_key_raises_instead_of_returning_data(key_file, world, settings):
    wrong = KeyRing(active_version=1, keks={1: b"\x09" * 32}, index_root=b"\x02" * 32)
    settings.PARLEY_KEYS = wrong.to_json()
    reset_keyring_cache()
    key_cache.clear()
    user = User.objects.get(pk=world.acme_admin.pk)
    with pytest.raises(DecryptionError):
        _ = user.name


def test_p07_key_rotation_rewraps_every_data_key_and_keeps_data_readable(key_file, world, capsys):
    before = set(DataKey.objects.values_list("kek_version", flat=True))
    assert before == {1}
    call_command("rotate_keys", "--new-kek", "--batch-size", "2")
    out = capsys.readouterr().out
    assert "to go" in out  # progress is shown batch by batch
    assert get_keyring().active_version == 2
    assert set(DataKey.objects.filter(destroyed_at__isnull=True).values_list("kek_version", flat=True)) == {2}
    # Drop the old KEK entirely: everything must still decrypt under version 2.
    data = json.loads(key_file.read_text())
    del data["keks"]["1"]
    key_file.write_text(json.dumps(data))
    reset_keyring_cache()
    key_cache.clear()
    assert User.objects.get(pk=world.acme_expert.pk).name == "Eve Expert"
    assert User.objects.get(pk=world.globex_admin.pk).email == "gus@globex.test"


def test_key_rotation_resumes_where_it_stopped(key_file, world):
    from parley.crypto.services import data_keys_rewrap

    call_command("rotate_keys", "--new-kek", "--batch-size", "1")  # completes; now add another version
    data = json.loads(key_file.read_text())
    data["keks"]["3"] = base64.b64encode(b"\x03" * 32).decode()
    data["active"] = 3
    key_file.write_text(json.dumps(data))
    reset_keyring_cache()
    total = DataKey.objects.filter(destroyed_at__isnull=True).count()
    steps = data_keys_rewrap(batch_size=1)
    first = next(steps)  # stop after one batch, as if interrupted
    assert first.done == 1
    assert DataKey.objects.filter(kek_version=3).count() == 1
    call_command("rotate_keys")
    assert DataKey.objects.filter(destroyed_at__isnull=True, kek_version=3).count() == total


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"active": 1, "keks": {}}', "must be an object"),
        ('{"active": 2, "keks": {"1": "' + base64.b64encode(b"k" * 32).decode() + '"}, "index_root": "x"}', "active version 2"),
        ('{"active": 1, "keks": {"1": "c2hvcnQ="}, "index_root": "x"}', "32 bytes"),
    ],
)
def test_a_malformed_key_configuration_stops_with_a_clear_message(text, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_keyring(text, "PARLEY_KEYS")


def test_p07_the_generated_key_file_is_private(tmp_path, settings):
    settings.PARLEY_KEYS = ""
    settings.PARLEY_KEYS_FILE = ""
    settings.PARLEY_GENERATE_KEYS = True
    settings.DATA_DIR = tmp_path
    reset_keyring_cache()
    try:
        get_keyring()
        path = tmp_path / "keys.json"
        assert path.stat().st_mode & 0o777 == 0o600
        assert get_keyring().active_version == 1
    finally:
        reset_keyring_cache()


def test_p07_rotate_keys_with_a_key_file_from_the_environment_uses_the_new_version(tmp_path):
    """PARLEY_KEYS_FILE is the key file's path, not a secret-file for PARLEY_KEYS: after --new-kek a fresh process
    must see the new active version."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    keys = tmp_path / "keys.json"
    keys.write_text(KeyRing(active_version=1, keks={1: b"\x01" * 32}, index_root=b"\x02" * 32).to_json())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update({"PARLEY_DATA_DIR": str(tmp_path), "PARLEY_KEYS_FILE": str(keys)})
    parley = str(Path(sys.executable).parent / "parley")
    subprocess.run([parley, "migrate", "--no-input"], env=env, check=True, capture_output=True, timeout=120)
    result = subprocess.run([parley, "rotate-keys", "--new-kek"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"active_version": 2' in result.stdout
    assert json.loads(keys.read_text())["active"] == 2

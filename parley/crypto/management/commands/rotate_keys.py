import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.crypto.keyring import get_keyring, key_file_path, reset_keyring_cache, write_key_file
from parley.crypto.services import data_keys_rewrap


class Command(BaseCommand):
    help = (
        "Re-wrap every data key under the active key-encryption key (KEK). With --new-kek, first add a new KEK "
        "version to the key file and make it active. Values are not re-encrypted; old KEK versions stay readable "
        "until you remove them from the key file. Safe to stop and run again: it continues where it stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--new-kek", action="store_true", help="Generate a new KEK version in the key file first.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: object, **options: object) -> None:
        import secrets

        ring = get_keyring()
        if options["new_kek"]:
            path = key_file_path()
            if path is None or not path.exists():
                raise CommandError("--new-kek needs a key file (PARLEY_KEYS_FILE); with PARLEY_KEYS, add the key there.")
            version = max(ring.keks) + 1
            from parley.crypto.keyring import KeyRing

            ring = KeyRing(
                active_version=version, keks={**ring.keks, version: secrets.token_bytes(32)}, index_root=ring.index_root
            )
            write_key_file(path, ring, create=False)
            reset_keyring_cache()
            self.stdout.write(f"Added key-encryption key version {version} to {path} and made it active.")
        batch = int(options["batch_size"])  # type: ignore[call-overload]
        if batch < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = 0
        for progress in data_keys_rewrap(batch_size=batch):
            total = progress.done
            self.stdout.write(f"re-wrapped {progress.done} data keys, {progress.remaining} to go")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} data keys re-wrapped under version {get_keyring().active_version}."))
        self.stdout.write(json.dumps({"active_version": get_keyring().active_version, "rewrapped": total}))

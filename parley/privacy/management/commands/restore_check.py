import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.privacy.services import ORPHAN_BLOB_GRACE, ledger_reapply, orphan_blobs_sweep


class Command(BaseCommand):
    help = (
        "Run after restoring a backup: re-apply the erasure ledger, so that every row, data key or file of an erased "
        "interaction, account or file that the backup brought back is deleted (keys destroyed) again; then sweep the "
        "file store for blobs without a file record (e.g. from a file backup) and remove them. --dry-run only "
        "counts. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report what would be erased again.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument(
            "--file-grace-minutes",
            type=int,
            default=int(ORPHAN_BLOB_GRACE.total_seconds() // 60),
            help="Keep file blobs without a record that are younger than this: an upload may still be committing "
            "(default %(default)s; 0 while no server runs).",
        )

    def handle(self, *args: object, **options: object) -> None:
        dry = bool(options["dry_run"])
        grace = options["file_grace_minutes"]
        if not isinstance(grace, int) or grace < 0:
            raise CommandError("--file-grace-minutes must be 0 or more.")
        found = ledger_reapply(dry_run=dry)
        swept = orphan_blobs_sweep(dry_run=dry, grace=timedelta(minutes=grace))
        found["orphan_blobs"] = swept["orphan_blobs"]
        if options["json"]:
            self.stdout.write(json.dumps({"dry_run": dry, "found": found, "kept_recent_blobs": swept["orphan_blobs_recent"]}))
            return
        verb = "would erase again" if dry else "erased again"
        for what, count in found.items():
            self.stdout.write(f"{what:<14} {count:>8} {verb}")
        if swept["orphan_blobs_recent"]:
            self.stdout.write(
                f"{swept['orphan_blobs_recent']} file blobs without a record are younger than {grace} minutes and were "
                "kept (an upload may be committing): run again later."
            )
        if not any(found.values()):
            self.stdout.write(self.style.SUCCESS("Nothing of an erased target is present: the ledger holds."))
        elif not dry:
            self.stdout.write(self.style.SUCCESS(f"Done: {sum(found.values())} restored items erased again."))

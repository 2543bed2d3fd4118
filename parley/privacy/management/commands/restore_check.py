import json

from django.core.management.base import BaseCommand, CommandParser

from parley.privacy.services import ledger_reapply


class Command(BaseCommand):
    help = (
        "Run after restoring a backup: re-apply the erasure ledger, so that every row, data key or file of an erased "
        "interaction, account or file that the backup brought back is deleted (keys destroyed) again. --dry-run only "
        "counts. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report what would be erased again.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: object, **options: object) -> None:
        dry = bool(options["dry_run"])
        found = ledger_reapply(dry_run=dry)
        if options["json"]:
            self.stdout.write(json.dumps({"dry_run": dry, "found": found}))
            return
        verb = "would erase again" if dry else "erased again"
        for what, count in found.items():
            self.stdout.write(f"{what:<14} {count:>8} {verb}")
        if not any(found.values()):
            self.stdout.write(self.style.SUCCESS("Nothing of an erased target is present: the ledger holds."))
        elif not dry:
            self.stdout.write(self.style.SUCCESS(f"Done: {sum(found.values())} restored items erased again."))

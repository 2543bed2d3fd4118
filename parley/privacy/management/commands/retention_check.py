import json

from django.core.management.base import BaseCommand, CommandParser

from parley.privacy.retention import reconcile


def _age(hours: float | None) -> str:
    if hours is None:
        return "-"
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


class Command(BaseCommand):
    help = (
        "Reconciliation (G20): the age of the oldest record per retention category against its limit. Exits 1 when "
        "a record is past its limit by more than PARLEY_RETENTION_GRACE_HOURS, i.e. the purge is not doing its job."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: object, **options: object) -> None:
        checks = reconcile()
        failed = [c for c in checks if not c.ok]
        if options["json"]:
            self.stdout.write(json.dumps({"ok": not failed, "categories": [c.as_dict() for c in checks]}))
        else:
            for check in checks:
                row = check.as_dict()
                status = "ok" if check.ok else "OVERDUE"
                held = f", {check.held} held" if check.held else ""
                self.stdout.write(
                    f"{status:<8} {check.category:<20} oldest {_age(row['oldest_age_hours']):>9}, "
                    f"overdue {_age(row['overdue_hours']):>9}{held}  (limit: {check.limit})"
                )
        if failed:
            self.stderr.write(f"retention-check: {len(failed)} categories hold records past their limit: run `parley purge`.")
            raise SystemExit(1)

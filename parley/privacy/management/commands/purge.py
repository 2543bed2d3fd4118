import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.privacy.retention import purge, purge_plan
from parley.privacy.services import pending_files_process


class Command(BaseCommand):
    help = (
        "Delete every record past its retention period (P06, P25): end-customer interactions with their files and "
        "data keys, expired sessions, invitations, ... Held interactions (P26) are skipped. --dry-run shows what "
        "would go. Safe to stop (Ctrl-C: exit code 130) and run again: each batch is committed on its own, a rerun "
        "continues."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print per category what would be deleted.")
        parser.add_argument("--batch-size", type=int, default=None, help="Rows per transaction (PARLEY_RETENTION_BATCH_SIZE).")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: object, **options: object) -> None:
        batch = options["batch_size"]
        if batch is not None and int(batch) < 1:  # type: ignore[call-overload]
            raise CommandError("--batch-size must be at least 1.")
        plan = purge_plan()
        if options["dry_run"]:
            if options["json"]:
                self.stdout.write(json.dumps({"would_delete": plan}))
                return
            for category, count in plan.items():
                self.stdout.write(f"{category:<20} {count:>10} would be deleted")
            self.stdout.write(f"{'total':<20} {sum(plan.values()):>10}")
            return
        total = sum(plan.values())
        done: dict[str, int] = {}
        finished = 0
        try:
            for step in purge(batch_size=batch):  # type: ignore[arg-type]
                done[step.category] = step.deleted
                finished += step.batch
                if step.batch:
                    self._progress(finished, total, step.category)
        except KeyboardInterrupt:
            self.stderr.write("")
            raise CommandError(
                f"Interrupted after {finished} records; every finished batch is committed, the rest is untouched. "
                "Run it again to continue.",
                returncode=130,  # the shell's convention for a run stopped by Ctrl-C (128 + SIGINT)
            ) from None
        if finished:
            self.stderr.write("")
        unlinked = pending_files_process()
        if options["json"]:
            self.stdout.write(json.dumps({"deleted": done, "files_unlinked": unlinked}))
            return
        for category, count in done.items():
            self.stdout.write(f"{category:<20} {count:>10} deleted")
        self.stdout.write(self.style.SUCCESS(f"Done: {sum(done.values())} records deleted, {unlinked} files unlinked."))

    def _progress(self, done: int, total: int, category: str) -> None:
        width = 30
        total = max(total, done, 1)
        filled = width * done // total
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {category:<20}", ending="")
        self.stderr.flush()

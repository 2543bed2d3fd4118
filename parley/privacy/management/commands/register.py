"""`parley register`: the register of processing activities (Art. 30 GDPR; P13, P30) from the privacy registry."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from parley.core.exceptions import NotFound
from parley.privacy.notice import notice_version
from parley.privacy.register import register_csv, register_current, register_markdown
from parley.tenants.selectors import tenant_get_by_slug

FORMATS = ("markdown", "csv")


class Command(BaseCommand):
    help = (
        "Print the register of processing activities: one row per personal-data category with its fields, data "
        "subjects, purposes, legal bases, retention, storage protection and processors, built from the privacy "
        "registry (parley/*/privacy.py) and the processor settings. With --tenant, that tenant is named as the "
        "controller; otherwise the platform operator (PARLEY_OPERATOR)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", default="markdown", help="markdown (default) or csv")
        parser.add_argument("--output", help="write to this file instead of standard output")
        parser.add_argument("--tenant", help="slug of the tenant to name as controller")

    def handle(self, *args: object, **options: object) -> None:
        fmt = str(options["format"]).lower()
        if fmt not in FORMATS:
            raise CommandError(f"Unknown --format {options['format']!r}: use markdown or csv.")
        controller, dpo = settings.PARLEY_OPERATOR, settings.PARLEY_DPO
        if options["tenant"]:
            try:
                tenant = tenant_get_by_slug(slug=str(options["tenant"]))
            except NotFound:
                raise CommandError(f"No tenant with the slug {options['tenant']!r}.") from None
            controller = tenant.controller_contact or tenant.name
            dpo = tenant.dpo_contact or dpo
        try:
            rows = register_current()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if fmt == "csv":
            text = register_csv(rows)
        else:
            text = register_markdown(rows, controller=controller, dpo=dpo, version=notice_version(rows), on=timezone.localdate())
        if options["output"]:
            path = Path(str(options["output"]))
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror}.") from None
            self.stderr.write(f"Wrote the register ({len(rows)} categories) to {path}.")
        else:
            self.stdout.write(text, ending="")

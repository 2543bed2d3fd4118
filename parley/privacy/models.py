"""The erasure ledger (P09, G17) and the queue of files to unlink after a delete commits.

Neither holds personal data: the ledger names what was erased by its random id, its category and the rule that
erased it, so that `parley restore-check` can erase it again after a backup is restored; the queue names files by
their id-derived storage key.
"""

from django.db import models


class ErasureRecord(models.Model):
    """One erased target. Written in the same transaction as the deletion it records."""

    class Rule(models.TextChoices):
        RETENTION = "retention"  # the retention engine (P06, P25)
        MANUAL = "manual"  # early deletion by a partner (P08)
        ACCOUNT_DELETION = "account-deletion"  # an expert or administrator was deleted (P09)
        DSR = "dsr"  # a data-subject erasure request (P29)
        RESTORE = "restore"  # erased again after a backup restore

    id = models.BigAutoField(primary_key=True)
    tenant_id = models.UUIDField(null=True, blank=True)
    target_type = models.CharField(max_length=20)  # "interaction", "user", "file"
    target_id = models.UUIDField()
    category = models.CharField(max_length=40)  # the registry's Retention category
    rule = models.CharField(max_length=20, choices=Rule.choices)
    erased_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="erasure_target"),
            models.Index(fields=["erased_at"], name="erasure_time"),
        ]

    def __str__(self) -> str:
        return f"ErasureRecord {self.id} ({self.target_type}, {self.rule})"


class PendingFileDeletion(models.Model):
    """A file whose row is gone: unlinked right after commit; housekeeping retries the ones that failed."""

    id = models.BigAutoField(primary_key=True)
    storage_key = models.CharField(max_length=100, unique=True)  # "<tenant uuid>/<file uuid hex>", ids only
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"PendingFileDeletion {self.id}"

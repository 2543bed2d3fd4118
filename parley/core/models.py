import uuid

from django.db import models


class BaseModel(models.Model):
    """Common columns: a UUID made in Python (encrypted fields bind to it before insert) and timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class JobRun(models.Model):
    """Claims one run of a scheduled job for one time slot: with several workers exactly one inserts the row."""

    id = models.BigAutoField(primary_key=True)
    job = models.CharField(max_length=40)
    slot = models.DateTimeField()
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="job_run_once_per_slot")]

    def __str__(self) -> str:
        return f"{self.job}@{self.slot}"

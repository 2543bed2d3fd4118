from django.db import models

from parley.core.models import BaseModel


class StoredFile(BaseModel):
    """An encrypted file in the file store. The path is derived from ids, never from user input."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    scope_type = models.CharField(max_length=20)
    scope_id = models.UUIDField()
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"StoredFile {self.id}"

from django.db import models


class Presence(models.Model):
    """One open WebSocket: an expert's portal tab or a visitor's conversation. Rows are written on connect,
    refreshed by the client's heartbeat and deleted on disconnect; a row whose heartbeat is older than
    PRESENCE_TIMEOUT belongs to a connection that died with its process, so 'online' follows real connections
    across every `parley serve` process."""

    id = models.BigAutoField(primary_key=True)
    channel_name = models.CharField(max_length=120, unique=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey("interactions.Interaction", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Presence {self.id}"

"""Read helpers for the portal's inbox pages, on top of selectors.py."""

import json
from typing import Any

from django.db.models import Count, F, QuerySet

from parley.accounts.models import User
from parley.holds.selectors import visible_interactions, visible_users
from parley.interactions.models import Interaction, Message, Side
from parley.interactions.selectors import BACKLOG_LIMIT, message_list
from parley.tenants.models import Membership, Tenant


def inbox_experts(*, tenant: Tenant) -> QuerySet[User]:
    """Every expert account of the tenant (deactivated ones too: they may still hold conversations)."""
    experts = User.objects.filter(tenant=tenant, membership__role=Membership.Role.EXPERT)
    return visible_users(experts).order_by("created_at")  # P26: a held person is not offered as a filter


def unread_by_interaction(*, actor: User) -> dict[str, int]:
    """Customer messages the expert has not read yet, per interaction the actor can see (admins: the tenant's)."""
    qs = Message.objects.filter(tenant_id=actor.tenant_id, sender=Side.CUSTOMER, seq__gt=F("interaction__expert_read_seq"))
    qs = visible_interactions(qs, field="interaction_id")  # P26: held conversations count for no badge
    if actor.role != Membership.Role.ADMIN:
        qs = qs.filter(interaction__expert_id=actor.id)
    rows = qs.order_by().values("interaction_id").annotate(n=Count("id")).values_list("interaction_id", "n")
    return {str(interaction_id): n for interaction_id, n in rows}


def unread_summary(*, actor: User) -> dict[str, Any]:
    """For the nav badge: the total and the per-conversation map the live script keeps up to date."""
    unread = unread_by_interaction(actor=actor)
    return {"total": sum(unread.values()), "json": json.dumps(unread, separators=(",", ":"))}


def conversation_messages(*, interaction: Interaction) -> tuple[list[Message], bool]:
    """The latest messages (at most BACKLOG_LIMIT) and whether older ones were left out; seqs are gap-free."""
    after = max(interaction.last_seq - BACKLOG_LIMIT, 0)
    return message_list(interaction=interaction, after=after), after > 0


def seen_marker_seq(*, messages: list[Message], customer_read_seq: int) -> int:
    """The expert-side message that carries the 'Seen' mark: the latest one the customer has read."""
    seqs = [m.seq for m in messages if m.sender == Side.EXPERT and m.seq <= customer_read_seq]
    return max(seqs, default=0)

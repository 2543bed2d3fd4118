"""Reads for legal holds (P26). Other apps ask here whether something is held; they never query LegalHold."""

import uuid
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet

from parley.holds.models import LegalHold

if TYPE_CHECKING:
    from parley.accounts.models import User
    from parley.interactions.models import Interaction


def active_holds(*, tenant_id: uuid.UUID | None = None, target_type: str | None = None) -> QuerySet[LegalHold]:
    qs = LegalHold.objects.filter(released_at__isnull=True)
    if tenant_id is not None:
        qs = qs.filter(tenant_id=tenant_id)
    if target_type is not None:
        qs = qs.filter(target_type=target_type)
    return qs


def held_ids(*, target_type: str, tenant_id: uuid.UUID | None = None) -> set[uuid.UUID]:
    """Ids of the targets of this type under an active hold (all tenants when tenant_id is None)."""
    return set(active_holds(tenant_id=tenant_id, target_type=target_type).values_list("target_id", flat=True))


def is_held(*, target_type: str, target_id: uuid.UUID) -> bool:
    return active_holds(target_type=target_type).filter(target_id=target_id).exists()


# --- P26 filtering: every list, search, export and statistic of held data goes through these ------------------


def without_held[M: Model](qs: QuerySet[M], *, target_type: str, field: str = "id") -> QuerySet[M]:
    """`qs` without rows whose `field` names a held target of `target_type` (one subquery, no id list in Python)."""
    held = LegalHold.objects.filter(released_at__isnull=True, target_type=target_type).values("target_id")
    return qs.exclude(**{f"{field}__in": held})


def visible_interactions[M: Model](qs: QuerySet[M], *, field: str = "id") -> QuerySet[M]:
    """P26: the one place that hides held conversations. `qs` is of Interaction (field "id") or of a model that
    points to one (field "interaction_id")."""
    return without_held(qs, target_type=LegalHold.TargetType.INTERACTION, field=field)


def visible_users[M: Model](qs: QuerySet[M], *, field: str = "id") -> QuerySet[M]:
    """P26: hides held persons' accounts (the legal-hold list shows them)."""
    return without_held(qs, target_type=LegalHold.TargetType.USER, field=field)


# --- the legal-hold list (the one place that still shows held data) -------------------------------------------


def access_hold(*, actor: "User", hold_id: uuid.UUID) -> LegalHold:
    """An active hold of the actor's tenant, for its administrators; anything else is 'not found' alike."""
    from django.utils.translation import gettext as _

    from parley.core.exceptions import NotFound
    from parley.tenants.models import Membership

    hold = active_holds(tenant_id=actor.tenant_id).filter(id=hold_id).select_related("placed_by").first()
    if hold is None:
        raise NotFound(_("No such legal hold."))
    if actor.role != Membership.Role.ADMIN:
        raise NotFound(_("No such legal hold."))
    return hold


def hold_rows(*, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """Active holds with what they hold, newest first: two queries for the targets, none per row."""
    from parley.accounts.models import User
    from parley.interactions.models import Interaction

    holds = list(active_holds(tenant_id=tenant_id).select_related("placed_by").order_by("-placed_at"))
    ix_ids = [h.target_id for h in holds if h.target_type == LegalHold.TargetType.INTERACTION]
    user_ids = [h.target_id for h in holds if h.target_type == LegalHold.TargetType.USER]
    interactions = {i.id: i for i in Interaction.objects.filter(tenant_id=tenant_id, id__in=ix_ids).select_related("expert")}
    users = {u.id: u for u in User.objects.filter(tenant_id=tenant_id, id__in=user_ids).select_related("membership")}
    return [
        {
            "hold": h,
            "interaction": interactions.get(h.target_id) if h.target_type == LegalHold.TargetType.INTERACTION else None,
            "person": users.get(h.target_id) if h.target_type == LegalHold.TargetType.USER else None,
        }
        for h in holds
    ]


def held_interaction(*, hold: LegalHold) -> "Interaction":
    """The conversation a hold keeps, for the read-only view of the legal purpose."""
    from django.utils.translation import gettext as _

    from parley.core.exceptions import NotFound
    from parley.interactions.models import Interaction

    interaction = (
        Interaction.objects.filter(id=hold.target_id, tenant_id=hold.tenant_id).select_related("expert", "tenant").first()
        if hold.target_type == LegalHold.TargetType.INTERACTION
        else None
    )
    if interaction is None:
        raise NotFound(_("No such conversation."))
    return interaction


def held_person(*, hold: LegalHold) -> "User | None":
    from parley.accounts.models import User

    if hold.target_type != LegalHold.TargetType.USER:
        return None
    return User.objects.filter(id=hold.target_id, tenant_id=hold.tenant_id).select_related("membership").first()

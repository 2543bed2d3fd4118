"""Placing and releasing legal holds (P26). Callers (views) check that the actor is an administrator."""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound
from parley.holds.models import LegalHold
from parley.holds.selectors import is_held
from parley.interactions.models import Interaction

REASON_MAX = 2000


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give the legal reason for keeping the data."))
    if len(reason) > REASON_MAX:
        raise ApplicationError(_("The reason is too long (at most %(n)s characters).") % {"n": REASON_MAX})
    return reason


def hold_guard_deletion(*, target_type: str, target_id: uuid.UUID) -> None:
    """Called first by every deletion of a holdable target (interaction_delete, user_erase): held data is blocked,
    never deleted (P26)."""
    if not is_held(target_type=target_type, target_id=target_id):
        return
    if target_type == LegalHold.TargetType.INTERACTION:
        raise ApplicationError(_("This conversation is under a legal hold and cannot be deleted until the hold is released."))
    raise ApplicationError(_("This person's data is under a legal hold and cannot be deleted until the hold is released."))


def _create(*, actor: User, target_type: str, target_id: uuid.UUID, reason: str, deactivated: bool = False) -> LegalHold:
    hold = LegalHold(
        tenant_id=actor.tenant_id,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        placed_by=actor,
        deactivated_account=deactivated,
    )
    try:
        with transaction.atomic():
            hold.save()
    except IntegrityError:
        raise ApplicationError(_("This is already under a legal hold.")) from None
    return hold


@transaction.atomic
def hold_place_on_interaction(*, actor: User, interaction_id: uuid.UUID, reason: str) -> LegalHold:
    """Block a conversation: it stays stored (no deletion, no retention purge) and leaves every list, search,
    export and statistic; its customer's link stops working; open sockets are told it is gone."""
    from parley.interactions import events

    reason = _clean_reason(reason)
    interaction = Interaction.objects.filter(id=interaction_id, tenant_id=actor.tenant_id).first()
    if interaction is None:
        raise NotFound(_("No such conversation."))
    hold = _create(actor=actor, target_type=LegalHold.TargetType.INTERACTION, target_id=interaction.id, reason=reason)
    events.deleted(interaction)  # for every open window the conversation is gone, as if deleted
    return hold


@transaction.atomic
def hold_place_on_user(*, actor: User, user_id: uuid.UUID, reason: str) -> LegalHold:
    """Block a portal account: it is deactivated (signed out, no sign-in, not offered to customers), hidden from the
    people list and cannot be erased. The conversations the person advises are not held by this: hold them too."""
    from parley.accounts.services import user_deactivate

    reason = _clean_reason(reason)
    user = User.objects.filter(id=user_id, tenant_id=actor.tenant_id).select_related("membership").first()
    if user is None:
        raise NotFound(_("No such account."))
    if user.id == actor.id:
        raise ApplicationError(_("You cannot place your own account under a legal hold."))
    was_active = user.is_active
    if was_active:
        user_deactivate(actor=actor, user=user)  # refuses the last active administrator
    return _create(actor=actor, target_type=LegalHold.TargetType.USER, target_id=user.id, reason=reason, deactivated=was_active)


@transaction.atomic
def hold_release(*, actor: User, hold: LegalHold) -> LegalHold:
    """End the hold: the data is used again and normal deletion and retention apply from now on. The reason is
    wiped; that the hold existed (who, when) is kept. An account the hold deactivated can sign in again."""
    if hold.tenant_id != actor.tenant_id or hold.released_at is not None:
        raise NotFound(_("No such legal hold."))
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.reason = None
    hold.save(update_fields=["released_at", "released_by", "reason", "updated_at"])
    if hold.target_type == LegalHold.TargetType.USER and hold.deactivated_account:
        User.objects.filter(id=hold.target_id, tenant_id=hold.tenant_id).update(is_active=True, updated_at=timezone.now())
    return hold

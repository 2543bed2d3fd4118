import uuid

from django.utils.translation import gettext as _

from parley.accounts.models import Invitation, User
from parley.core.exceptions import NotFound


def access_invitation(*, actor: User, invitation_id: uuid.UUID) -> Invitation:
    """An open invitation of the actor's tenant; another tenant's is 'not found' exactly like a missing one."""
    invitation = Invitation.objects.filter(id=invitation_id).first()
    if invitation is None:
        raise NotFound(_("No such invitation."))
    if invitation.tenant_id != actor.tenant_id:
        raise NotFound(_("No such invitation."))
    if invitation.accepted_at is not None:
        raise NotFound(_("No such invitation."))
    return invitation

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import NotFound
from parley.experts.models import ExpertProfile
from parley.tenants.models import Tenant


def access_expert_profile(*, actor: User) -> ExpertProfile:
    """The profile of the signed-in expert."""
    profile = ExpertProfile.objects.filter(user=actor, tenant_id=actor.tenant_id).select_related("photo").first()
    if profile is None:
        raise NotFound(_("No expert profile."))
    return profile


def access_member(*, actor: User, user_id: uuid.UUID) -> User:
    """A portal account of the actor's tenant; another tenant's account is 'not found' exactly like a missing one."""
    user = User.objects.filter(id=user_id).select_related("membership").first()
    if user is None:
        raise NotFound(_("No such account."))
    if user.tenant_id != actor.tenant_id:
        raise NotFound(_("No such account."))
    return user


def member_list(*, tenant: Tenant) -> QuerySet[User]:
    return User.objects.filter(tenant=tenant).select_related("membership", "expert_profile").order_by("created_at")


def expert_list_public(*, tenant: Tenant) -> QuerySet[ExpertProfile]:
    """Experts an end customer may pick: active accounts only."""
    return (
        ExpertProfile.objects.filter(tenant=tenant, user__is_active=True).select_related("user").order_by("-status", "created_at")
    )


def access_expert_photo(*, tenant: Tenant, profile_id: uuid.UUID) -> ExpertProfile:
    profile = ExpertProfile.objects.filter(id=profile_id, tenant=tenant, user__is_active=True).select_related("photo").first()
    if profile is None or profile.photo is None:
        raise NotFound(_("No photo."))
    return profile

import uuid

from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import NotFound
from parley.experts.models import ExpertProfile, Topic
from parley.tenants.models import Tenant


def access_expert_profile(*, actor: User) -> ExpertProfile:
    """The profile of the signed-in expert."""
    profile = ExpertProfile.objects.filter(user=actor, tenant_id=actor.tenant_id).select_related("photo").first()
    if profile is None:
        raise NotFound(_("No expert profile."))
    return profile


def access_member(*, actor: User, user_id: uuid.UUID) -> User:
    """A portal account of the actor's tenant; another tenant's account is 'not found' exactly like a missing one."""
    from parley.holds.selectors import visible_users

    user = visible_users(User.objects.filter(id=user_id)).select_related("membership").first()  # P26: held is hidden
    if user is None:
        raise NotFound(_("No such account."))
    if user.tenant_id != actor.tenant_id:
        raise NotFound(_("No such account."))
    return user


def member_list(*, tenant: Tenant) -> QuerySet[User]:
    from parley.holds.selectors import visible_users

    # P26: a held person's account is listed on the legal-hold page only.
    return visible_users(User.objects.filter(tenant=tenant)).select_related("membership", "expert_profile").order_by("created_at")


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


def access_member_expert_profile(*, actor: User, user_id: uuid.UUID) -> ExpertProfile:
    """The expert profile of a portal account of the actor's tenant (see access_member); an administrator without a
    profile, another tenant's account and a missing one are all 'not found'."""
    member = access_member(actor=actor, user_id=user_id)
    profile = ExpertProfile.objects.filter(user=member, tenant_id=actor.tenant_id).select_related("user").first()
    if profile is None:
        raise NotFound(_("No such expert."))
    return profile


def topic_list(*, tenant: Tenant) -> QuerySet[Topic]:
    """The tenant's topics in display order (position, then name)."""
    return Topic.objects.filter(tenant=tenant).order_by("position", "name")


def topic_list_with_counts(*, tenant: Tenant) -> QuerySet[Topic]:
    """topic_list with `expert_count`: how many experts serve each topic."""
    return topic_list(tenant=tenant).annotate(expert_count=Count("experts"))


def topic_next_position(*, tenant: Tenant) -> int:
    """A position that lists a new topic after the existing ones."""
    highest = Topic.objects.filter(tenant=tenant).aggregate(highest=Max("position"))["highest"]
    return 0 if highest is None else min(highest + 1, 999)


def access_topic(*, actor: User, topic_id: uuid.UUID) -> Topic:
    """A topic of the actor's tenant; another tenant's topic is 'not found' exactly like a missing one."""
    topic = Topic.objects.filter(id=topic_id, tenant_id=actor.tenant_id).first()
    if topic is None:
        raise NotFound(_("No such topic."))
    return topic

import hashlib
import re
import unicodedata
import uuid
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound
from parley.crypto.blind_index import blind_index, normalise_email
from parley.experts.languages import ADVISORY_LANGUAGES
from parley.experts.models import ExpertProfile, Topic
from parley.holds.selectors import visible_interactions
from parley.interactions.models import Document, Interaction, Message, SearchToken, Side, VisitorAccess
from parley.realtime.selectors import users_connected
from parley.tenants.models import Membership, Tenant

BACKLOG_LIMIT = 1000


class Unauthorised(ApplicationError):
    status = 401


# --- visitors -------------------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_visitor_interaction(*, tenant: Tenant, token: str) -> Interaction:
    """The one interaction this bearer token opens, in this tenant; anything else is 401 alike."""
    if not token or len(token) > 100:
        raise Unauthorised(_("This conversation link is not valid (any more)."))
    # P26: a held conversation is not found for its customer's token either.
    access = (
        visible_interactions(VisitorAccess.objects.filter(token_hash=token_hash(token), tenant=tenant), field="interaction_id")
        .select_related("interaction", "interaction__expert", "interaction__tenant")
        .first()
    )
    if access is None:
        raise Unauthorised(_("This conversation link is not valid (any more)."))
    return access.interaction


def access_visitor_document(*, interaction: Interaction, document_id: uuid.UUID) -> Document:
    document = Document.objects.filter(id=document_id, interaction=interaction).select_related("file").first()
    if document is None:
        raise NotFound(_("No such document."))
    return document


# --- portal members -------------------------------------------------------------------------------------------


def _is_admin(actor: User) -> bool:
    return actor.role == Membership.Role.ADMIN


def access_interaction(*, actor: User, interaction_id: uuid.UUID) -> Interaction:
    """Experts reach their own interactions, admins every interaction of their tenant; the rest is 'not found'."""
    interaction = (
        visible_interactions(Interaction.objects.filter(id=interaction_id, tenant_id=actor.tenant_id))  # P26
        .select_related("expert", "tenant")
        .first()
    )
    if interaction is None or (not _is_admin(actor) and interaction.expert_id != actor.id):
        raise NotFound(_("No such conversation."))
    return interaction


def access_document(*, actor: User, document_id: uuid.UUID) -> Document:
    document = Document.objects.filter(id=document_id, tenant_id=actor.tenant_id).select_related("file", "interaction").first()
    if document is None:
        raise NotFound(_("No such document."))
    access_interaction(actor=actor, interaction_id=document.interaction_id)
    return document


# --- search (blind index) -------------------------------------------------------------------------------------

_WORD = re.compile(r"[\w'-]{2,}")


def search_terms(text: str) -> list[str]:
    """Normalised words of a name, or a whole e-mail address."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    if "@" in text and " " not in text:
        return ["email:" + normalise_email(text)]
    return ["word:" + word for word in _WORD.findall(text)]


def search_tokens_for(*, tenant_id: uuid.UUID, name: str, email: str) -> list[str]:
    terms = set(search_terms(name)) | set(search_terms(email))
    return [blind_index(tenant_id=tenant_id, purpose="interaction-search", value=term) for term in sorted(terms)]


def _search(qs: QuerySet[Interaction], tenant_id: uuid.UUID, q: str) -> QuerySet[Interaction]:
    for term in search_terms(q)[:6]:
        token = blind_index(tenant_id=tenant_id, purpose="interaction-search", value=term)
        qs = qs.filter(id__in=SearchToken.objects.filter(tenant_id=tenant_id, token=token).values("interaction_id"))
    return qs


# --- inbox ----------------------------------------------------------------------------------------------------


def _unread_subquery() -> Coalesce:
    unread = (
        Message.objects.filter(interaction=OuterRef("pk"), sender=Side.CUSTOMER, seq__gt=OuterRef("expert_read_seq"))
        .order_by()
        .values("interaction")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(unread), 0)


def inbox_list(*, actor: User, q: str = "", status: str = "open", expert_id: uuid.UUID | None = None) -> QuerySet[Interaction]:
    qs = visible_interactions(Interaction.objects.filter(tenant_id=actor.tenant_id))  # P26: held ones are not listed
    if not _is_admin(actor):
        qs = qs.filter(expert_id=actor.id)
    elif expert_id:
        qs = qs.filter(expert_id=expert_id)
    if status in (Interaction.Status.OPEN, Interaction.Status.CLOSED):
        qs = qs.filter(status=status)
    if q.strip():
        qs = _search(qs, actor.tenant_id, q)
    return qs.select_related("expert").annotate(unread=_unread_subquery()).order_by("-last_activity_at")


def unread_count(*, interaction: Interaction) -> int:
    return Message.objects.filter(interaction=interaction, sender=Side.CUSTOMER, seq__gt=interaction.expert_read_seq).count()


def inbox_row(interaction: Interaction, unread: int) -> dict[str, Any]:
    return {
        "id": str(interaction.id),
        "customer_name": interaction.customer_name,
        "expert_id": str(interaction.expert_id) if interaction.expert_id else None,
        "expert_name": interaction.expert.name if interaction.expert_id and interaction.expert else "",
        "status": interaction.status,
        "unread": unread,
        "last_activity_at": interaction.last_activity_at.isoformat(),
        "url": reverse("interactions:conversation", kwargs={"slug": interaction.tenant.slug, "interaction_id": interaction.id}),
    }


def interaction_count_held_by(*, user: User) -> int:
    return Interaction.objects.filter(expert=user).count()


def expert_transfer_choices(*, interaction: Interaction) -> QuerySet[User]:
    """Active experts of the interaction's tenant other than the one it is with."""
    return (
        User.objects.filter(tenant_id=interaction.tenant_id, is_active=True, membership__role=Membership.Role.EXPERT)
        .exclude(id__in=[interaction.expert_id] if interaction.expert_id else [])
        .order_by("created_at")
    )


# --- messages -------------------------------------------------------------------------------------------------


def message_list(*, interaction: Interaction, after: int = 0) -> list[Message]:
    qs = Message.objects.filter(interaction=interaction, seq__gt=max(after, 0)).select_related("document", "author")
    return list(qs.order_by("seq")[:BACKLOG_LIMIT])


def message_dict(message: Message) -> dict[str, Any]:
    document = message.document
    return {
        "id": str(message.id),
        "interaction_id": str(message.interaction_id),
        "seq": message.seq,
        "sender": message.sender,
        "author_name": message.author.name if message.author_id and message.author else "",
        "body": message.body or "",
        "document": (
            {"id": str(document.id), "filename": document.filename, "content_type": document.content_type, "size": document.size}
            if document
            else None
        ),
        "created_at": message.created_at.isoformat(),
    }


def _photo_url(profile: ExpertProfile | None) -> str | None:
    if profile is None or profile.photo_id is None:
        return None
    return reverse("widget:expert_photo", kwargs={"slug": profile.tenant.slug, "profile_id": profile.id})


def conversation_dict(interaction: Interaction) -> dict[str, Any]:
    expert = None
    user = interaction.expert if interaction.expert_id else None
    if user is not None:
        profile = ExpertProfile.objects.filter(user_id=user.id).select_related("tenant").first()
        online = bool(profile and profile.status == ExpertProfile.Status.ONLINE and users_connected(user_ids=[user.id]))
        expert = {
            "id": str(profile.id) if profile else None,
            "name": user.name,
            "photo_url": _photo_url(profile),
            "online": online,
        }
    return {
        "id": str(interaction.id),
        "status": interaction.status,
        "expert": expert,
        "customer_name": interaction.customer_name,
        "last_seq": interaction.last_seq,
        "expert_delivered_seq": interaction.expert_delivered_seq,
        "expert_read_seq": interaction.expert_read_seq,
        "customer_delivered_seq": interaction.customer_delivered_seq,
        "customer_read_seq": interaction.customer_read_seq,
    }


# --- widget ---------------------------------------------------------------------------------------------------


def experts_for_page(*, tenant: Tenant, page: str) -> list[ExpertProfile]:
    from parley.experts.pages import page_matches

    profiles = (
        ExpertProfile.objects.filter(tenant=tenant, user__is_active=True, user__membership__role=Membership.Role.EXPERT)
        .select_related("user", "tenant")
        .prefetch_related("topics")
        .order_by("created_at")
    )
    return [p for p in profiles if page_matches(page, p.page_include, p.page_exclude)]


def expert_is_available(*, profile: ExpertProfile) -> bool:
    return profile.status == ExpertProfile.Status.ONLINE and bool(users_connected(user_ids=[profile.user_id]))


def widget_config(*, tenant: Tenant, page: str = "/") -> dict[str, Any]:
    """Everything the web app needs before the visitor says who they are (one query set, no personal data of
    visitors). Experts the admin did not offer on `page` are left out."""
    profiles = experts_for_page(tenant=tenant, page=page or "/")
    online = users_connected(user_ids=[p.user_id for p in profiles if p.status == ExpertProfile.Status.ONLINE])
    experts = [
        {
            "id": str(p.id),
            "name": p.user.name,
            "description": p.description or "",
            "languages": list(p.languages or []),
            "language_names": [ADVISORY_LANGUAGES.get(code, code) for code in (p.languages or [])],
            "online": p.status == ExpertProfile.Status.ONLINE and p.user_id in online,
            "photo_url": _photo_url(p),
            "topic_ids": [str(t.id) for t in p.topics.all()],
        }
        for p in profiles
    ]
    appointment_types, next_slots = _booking_config(tenant, profiles)
    for expert in experts:
        expert["next_slot"] = next_slots.get(expert["id"])
    experts.sort(key=lambda e: not e["online"])
    used = {tid for e in experts for tid in e["topic_ids"]}
    topics = [{"id": str(t.id), "name": t.name} for t in Topic.objects.filter(tenant=tenant) if str(t.id) in used]
    from parley.tenants.document_types import allowed_mime_types, max_document_bytes

    return {
        "tenant": {
            "slug": tenant.slug,
            "name": tenant.name,
            "primary_colour": tenant.primary_colour,
            "accent_colour": tenant.accent_colour,
            "text_colour": tenant_text_colour(tenant),
        },
        "features": {
            "chat": tenant.chat_enabled,
            "documents": tenant.chat_enabled and tenant.documents_enabled,
            "appointments": tenant.appointments_enabled,
            "calls": tenant.calls_enabled,
        },
        "privacy_notice_url": tenant.privacy_notice_url or reverse("widget:privacy", kwargs={"slug": tenant.slug}),
        "documents": {"max_bytes": max_document_bytes(tenant), "accept": allowed_mime_types(tenant)},
        "topics": topics,
        "experts": experts,
        "appointment_types": appointment_types,
    }


def _booking_config(tenant: Tenant, profiles: list[ExpertProfile]) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
    """The appointment types the web app offers, and each expert's first free start (ISO UTC) within 14 days for the
    first of them: a few queries for the whole team, none per expert or slot."""
    from parley.scheduling.selectors import appointment_types_offered, slots_by_expert

    kinds = appointment_types_offered(tenant=tenant) if tenant.appointments_enabled else []
    types = [{"id": str(k.id), "name": k.name, "channel": k.channel, "duration_minutes": k.duration_minutes} for k in kinds]
    next_slots: dict[str, str | None] = {}
    if kinds:
        now = timezone.now()
        found = slots_by_expert(
            tenant=tenant,
            experts=[p.user for p in profiles],
            appointment_type=kinds[0],
            start=now,
            end=now + timedelta(days=14),
            now=now,
        )
        for profile in profiles:
            slots = found[profile.user_id]
            next_slots[str(profile.id)] = slots[0].astimezone(UTC).isoformat().replace("+00:00", "Z") if slots else None
    return types, next_slots


def tenant_text_colour(tenant: Tenant) -> str:
    from parley.tenants.models import readable_text_colour

    return readable_text_colour(tenant.primary_colour)


def absolute(path: str) -> str:
    return settings.PARLEY_BASE_URL + path

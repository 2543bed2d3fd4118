"""Writing conversations. Every change that others should see is published to the channel layer after commit."""

import secrets
import uuid
import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound, PermissionDenied
from parley.experts.models import ExpertProfile, Topic
from parley.files.services import file_store
from parley.holds.selectors import visible_interactions
from parley.interactions import events
from parley.interactions.documents import clean_filename, document_clean
from parley.interactions.models import Document, Interaction, Message, SearchToken, Side, VisitorAccess
from parley.interactions.selectors import absolute, search_tokens_for, token_hash, unread_count
from parley.notifications.services import mail_send
from parley.realtime.selectors import users_connected, visitor_connected
from parley.stats.services import stats_conversation_started, stats_message_posted
from parley.tenants.models import Membership, Tenant

MAX_MESSAGE_CHARS = 5000
UI_LANGUAGES = ("en", "de", "fr", "it")


class FeatureOff(ApplicationError):
    status = 403


class TooLarge(ApplicationError):
    status = 413


def _require_chat(tenant: Tenant) -> None:
    if not tenant.chat_enabled:
        raise FeatureOff(_("Chat is switched off for %(name)s.") % {"name": tenant.name})


def _clean_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ApplicationError(_("Write a message."))
    body = body.strip()
    if len(body) > MAX_MESSAGE_CHARS:
        raise ApplicationError(_("A message can have at most %(n)s characters.") % {"n": MAX_MESSAGE_CHARS})
    return body


def _clean_customer(name: Any, email: Any) -> tuple[str, str]:
    name = name.strip() if isinstance(name, str) else ""
    email = email.strip() if isinstance(email, str) else ""
    errors = {}
    if not name or len(name) > 120:
        errors["name"] = _("Enter your name (at most 120 characters).")
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter a valid e-mail address.")
    if errors:
        raise ApplicationError(_("Please check your name and e-mail address."), {"fields": errors})
    return name, email


def visitor_token_issue(*, interaction: Interaction) -> str:
    """Another bearer token for the same conversation (a join link, a device the customer moves to)."""
    return _new_token(interaction)


def _new_token(interaction: Interaction) -> str:
    token = secrets.token_urlsafe(32)
    VisitorAccess.objects.create(tenant_id=interaction.tenant_id, interaction=interaction, token_hash=token_hash(token))
    return token


def interaction_open(
    *,
    tenant: Tenant,
    expert: User,
    name: Any,
    email: Any,
    topic: Topic | None = None,
    timezone_name: str = "UTC",
    language: str = "",
) -> tuple[Interaction, str]:
    """A new interaction for a customer (a chat, or the home of a booked appointment) and its bearer token."""
    name, email = _clean_customer(name, email)
    if timezone_name not in zoneinfo.available_timezones():
        timezone_name = "UTC"
    language = language if language in UI_LANGUAGES else tenant.default_language
    interaction = Interaction.objects.create(
        tenant=tenant,
        expert=expert,
        topic=topic,
        customer_name=name,
        customer_email=email,
        customer_language=language,
        customer_timezone=timezone_name,
        last_activity_at=timezone.now(),
    )
    SearchToken.objects.bulk_create(
        SearchToken(tenant=tenant, interaction=interaction, token=t)
        for t in search_tokens_for(tenant_id=tenant.id, name=name, email=email)
    )
    return interaction, _new_token(interaction)


@transaction.atomic
def interaction_start(
    *,
    tenant: Tenant,
    expert_profile_id: uuid.UUID,
    name: str,
    email: str,
    body: str,
    topic_id: uuid.UUID | None = None,
    timezone_name: str = "UTC",
    language: str = "",
    page: str = "/",  # the website path the widget was opened on, for the anonymous statistics (P10)
) -> tuple[Interaction, str, Message]:
    """A visitor starts a conversation with an expert; returns it, the visitor's bearer token and the first message."""
    _require_chat(tenant)
    _clean_customer(name, email)
    body = _clean_body(body)
    profile = (
        ExpertProfile.objects.filter(
            id=expert_profile_id, tenant=tenant, user__is_active=True, user__membership__role=Membership.Role.EXPERT
        )
        .select_related("user")
        .first()
    )
    if profile is None:
        raise NotFound(_("This expert is not available."))
    topic = Topic.objects.filter(id=topic_id, tenant=tenant).first() if topic_id else None
    interaction, token = interaction_open(
        tenant=tenant, expert=profile.user, name=name, email=email, topic=topic, timezone_name=timezone_name, language=language
    )
    message = _message_create(interaction=interaction, sender=Side.CUSTOMER, author=None, body=body)
    stats_conversation_started(interaction=interaction, page=page)
    return interaction, token, message


def _message_create(
    *, interaction: Interaction, sender: str, author: User | None, body: str | None = None, document: Document | None = None
) -> Message:
    """Number the message under a row lock (gap-free seq), store it, reopen a closed conversation when the
    customer writes, and tell everyone after commit."""
    # Re-read under the lock: the caller's copy may be minutes old (a socket's), transferred or closed since.
    locked = Interaction.objects.select_for_update(of=("self",)).select_related("expert", "tenant").get(pk=interaction.pk)
    interaction = locked
    seq = locked.last_seq + 1
    now = timezone.now()
    changes: dict[str, Any] = {"last_seq": seq, "last_activity_at": now}
    reopened = sender == Side.CUSTOMER and locked.status == Interaction.Status.CLOSED
    if reopened:
        changes.update(status=Interaction.Status.OPEN, closed_at=None)
    if sender == Side.EXPERT:
        changes.update(expert_read_seq=seq, expert_delivered_seq=seq)  # the expert has seen what they answer
    Interaction.objects.filter(pk=interaction.pk).update(**changes)
    for field, value in changes.items():
        setattr(interaction, field, value)
    message = Message.objects.create(
        tenant_id=interaction.tenant_id,
        interaction=interaction,
        seq=seq,
        sender=sender,
        author=author,
        body=body,
        document=document,
    )
    events.message(interaction, message)
    stats_message_posted(interaction=interaction, message=message)
    if reopened:
        events.conversation(interaction)
    events.inbox(interaction, unread_count(interaction=interaction))
    if sender == Side.CUSTOMER:
        _notify_expert_if_away(interaction)
    elif sender == Side.EXPERT:
        _notify_customer_if_away(interaction)
    return message


def _notify_expert_if_away(interaction: Interaction) -> None:
    expert = interaction.expert
    if expert is None or interaction.expert_notified_at is not None or users_connected(user_ids=[expert.id]):
        return
    link = absolute(
        reverse("interactions:conversation", kwargs={"slug": interaction.tenant.slug, "interaction_id": interaction.id})
    )
    mail_send(
        tenant=interaction.tenant,
        to=expert.email,
        template="interactions/mail/expert_new_message.txt",
        context={"link": link},
        language=expert.language or None,
    )
    Interaction.objects.filter(pk=interaction.pk).update(expert_notified_at=timezone.now())


def _notify_customer_if_away(interaction: Interaction) -> None:
    """One mail per absence, with a fresh link that reopens the conversation on any device."""
    if interaction.customer_notified_at is not None or visitor_connected(interaction_id=interaction.id):
        return
    token = _new_token(interaction)
    link = absolute(reverse("widget:app", kwargs={"slug": interaction.tenant.slug})) + "#resume=" + token
    mail_send(
        tenant=interaction.tenant,
        to=interaction.customer_email,
        template="interactions/mail/customer_reply.txt",
        context={"link": link, "expert_name": interaction.expert.name if interaction.expert else ""},
        language=interaction.customer_language,
    )
    Interaction.objects.filter(pk=interaction.pk).update(customer_notified_at=timezone.now())


@transaction.atomic
def message_post(*, interaction: Interaction, sender: str, body: Any, author: User | None = None) -> Message:
    _require_chat(interaction.tenant)
    if sender == Side.EXPERT and interaction.status == Interaction.Status.CLOSED:
        raise ApplicationError(_("This conversation is closed. Reopen it to write."))
    return _message_create(interaction=interaction, sender=sender, author=author, body=_clean_body(body))


@transaction.atomic
def document_post(*, interaction: Interaction, sender: str, filename: str, data: bytes, author: User | None = None) -> Message:
    tenant = interaction.tenant
    _require_chat(tenant)
    if not tenant.documents_enabled:
        raise FeatureOff(_("Sending documents is switched off for %(name)s.") % {"name": tenant.name})
    if sender == Side.EXPERT and interaction.status == Interaction.Status.CLOSED:
        raise ApplicationError(_("This conversation is closed. Reopen it to write."))
    if len(data) > tenant.document_max_mb * 1024 * 1024:
        raise TooLarge(_("The file is too large (at most %(mb)s MB).") % {"mb": tenant.document_max_mb})
    if not data:
        raise ApplicationError(_("The file is empty."))
    clean = document_clean(data=data, allowed=list(tenant.document_types))
    stored = file_store(scope=interaction.crypto_scope(), data=clean.data, content_type=clean.content_type)
    document = Document.objects.create(
        tenant=tenant,
        interaction=interaction,
        file=stored,
        filename=clean_filename(filename or "", clean.extension),
        content_type=clean.content_type,
        size=len(clean.data),
        sender=sender,
    )
    return _message_create(interaction=interaction, sender=sender, author=author, document=document)


def receipts_update(*, interaction: Interaction, side: str, delivered: Any, read: Any) -> None:
    """Raise this side's delivered/read marks (never lower them, never past the last message)."""
    try:
        delivered, read = max(int(delivered or 0), 0), max(int(read or 0), 0)
    except (TypeError, ValueError):
        raise ApplicationError(_("Invalid receipt.")) from None
    prefix = "expert" if side == Side.EXPERT else "customer"
    with transaction.atomic():
        locked = Interaction.objects.select_for_update().get(pk=interaction.pk)
        delivered = min(max(delivered, read), locked.last_seq)
        read = min(read, locked.last_seq)
        old = (getattr(locked, f"{prefix}_delivered_seq"), getattr(locked, f"{prefix}_read_seq"))
        if delivered <= old[0] and read <= old[1]:
            return
        changes: dict[str, Any] = {
            f"{prefix}_delivered_seq": Greatest(F(f"{prefix}_delivered_seq"), delivered),
            f"{prefix}_read_seq": Greatest(F(f"{prefix}_read_seq"), read),
        }
        if read > old[1]:
            changes[f"{prefix}_notified_at"] = None  # they came back: the next absence gets a mail again
        Interaction.objects.filter(pk=interaction.pk).update(**changes)
        locked.refresh_from_db()
        events.receipt(locked, side, getattr(locked, f"{prefix}_delivered_seq"), getattr(locked, f"{prefix}_read_seq"))
        if side == Side.EXPERT and read > old[1]:
            events.inbox(locked, unread_count(interaction=locked))


def _require_handler(actor: User, interaction: Interaction) -> None:
    if actor.role != Membership.Role.ADMIN and interaction.expert_id != actor.id:
        raise PermissionDenied(_("Only the expert of this conversation or an administrator can do this."))


@transaction.atomic
def interaction_transfer(*, actor: User, interaction: Interaction, expert_id: uuid.UUID) -> Interaction:
    _require_handler(actor, interaction)
    target = User.objects.filter(
        id=expert_id, tenant_id=interaction.tenant_id, is_active=True, membership__role=Membership.Role.EXPERT
    ).first()
    if target is None:
        raise NotFound(_("No such expert."))
    if target.id == interaction.expert_id:
        return interaction
    previous = interaction.expert_id
    interaction.expert = target
    interaction.expert_notified_at = None
    interaction.save(update_fields=["expert", "expert_notified_at", "updated_at"])
    if previous:
        events.inbox_removed(interaction, previous)
        events.access_revoked(interaction, previous)
    events.conversation(interaction)
    events.inbox(interaction, unread_count(interaction=interaction))
    if unread_count(interaction=interaction):
        _notify_expert_if_away(interaction)
    return interaction


@transaction.atomic
def interaction_status_set(*, actor: User, interaction: Interaction, status: str) -> Interaction:
    _require_handler(actor, interaction)
    if status not in Interaction.Status.values:
        raise ApplicationError(_("Unknown status."))
    interaction.status = status
    interaction.closed_at = timezone.now() if status == Interaction.Status.CLOSED else None
    interaction.save(update_fields=["status", "closed_at", "updated_at"])
    events.conversation(interaction)
    events.inbox(interaction, unread_count(interaction=interaction))
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, rule: str = "manual") -> None:
    """P08: messages, documents, files, the customer's name and e-mail and every access token go now; the
    interaction's data key is destroyed, so copies in backups are unreadable too. Callers check who may.
    Same engine as the retention purge (parley.privacy.services.interactions_erase); `rule` goes to the erasure
    ledger: "manual", "account-deletion" or "dsr"."""
    from parley.holds.services import hold_guard_deletion
    from parley.privacy.services import interactions_erase

    hold_guard_deletion(target_type="interaction", target_id=interaction.id)  # P26: blocked, not deleted
    events.deleted(interaction)
    interactions_erase(interaction_ids=[interaction.id], rule=rule)


def interactions_delete_for_expert(*, user: User) -> int:
    """P09: an expert's account goes with the conversations they hold, except those under a legal hold (P26): they
    are kept, without the expert."""
    count = 0
    for interaction in visible_interactions(Interaction.objects.filter(expert=user)).select_related("tenant"):
        interaction_delete(interaction=interaction, rule="account-deletion")
        count += 1
    return count

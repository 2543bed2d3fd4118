"""Reading data-subject requests and finding the person's data: their interactions are found through the keyed
e-mail index the conversations already carry (SearchToken), never by decrypting every row."""

import hashlib
import uuid
from datetime import datetime
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.accounts.models import User
from parley.core.exceptions import NotFound
from parley.crypto.blind_index import blind_index, normalise_email
from parley.dsr.models import DataSubjectRequest
from parley.interactions.models import Interaction, SearchToken
from parley.tenants.models import Membership, Tenant


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def subject_index_for(*, tenant_id: uuid.UUID, email: str) -> str:
    """The keyed hash under which a conversation of this e-mail address is indexed (interactions.selectors)."""
    return blind_index(tenant_id=tenant_id, purpose="interaction-search", value="email:" + normalise_email(email))


def subject_interactions(*, tenant: Tenant, subject_index: str) -> QuerySet[Interaction]:
    """Every interaction (chat or booking) of the person in this tenant, held ones included."""
    ids = SearchToken.objects.filter(tenant_id=tenant.id, token=subject_index).values("interaction_id")
    return (
        Interaction.objects.filter(tenant=tenant, id__in=ids).select_related("expert", "topic", "tenant").order_by("created_at")
    )


def subject_applications(*, tenant: Tenant, email: str | None) -> QuerySet[Any]:
    """The job applications (parley.careers) sent with this e-mail address to this tenant, found by their keyed
    e-mail index (P28, P29); none if the careers module is not installed."""
    if not apps.is_installed("parley.careers") or not email:
        return DataSubjectRequest.objects.none()
    from parley.careers.models import Application
    from parley.crypto.blind_index import email_index

    index = email_index(tenant_id=tenant.id, email=email)
    return (
        Application.objects.filter(tenant=tenant, email_index=index)
        .select_related("position", "cv", "photo")
        .order_by("created_at")
    )


# --- optional sibling apps ------------------------------------------------------------------------------------


def optional_module(app: str, module: str) -> Any | None:
    """parley.<app>.<module> if that app is installed, else None (legal holds and consent records are separate apps)."""
    if not apps.is_installed(f"parley.{app}"):
        return None
    try:
        return import_module(f"parley.{app}.{module}")
    except ImportError:
        return None


def interaction_is_held(interaction: Interaction) -> bool:
    holds = optional_module("holds", "selectors")
    if holds is None:
        return False
    return bool(holds.is_held(target_type="interaction", target_id=interaction.id))


def split_held(interactions: list[Interaction]) -> tuple[list[Interaction], list[Interaction]]:
    """(not held, held): held conversations are never erased, changed or exported by a request, only counted."""
    holds = optional_module("holds", "selectors")
    if holds is None or not interactions:
        return list(interactions), []
    held_ids = holds.held_ids(target_type="interaction", tenant_id=interactions[0].tenant_id)
    return [i for i in interactions if i.id not in held_ids], [i for i in interactions if i.id in held_ids]


# --- the queue ------------------------------------------------------------------------------------------------


def access_request(*, actor: User, request_id: uuid.UUID) -> DataSubjectRequest:
    """A confirmed request of the actor's tenant, for its administrators; anything else is 'not found'."""
    found = (
        DataSubjectRequest.objects.filter(id=request_id, tenant_id=actor.tenant_id)
        .exclude(status=DataSubjectRequest.Status.UNCONFIRMED)
        .select_related("tenant", "handled_by")
        .first()
    )
    if found is None or actor.role != Membership.Role.ADMIN:
        raise NotFound(_("No such request."))
    return found


def access_pending_request(*, tenant: Tenant, token: str) -> DataSubjectRequest:
    """The unconfirmed request a confirmation link opens, while the link is valid."""
    if not token or len(token) > 100:
        raise NotFound(_("This confirmation link is not valid (any more)."))
    found = DataSubjectRequest.objects.filter(
        tenant=tenant, token_hash=token_hash(token), status=DataSubjectRequest.Status.UNCONFIRMED
    ).first()
    if found is None or found.token_expires_at is None or found.token_expires_at < timezone.now():
        raise NotFound(_("This confirmation link is not valid (any more)."))
    return found


QUEUE_FILTERS = ("open", "overdue", "closed", "all")


def request_queue(*, tenant: Tenant, show: str = "open") -> QuerySet[DataSubjectRequest]:
    qs = DataSubjectRequest.objects.filter(tenant=tenant).exclude(status=DataSubjectRequest.Status.UNCONFIRMED)
    if show == "open":
        qs = qs.filter(status__in=DataSubjectRequest.OPEN_STATUSES)
    elif show == "overdue":
        qs = qs.filter(status__in=DataSubjectRequest.OPEN_STATUSES, due_at__lt=timezone.now())
    elif show == "closed":
        qs = qs.filter(status__in=DataSubjectRequest.CLOSED_STATUSES)
    return qs.order_by("due_at", "number")


def open_request_count(*, tenant: Tenant) -> int:
    return DataSubjectRequest.objects.filter(tenant=tenant, status__in=DataSubjectRequest.OPEN_STATUSES).count()


def is_overdue(request: DataSubjectRequest) -> bool:
    return request.is_open and request.due_at is not None and request.due_at < timezone.now()


def outcome_lines(request: DataSubjectRequest) -> list[dict[str, Any]]:
    """The request's history as sentences for the admin page (the log itself stores codes, counts and notes)."""
    if request.shredded_at is not None:
        return []
    entries = list(request.outcome or [])
    ids = {entry["by"] for entry in entries if entry.get("by")}
    names = {str(u.id): u.name for u in User.objects.filter(tenant_id=request.tenant_id, id__in=ids)}
    return [
        {
            "at": _when(entry.get("at")),
            "text": outcome_text(entry),
            "note": entry.get("note", ""),
            "by": names.get(entry.get("by"), ""),
        }
        for entry in entries
    ]


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def outcome_text(entry: dict[str, Any]) -> str:
    """One log entry as a sentence in the active language."""
    return _outcome_text(entry) + _applications_text(entry)


def _applications_text(entry: dict[str, Any]) -> str:
    """What an action did to the person's job applications (parley.careers), appended to the entry's sentence."""
    counts = entry.get("counts") or {}
    action = entry.get("action")
    n = int(counts.get("applications", 0) or 0)
    if action == "restriction" and counts.get("applications_not_restricted"):
        m = int(counts["applications_not_restricted"])
        return " " + ngettext(
            "%(n)s job application of this address was not restricted: restriction is not supported for applications.",
            "%(n)s job applications of this address were not restricted: restriction is not supported for applications.",
            m,
        ) % {"n": m}
    if not n:
        return ""
    if action == "export":
        return " " + ngettext("%(n)s job application included.", "%(n)s job applications included.", n) % {"n": n}
    if action == "erasure":
        return " " + ngettext(
            "%(n)s job application erased with its files.", "%(n)s job applications erased with their files.", n
        ) % {"n": n}
    if action == "rectification":
        return " " + ngettext("Also corrected on %(n)s job application.", "Also corrected on %(n)s job applications.", n) % {
            "n": n
        }
    return ""


def _outcome_text(entry: dict[str, Any]) -> str:
    counts = entry.get("counts") or {}
    action = entry.get("action")
    held = int(counts.get("held", 0))
    held_text = (
        " "
        + ngettext(
            "%(n)s conversation is under legal hold and was left out.",
            "%(n)s conversations are under legal hold and were left out.",
            held,
        )
        % {"n": held}
        if held
        else ""
    )
    if action == "received":
        return _("Request confirmed by the person through the e-mail link; receipt sent.")
    if action == "status":
        return _("Status set to “%(status)s”.") % {"status": DataSubjectRequest.Status(counts["status"]).label}
    if action == "note":
        return _("Note added.")
    if action == "export":
        return (
            _("Export downloaded: %(i)s conversations, %(m)s messages, %(d)s documents, %(a)s appointments.")
            % {
                "i": counts.get("interactions", 0),
                "m": counts.get("messages", 0),
                "d": counts.get("documents", 0),
                "a": counts.get("appointments", 0),
            }
            + held_text
        )
    if action == "erasure":
        return (
            _(
                "Erased: %(i)s conversations with %(m)s messages, %(d)s documents and %(a)s appointments; "
                "%(o)s queued mails to the person removed."
            )
            % {
                "i": counts.get("interactions", 0),
                "m": counts.get("messages", 0),
                "d": counts.get("documents", 0),
                "a": counts.get("appointments", 0),
                "o": counts.get("mails", 0),
            }
            + held_text
        )
    if action == "rectification":
        return (
            _("Corrected the name and/or e-mail address on %(i)s conversations.") % {"i": counts.get("interactions", 0)}
            + held_text
        )
    if action == "restriction":
        if counts.get("unavailable"):
            return _("Restriction recorded; legal holds are not available in this installation, so nothing was blocked.")
        return _("%(n)s conversations placed under legal hold (restriction).") % {"n": counts.get("held_now", 0)}
    if action == "consent":
        if counts.get("unavailable"):
            return _("Withdrawal recorded; this installation keeps no consent records, so there was nothing to withdraw.")
        return _("%(n)s consent records withdrawn.") % {"n": counts.get("withdrawn", 0)}
    if action == "closed_mail":
        return _("The person was told by e-mail that the request is closed.")
    if action == "widget":
        return _(
            "Sent from the web app by the visitor of conversation %(id)s (who they are is confirmed by the e-mail link only)."
        ) % {"id": counts.get("interaction", "")}
    return str(action)

"""Retention rules: for every retention category of the registry (P25) how long its records live, how to find the
ones past their time and how to delete them. One engine (`purge`) enforces them all; `reconcile` proves it did
(the age of the oldest record per category against its limit, G20).

The main rule is P06: an end-customer interaction (messages, documents and their files, appointments, the
customer's name and e-mail, access tokens) goes 12 months after its last activity, or after the tenant's shorter
`retention_months`; an appointment of it that ends later counts as activity. Interactions under a legal hold (P26)
are skipped and reported. Categories that live as long as an account or a tenant are erased by that deletion
(parley.accounts.services.user_erase); their rule here sweeps up keys left without an owner.
"""

import calendar
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Min, QuerySet
from django.utils import timezone

from parley.privacy.registry import Retention

logger = logging.getLogger("parley.privacy")

BATCH_SIZE = 500


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (negative: earlier), or that month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Oldest:
    """The reconciliation figures of one category at `now`."""

    oldest_age: timedelta | None  # age of the oldest in-scope record, from its retention anchor
    overdue: timedelta | None  # how far the most overdue record is past its limit (None: none is)
    held: int = 0  # records kept past their time because of a legal hold (P26)


@dataclass(frozen=True)
class Rule:
    retention: Retention
    what: str  # which records, in words
    limit: Callable[[], str]  # the period as configured, in words
    expired: Callable[[datetime], int]  # how many records the purge would delete now
    purge: Callable[[datetime, int], Iterator[int]]  # deletes them; yields the count of each committed batch
    oldest: Callable[[datetime], Oldest]


# --- P06: end-customer interactions -----------------------------------------------------------------------------------


def _held_interactions(tenant_id: uuid.UUID) -> set[uuid.UUID]:
    try:
        from parley.holds.selectors import held_ids
    except ImportError:  # legal holds not installed
        return set()
    return held_ids(target_type="interaction", tenant_id=tenant_id)


def _tenants() -> list[tuple[uuid.UUID, int]]:
    from parley.tenants.models import Tenant

    return list(Tenant.objects.order_by("id").values_list("id", "retention_months"))


def interaction_cutoff(now: datetime, months: int) -> datetime:
    return add_months(now, -min(months, 12))


def expired_interactions(
    *, tenant_id: uuid.UUID, months: int, now: datetime, held: set[uuid.UUID] | None = None
) -> QuerySet[Any]:
    """Interactions of the tenant whose last activity, and every appointment's end, lie before the tenant's cutoff;
    held ones excluded."""
    from parley.interactions.models import Interaction
    from parley.scheduling.models import Appointment

    cutoff = interaction_cutoff(now, months)
    later = Appointment.objects.filter(tenant_id=tenant_id, ends_at__gte=cutoff).values("interaction_id")
    qs = Interaction.objects.filter(tenant_id=tenant_id, last_activity_at__lt=cutoff).exclude(id__in=later)
    held = _held_interactions(tenant_id) if held is None else held
    if held:
        qs = qs.exclude(id__in=held)
    return qs


def _interactions_expired(now: datetime) -> int:
    return sum(expired_interactions(tenant_id=t, months=m, now=now).count() for t, m in _tenants())


def erase_in_batches(
    next_ids: Callable[[set[uuid.UUID]], list[uuid.UUID]], erase: Callable[[list[uuid.UUID]], int], *, what: str
) -> Iterator[int]:
    """Erase what `next_ids(failed)` selects, batch after batch, each its own transaction (inside `erase`); what one
    run leaves, the next finds again. A batch that fails is retried one id at a time, so one bad row never stops the
    run; ids that still fail are left out of the selection for the rest of the run. Yields the count per batch."""
    failed: set[uuid.UUID] = set()
    while ids := next_ids(failed):
        try:
            yield erase(ids)
        except Exception as exc:
            logger.error("retention batch failed, retrying one by one: %s", type(exc).__name__)
            done = 0
            for one in ids:
                try:
                    done += erase([one])
                except Exception as one_exc:
                    logger.error("retention: %s %s not deleted: %s", what, one, type(one_exc).__name__)
                    failed.add(one)
            yield done


def _interactions_purge(now: datetime, batch_size: int) -> Iterator[int]:
    """Per tenant, batches of at most `batch_size` (see erase_in_batches)."""
    from parley.privacy.services import Rule as Why
    from parley.privacy.services import interactions_erase

    for tenant_id, months in _tenants():
        held = _held_interactions(tenant_id)

        def next_ids(
            failed: set[uuid.UUID], tenant_id: uuid.UUID = tenant_id, months: int = months, held: set[uuid.UUID] = held
        ) -> list[uuid.UUID]:
            # Re-checked inside the batch's transaction by interactions_erase's own filter on what still exists; a
            # conversation that got new activity meanwhile is no longer selected by the next query.
            qs = expired_interactions(tenant_id=tenant_id, months=months, now=now, held=held | failed)
            return list(qs.order_by("last_activity_at", "id").values_list("id", flat=True)[:batch_size])

        yield from erase_in_batches(
            next_ids, lambda ids: interactions_erase(interaction_ids=ids, rule=Why.RETENTION, now=now), what="interaction"
        )


def _interactions_oldest(now: datetime) -> Oldest:
    from parley.interactions.models import Interaction

    oldest_age: timedelta | None = None
    overdue: timedelta | None = None
    held_count = 0
    for tenant_id, months in _tenants():
        held = _held_interactions(tenant_id)
        held_count += len(held)
        first = Interaction.objects.filter(tenant_id=tenant_id).exclude(id__in=held).aggregate(m=Min("last_activity_at"))["m"]
        if first is not None:
            oldest_age = max(oldest_age or timedelta(0), now - first)
        first_expired = expired_interactions(tenant_id=tenant_id, months=months, now=now, held=held).aggregate(
            m=Min("last_activity_at")
        )["m"]
        if first_expired is not None:
            overdue = max(overdue or timedelta(0), interaction_cutoff(now, months) - first_expired)
    return Oldest(oldest_age=oldest_age, overdue=overdue, held=held_count)


SERVICE_RULE = Rule(
    retention=Retention.SERVICE_12_MONTHS,
    what="End-customer interactions: messages, documents and their files, appointments, name and e-mail, tokens",
    limit=lambda: "12 months after the last activity, or the tenant's shorter retention",
    expired=_interactions_expired,
    purge=_interactions_purge,
    oldest=_interactions_oldest,
)


# --- categories with a fixed age limit, pruned by their own app's function ------------------------------------------


def _age_rule(
    retention: Retention,
    what: str,
    limit_text: Callable[[], str],
    expired_qs: Callable[[datetime], QuerySet[Any]],
    scope_qs: Callable[[], QuerySet[Any]],
    anchor: str,
    deadline: Callable[[datetime], datetime],
    prune: Callable[[datetime], int],
) -> Rule:
    """`expired_qs(now)`: records past their time; `scope_qs()`: every record of the category, aged from `anchor`;
    `deadline(now)`: records anchored before it are overdue; `prune(now)`: the owning app's delete."""

    def purge(now: datetime, batch_size: int) -> Iterator[int]:
        yield prune(now)

    def oldest(now: datetime) -> Oldest:
        first = scope_qs().exclude(**{f"{anchor}__isnull": True}).aggregate(m=Min(anchor))["m"]
        first_expired = expired_qs(now).aggregate(m=Min(anchor))["m"]
        return Oldest(
            oldest_age=None if first is None else max(timedelta(0), now - first),
            overdue=None if first_expired is None else max(timedelta(0), deadline(now) - first_expired),
        )

    return Rule(retention, what, limit_text, lambda now: expired_qs(now).count(), purge, oldest)


def _sessions_rule() -> Rule:
    from parley.accounts.models import PortalSession
    from parley.scheduling.models import OAuthState

    def expired(now: datetime) -> QuerySet[Any]:
        return PortalSession.objects.filter(expire_date__lt=now)

    def prune(now: datetime) -> int:
        from parley.scheduling.calendars.services import STATE_LIFETIME

        states = OAuthState.objects.filter(created_at__lt=now - STATE_LIFETIME).delete()[0]
        return expired(now).delete()[0] + states

    return _age_rule(
        Retention.SESSION,
        "Portal sessions and calendar sign-in states",
        lambda: f"until expiry, at most {settings.PARLEY_REMEMBER_ME_DAYS} days",
        expired,
        lambda: PortalSession.objects.all(),
        "expire_date",
        lambda now: now,
        prune,
    )


def _throttle_rule() -> Rule:
    from parley.accounts.models import LoginThrottle
    from parley.accounts.throttle import throttles_prune

    def expired(now: datetime) -> QuerySet[Any]:
        window = timedelta(minutes=settings.PARLEY_LOGIN_LOCK_MINUTES)
        return LoginThrottle.objects.filter(window_started_at__lt=now - window).exclude(locked_until__gt=now)

    return _age_rule(
        Retention.THROTTLE,
        "Failed-login counters",
        lambda: f"{settings.PARLEY_LOGIN_LOCK_MINUTES} minutes",
        expired,
        lambda: LoginThrottle.objects.all(),
        "window_started_at",
        lambda now: now - timedelta(minutes=settings.PARLEY_LOGIN_LOCK_MINUTES),
        lambda now: throttles_prune(),
    )


def _invitation_rule() -> Rule:
    from parley.accounts.models import Invitation
    from parley.accounts.services import invitations_prune

    return _age_rule(
        Retention.INVITATION,
        "Invitations not accepted in time",
        lambda: f"at most {settings.PARLEY_INVITATION_DAYS} days",
        lambda now: Invitation.objects.filter(expires_at__lt=now),
        lambda: Invitation.objects.all(),
        "expires_at",
        lambda now: now,
        lambda now: invitations_prune(),
    )


def _outbox_rule() -> Rule:
    from parley.notifications.models import OutboxMail
    from parley.notifications.services import outbox_prune

    return _age_rule(
        Retention.DEV_OUTBOX,
        "Copies of sent mails (development outbox)",
        lambda: "30 days after sending",
        lambda now: OutboxMail.objects.filter(sent_at__lt=now - timedelta(days=30)),
        lambda: OutboxMail.objects.all(),
        "sent_at",
        lambda now: now - timedelta(days=30),
        lambda now: outbox_prune(),
    )


def _dsr_rule() -> Rule:
    from parley.dsr.models import DataSubjectRequest
    from parley.dsr.services import requests_prune, retention_months

    def expired(now: datetime) -> QuerySet[Any]:
        return DataSubjectRequest.objects.filter(
            status__in=DataSubjectRequest.CLOSED_STATUSES,
            closed_at__lt=add_months(now, -retention_months()),
            shredded_at__isnull=True,
        )

    return _age_rule(
        Retention.DSR_REQUEST,
        "Data-subject requests (their personal fields)",
        lambda: f"{retention_months()} months after closing",
        expired,
        lambda: DataSubjectRequest.objects.filter(shredded_at__isnull=True),
        "closed_at",
        lambda now: add_months(now, -retention_months()),
        lambda now: sum(requests_prune(now=now).values()),
    )


def _consent_rule() -> Rule:
    from parley.consent.models import ConsentRecord
    from parley.consent.services import consent_records_prune

    def deadline(now: datetime) -> datetime:
        return now - timedelta(days=round(settings.PARLEY_CONSENT_PROOF_MONTHS * 365.25 / 12))

    return _age_rule(
        Retention.CONSENT_PROOF,
        "Proof of consent after withdrawal",
        lambda: f"{settings.PARLEY_CONSENT_PROOF_MONTHS} months after withdrawal",
        lambda now: ConsentRecord.objects.filter(withdrawn_at__lt=deadline(now)),
        lambda: ConsentRecord.objects.filter(withdrawn_at__isnull=False),
        "withdrawn_at",
        deadline,
        lambda now: consent_records_prune(now=now),
    )


# --- P22: job applications ---------------------------------------------------------------------------------------------


def _applications_rule() -> Rule:
    """Applications go 12 months after their process ended (hired, rejected, withdrawn) with their CV, photo and
    data key; an open process is never selected. Batched like the interactions: one transaction per batch, a failing
    batch retried one by one."""
    from parley.careers.selectors import expired_applications, retention_cutoff
    from parley.careers.services import applications_erase

    def purge(now: datetime, batch_size: int) -> Iterator[int]:
        from parley.privacy.services import Rule as Why

        def next_ids(failed: set[uuid.UUID]) -> list[uuid.UUID]:
            qs = expired_applications(now=now).exclude(id__in=failed)
            return list(qs.order_by("process_ended_at", "id").values_list("id", flat=True)[:batch_size])

        yield from erase_in_batches(
            next_ids, lambda ids: applications_erase(application_ids=ids, rule=Why.RETENTION, now=now), what="application"
        )

    def oldest(now: datetime) -> Oldest:
        from parley.careers.models import Application

        first = Application.objects.aggregate(m=Min("process_ended_at"))["m"]
        first_expired = expired_applications(now=now).aggregate(m=Min("process_ended_at"))["m"]
        return Oldest(
            oldest_age=None if first is None else max(timedelta(0), now - first),
            overdue=None if first_expired is None else max(timedelta(0), retention_cutoff(now) - first_expired),
        )

    return Rule(
        Retention.JOB_APPLICATION,
        "Job applications: name, e-mail, phone, LinkedIn profile, cover letter, CV, photo, notes",
        lambda: "12 months after the application process ended",
        lambda now: expired_applications(now=now).count(),
        purge,
        oldest,
    )


# --- categories that live as long as an account or a tenant -----------------------------------------------------------


def _orphan_keys(scope_type: str, owner: Callable[[], QuerySet[Any]]) -> QuerySet[Any]:
    from parley.crypto.models import DataKey

    return DataKey.objects.filter(scope_type=scope_type, destroyed_at__isnull=True).exclude(scope_id__in=owner())


def _owner_rule(retention: Retention, what: str, limit: str, scope_type: str, owner: Callable[[], QuerySet[Any]]) -> Rule:
    """Erased with their owner (user_erase, tenant deletion); the purge destroys data keys whose owner row is gone
    (e.g. deleted outside Parley's services), so nothing of the category outlives it."""

    def purge(now: datetime, batch_size: int) -> Iterator[int]:
        from django.db import transaction

        from parley.crypto.services import data_keys_destroy

        while True:
            with transaction.atomic():
                ids = list(_orphan_keys(scope_type, owner).values_list("scope_id", flat=True)[:batch_size])
                if not ids:
                    return
                data_keys_destroy(scope_type=scope_type, scope_ids=ids)
            yield len(ids)

    def oldest(now: datetime) -> Oldest:
        first = _orphan_keys(scope_type, owner).aggregate(m=Min("created_at"))["m"]
        # An orphan key is overdue from the moment it exists (its owner is gone); its age since creation is reported.
        return Oldest(oldest_age=None if first is None else now - first, overdue=None if first is None else timedelta(0))

    return Rule(retention, what, lambda: limit, lambda now: _orphan_keys(scope_type, owner).count(), purge, oldest)


def _account_rule() -> Rule:
    from parley.accounts.models import User

    return _owner_rule(
        Retention.ACCOUNT,
        "Expert and administrator accounts: login, profile, photo, availability, calendars, second factor",
        "lifetime of the account; erased with it",
        "person",
        lambda: User.objects.values("id"),
    )


def _tenant_rule() -> Rule:
    from parley.tenants.models import Tenant

    return _owner_rule(
        Retention.TENANT,
        "The tenant's own settings and contacts",
        "duration of the contract; erased with the tenant",
        "tenant",
        lambda: Tenant.objects.values("id"),
    )


def rules() -> list[Rule]:
    """One rule per retention category of the registry, in the order the purge runs them."""
    return [
        SERVICE_RULE,
        _sessions_rule(),
        _throttle_rule(),
        _invitation_rule(),
        _outbox_rule(),
        _dsr_rule(),
        _consent_rule(),
        _applications_rule(),
        _account_rule(),
        _tenant_rule(),
    ]


# --- the engine -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    category: str
    deleted: int  # in this category so far
    batch: int  # in the batch just committed


def purge(*, now: datetime | None = None, batch_size: int | None = None, only: str | None = None) -> Iterator[Progress]:
    """Delete whatever is past its time, category by category, one committed batch at a time. Stopping between
    batches (Ctrl-C, a crash) leaves every finished batch done and the rest untouched: run it again to continue."""
    now = now or timezone.now()
    batch_size = batch_size or settings.PARLEY_RETENTION_BATCH_SIZE
    for rule in rules():
        if only and rule.retention != only:
            continue
        deleted = 0
        for count in rule.purge(now, batch_size):
            deleted += count
            yield Progress(category=rule.retention, deleted=deleted, batch=count)


def purge_plan(*, now: datetime | None = None) -> dict[str, int]:
    """What `purge` would delete now, per category (the dry run)."""
    now = now or timezone.now()
    return {rule.retention: rule.expired(now) for rule in rules()}


def purge_run(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled job: purge everything due, then the erasure ledger's own old rows and queued files."""
    from parley.privacy.services import ledger_prune, pending_files_process

    now = now or timezone.now()
    done: dict[str, int] = {}
    for step in purge(now=now):
        done[step.category] = step.deleted
    done["erasure_ledger"] = ledger_prune(now=now)
    done["files_unlinked"] = pending_files_process()
    logger.info("retention: %s", {k: v for k, v in done.items() if v})
    return done


@dataclass(frozen=True)
class CategoryCheck:
    category: str
    limit: str
    oldest_age: timedelta | None
    overdue: timedelta | None
    held: int
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        def hours(value: timedelta | None) -> float | None:
            return None if value is None else round(value.total_seconds() / 3600, 1)

        return {
            "category": self.category,
            "limit": self.limit,
            "oldest_age_hours": hours(self.oldest_age),
            "overdue_hours": hours(self.overdue),
            "held": self.held,
            "ok": self.ok,
        }


def reconcile(*, now: datetime | None = None) -> list[CategoryCheck]:
    """Per category: how old its oldest record is and whether any is past its limit by more than the grace period
    (PARLEY_RETENTION_GRACE_HOURS: the purge runs hourly, so a day's lag means it is not running)."""
    now = now or timezone.now()
    grace = timedelta(hours=settings.PARLEY_RETENTION_GRACE_HOURS)
    result = []
    for rule in rules():
        figures = rule.oldest(now)
        ok = figures.overdue is None or figures.overdue <= grace
        result.append(CategoryCheck(rule.retention, rule.limit(), figures.oldest_age, figures.overdue, figures.held, ok))
    return result

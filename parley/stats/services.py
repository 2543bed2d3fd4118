"""Counting events into anonymous daily aggregates (P10), and deleting them after 14 months (P25).

Counting happens when the event is written, through one hook call in the writing service. The increment runs in
`transaction.on_commit`: a write that rolls back counts nothing, and the counter row is locked only for the one
statement that bumps it, not for the rest of the writer's transaction (a tenant-wide counter held to the end of every
chat transaction would serialise all of that tenant's messages on PostgreSQL). Outside a transaction it runs at once.
A process that dies between the commit and the increment loses that one count: acceptable for statistics.

The increment is a single `INSERT ... ON CONFLICT (...) DO UPDATE SET count = count + excluded.count` for all rows of
an event (the total and one row per dimension): atomic and race-free on SQLite (>= 3.24) and PostgreSQL alike, no
read-modify-write, no savepoint. Rows are sorted, so two concurrent events lock rows in the same order.

What is stored (nothing that leads to a person; see models.py):
- page: the path the widget was opened on, normalised by page_normalise;
- expert: the ExpertProfile id, for volume counts only (conversations, messages, documents, appointments, calls).
  Experts are the tenant's staff, their profile id is public (the widget lists it), and the tenant already sees who
  handles which conversation. Waiting times and call durations are NOT broken down per expert: that would score
  staff (P27). When an account is erased (P09) its rows are merged into 'former expert';
- topic: a Topic id; media: audio or video; bucket: a coarse duration.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from parley.stats.models import Bucket, DailyCount, Dimension, Metric

logger = logging.getLogger("parley.stats")

RETENTION_MONTHS = 14  # P25: analytics 14 months
FORMER_EXPERT = "former"  # the expert value of an erased account's rows
PAGE_MAX_CHARS = 200
PAGE_MAX_SEGMENTS = 6
SEGMENT_MAX_CHARS = 40

Row = tuple[uuid.UUID, date, str, str, str, str]  # tenant, day, metric, dimension, value, bucket


def page_normalise(raw: Any) -> str:
    """The path only (no scheme, host, query or fragment), lower case, without a trailing slash; a segment with a
    digit, an '@', a control character or more than 40 characters becomes '*' (order numbers, dates, tokens, e-mail
    addresses); at most 6 segments and 200 characters. Whatever is not a path counts as '/'. A rare path that still
    names someone stays under the cell minimum of the report and is deleted with the row after 14 months."""
    if not isinstance(raw, str):
        return "/"
    path = raw.split("#", 1)[0].split("?", 1)[0].strip()
    if not path.startswith("/") or path.startswith("//"):
        return "/"
    segments = [s for s in path.split("/") if s]
    out = []
    for segment in segments[:PAGE_MAX_SEGMENTS]:
        text = unquote(segment).lower()
        if (
            len(text) > SEGMENT_MAX_CHARS
            or "@" in text
            or any(c.isdigit() for c in text)
            or any(not c.isprintable() or c.isspace() for c in text)
        ):
            out.append("*")
        else:
            out.append(text)
    if len(segments) > PAGE_MAX_SEGMENTS:
        out.append("*")
    return ("/" + "/".join(out))[:PAGE_MAX_CHARS]


def duration_bucket(seconds: float) -> str:
    if seconds < 60:
        return Bucket.UNDER_1
    if seconds < 5 * 60:
        return Bucket.FROM_1_TO_5
    if seconds < 15 * 60:
        return Bucket.FROM_5_TO_15
    if seconds < 60 * 60:
        return Bucket.FROM_15_TO_60
    return Bucket.OVER_60


def utc_day(when: datetime | None = None) -> date:
    return (when or timezone.now()).astimezone(UTC).date()


def _upsert(counts: dict[Row, int]) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE for all rows."""
    if not counts:
        return
    by_name = {f.name: f for f in DailyCount._meta.concrete_fields}
    fields = [by_name[n] for n in ("tenant", "day", "metric", "dimension", "value", "bucket", "count")]
    q = connection.ops.quote_name
    table = q(DailyCount._meta.db_table)
    columns = [q(f.get_attname_column()[1] or f.name) for f in fields]
    params: list[Any] = []
    for row in sorted(counts, key=lambda r: (str(r[0]), *r[1:])):
        for f, v in zip(fields, (*row, counts[row]), strict=True):
            params.append(f.get_db_prep_value(v, connection))
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    key = ", ".join(columns[:-1])
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(counts))} "  # noqa: S608 (names from _meta)
        f"ON CONFLICT ({key}) DO UPDATE SET {columns[-1]} = {table}.{columns[-1]} + excluded.{columns[-1]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _apply(counts: dict[Row, int]) -> None:
    """After commit: a failure is logged (without values) and never reaches the user's request."""
    try:
        _upsert(counts)
    except DatabaseError as exc:
        logger.warning("stats: a counter update failed (%s)", type(exc).__name__)


def stats_rows_add(counts: dict[Row, int]) -> None:
    """Add to counters now (inside a transaction: after it commits)."""
    transaction.on_commit(lambda: _apply(dict(counts)))


def stats_count(
    *, tenant_id: uuid.UUID, metric: str, dims: dict[str, str] | None = None, bucket: str = "", when: datetime | None = None
) -> None:
    """Count one event: the total row plus one row per given dimension. The expert row never carries a bucket
    (no per-person durations, P27)."""
    day = utc_day(when)
    rows: dict[Row, int] = {(tenant_id, day, metric, Dimension.ALL, "", bucket): 1}
    for dimension, value in (dims or {}).items():
        if value:
            row_bucket = "" if dimension == Dimension.EXPERT else bucket
            rows[(tenant_id, day, metric, dimension, str(value)[:PAGE_MAX_CHARS], row_bucket)] = 1
    stats_rows_add(rows)


# --- hooks called by the writing services ------------------------------------------------------------------------

_profile_ids: dict[uuid.UUID, str] = {}


def _expert_value(user_id: uuid.UUID | None) -> str:
    """The public profile id of an expert account (cached: it never changes while the account lives)."""
    if user_id is None:
        return ""
    if user_id not in _profile_ids:
        from parley.experts.models import ExpertProfile

        profile_id = ExpertProfile.objects.filter(user_id=user_id).values_list("id", flat=True).first()
        if profile_id is None:
            return ""
        if len(_profile_ids) > 10_000:
            _profile_ids.clear()
        _profile_ids[user_id] = str(profile_id)
    return _profile_ids[user_id]


def _dims(interaction: Any, *, expert: bool = True) -> dict[str, str]:
    dims: dict[str, str] = {Dimension.TOPIC: str(interaction.topic_id) if interaction.topic_id else ""}
    if expert:
        dims[Dimension.EXPERT] = _expert_value(interaction.expert_id)
    return dims


def stats_conversation_started(*, interaction: Any, page: Any = "/") -> None:
    dims = {**_dims(interaction), Dimension.PAGE: page_normalise(page)}
    stats_count(tenant_id=interaction.tenant_id, metric=Metric.CONVERSATION_STARTED, dims=dims)


def stats_message_posted(*, interaction: Any, message: Any) -> None:
    """A message or document; at the expert's first reply also the time since the customer's first message."""
    from parley.interactions.models import Message, Side

    if message.sender == Side.SYSTEM:
        return
    if message.document_id is not None:
        metric = Metric.DOCUMENT_SHARED
    else:
        metric = Metric.MESSAGE_CUSTOMER if message.sender == Side.CUSTOMER else Metric.MESSAGE_EXPERT
    stats_count(tenant_id=interaction.tenant_id, metric=metric, dims=_dims(interaction), when=message.created_at)
    if message.sender != Side.EXPERT:
        return
    earlier = Message.objects.filter(interaction_id=interaction.id, seq__lt=message.seq)
    if earlier.filter(sender=Side.EXPERT).exists():
        return
    asked_at = earlier.filter(sender=Side.CUSTOMER).order_by("seq").values_list("created_at", flat=True).first()
    if asked_at is None:
        return
    waited = (message.created_at - asked_at).total_seconds()
    stats_count(
        tenant_id=interaction.tenant_id,
        metric=Metric.FIRST_RESPONSE,
        dims=_dims(interaction, expert=False),
        bucket=duration_bucket(waited),
        when=message.created_at,
    )


def stats_appointment(*, appointment: Any, metric: str) -> None:
    """Booked or cancelled; counted on the day it happens, not the day of the appointment."""
    interaction = appointment.interaction
    dims = {**_dims(interaction, expert=False), Dimension.EXPERT: _expert_value(appointment.expert_id)}
    stats_count(tenant_id=appointment.tenant_id, metric=metric, dims=dims)


def stats_call_ended(*, interaction_id: uuid.UUID, seconds: float, video: bool) -> None:
    """A call that connected (an SDP answer passed) has ended. The ONE database write of the call path (P05 writes
    nothing else): a counter, no row about the call itself."""
    from parley.interactions.models import Interaction

    interaction = Interaction.objects.filter(id=interaction_id).only("tenant_id", "expert_id", "topic_id").first()
    if interaction is None:
        return
    dims = {**_dims(interaction), Dimension.MEDIA: "video" if video else "audio"}
    stats_count(tenant_id=interaction.tenant_id, metric=Metric.CALL, dims=dims, bucket=duration_bucket(seconds))


@dataclass
class CallTally:
    """What the expert's call socket remembers to count a call at its end, in memory only: when the two sides first
    exchanged an SDP answer and whether a camera (or screen) was on. Only the expert's side counts, so a call counts
    once; a socket that is replaced by a reload (role cleared) counts nothing, its successor counts from its start."""

    started: float | None = None
    video: bool = False
    _clock: Any = field(default=None, repr=False)

    def _now(self) -> float:
        import time

        return (self._clock or time.monotonic)()

    def seen(self, frame: dict[str, Any]) -> bool:
        """Note a relayed frame (either direction); True when it ends the call (a 'leave')."""
        kind = frame.get("type")
        if kind == "description" and frame.get("description", {}).get("type") == "answer" and self.started is None:
            self.started = self._now()
        elif kind == "media" and (frame.get("video") or frame.get("screen")):
            self.video = True
        return kind == "leave"

    def finish(self) -> tuple[float, bool] | None:
        """(seconds, video) of a connected call, once; None if nothing to count."""
        if self.started is None:
            return None
        result = (max(self._now() - self.started, 0.0), self.video)
        self.started, self.video = None, False
        return result


async def call_tally_end(consumer: Any) -> None:
    """From the call consumer when the call ends (a 'leave' either way, or the expert's socket closes): one thread
    hop per call, never per frame."""
    if getattr(consumer, "role", "") != "expert":
        return
    ended = consumer.call_tally.finish()
    if ended is None:
        return
    from channels.db import database_sync_to_async

    await database_sync_to_async(stats_call_ended)(interaction_id=consumer.interaction_id, seconds=ended[0], video=ended[1])


# --- erasure and retention ------------------------------------------------------------------------------------------


def stats_forget_expert(*, tenant_id: uuid.UUID, profile_id: uuid.UUID | str) -> int:
    """P09: an erased expert's rows are merged into 'former expert', so no row refers to the account any more."""
    value = str(profile_id)
    _profile_ids.clear()
    rows = list(
        DailyCount.objects.filter(tenant_id=tenant_id, dimension=Dimension.EXPERT, value=value).values_list(
            "id", "day", "metric", "bucket", "count"
        )
    )
    if not rows:
        return 0
    merged: dict[Row, int] = {}
    for _id, day, metric, bucket, count in rows:
        key = (tenant_id, day, metric, Dimension.EXPERT, FORMER_EXPERT, bucket)
        merged[key] = merged.get(key, 0) + count
    with transaction.atomic():
        DailyCount.objects.filter(id__in=[r[0] for r in rows]).delete()
        _upsert(merged)
    return len(rows)


def _months_back(day: date, months: int) -> date:
    import calendar

    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stats_cutoff(now: datetime | None = None) -> date:
    """The first UTC day still kept: rows of earlier days are older than 14 months."""
    return _months_back(utc_day(now), RETENTION_MONTHS)


def _orphaned_experts() -> Iterable[tuple[uuid.UUID, str]]:
    from parley.experts.models import ExpertProfile

    values = DailyCount.objects.filter(dimension=Dimension.EXPERT).exclude(value=FORMER_EXPERT)
    pairs = set(values.values_list("tenant_id", "value").distinct())
    live = {str(i) for i in ExpertProfile.objects.values_list("id", flat=True)}
    return [(t, v) for t, v in pairs if v not in live]


def stats_prune(now: datetime | None = None) -> int:
    """Delete counters older than 14 months (P25); also merge rows of experts whose account no longer exists (a
    safety net for deletions that did not go through the account erasure). Returns the rows deleted by age."""
    deleted = DailyCount.objects.filter(day__lt=stats_cutoff(now)).delete()[0]
    for tenant_id, value in _orphaned_experts():
        stats_forget_expert(tenant_id=tenant_id, profile_id=value)
    return deleted

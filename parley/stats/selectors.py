"""Reading the statistics for the Admin portal, with small cells hidden (P10: no inference about individuals).

k-anonymity: every count under MIN_CELL (5), zero included, is shown as "< 5", and so is a total under 5. So that a
hidden cell cannot be worked out as "total minus the visible cells", every group (the days of a series, the rows of a
breakdown column) is complete (remainder rows such as "no topic") and, when the hidden cells of a group add up to
1-4, the smallest visible cells are hidden too until they add up to at least 5. A row whose cells are all hidden is
folded into "Others", so a rare page path or topic is not even named.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Sum
from django.utils.translation import gettext as _

from parley.stats.models import Bucket, DailyCount, Dimension, Metric
from parley.stats.services import FORMER_EXPERT
from parley.tenants.models import Tenant

MIN_CELL = 5
ALL_METRICS = [m.value for m in Metric]
VOLUME_METRICS = [m for m in ALL_METRICS if m != Metric.FIRST_RESPONSE]
BUCKET_METRICS = [Metric.CALL.value, Metric.FIRST_RESPONSE.value]
BUCKETS = [b.value for b in Bucket if b.value]


@dataclass
class Cell:
    count: int
    hidden: bool = False

    @property
    def shown(self) -> str:
        return f"< {MIN_CELL}" if self.hidden else str(self.count)


def suppress(values: list[int], total: int) -> list[bool]:
    """Which cells to hide: those under MIN_CELL (all of them when the total is), then the smallest visible ones
    while the hidden ones add up to 1..MIN_CELL-1 (it could be derived from the total)."""
    if total < MIN_CELL:
        return [True] * len(values)
    hidden = [v < MIN_CELL for v in values]
    hidden_sum = sum(v for v, h in zip(values, hidden, strict=True) if h)
    while 0 < hidden_sum < MIN_CELL:
        visible = [i for i, h in enumerate(hidden) if not h]
        if not visible:
            break
        smallest = min(visible, key=lambda i: values[i])
        hidden[smallest] = True
        hidden_sum += values[smallest]
    return hidden


@dataclass
class Bar:
    day: date
    cell: Cell
    x: float
    y: float = 0.0
    height: float = 0.0


@dataclass
class Chart:
    metric: str
    label: str
    bars: list[Bar]
    width: int
    height: int = 100
    peak: int = 0


@dataclass
class Breakdown:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (metric, label)
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)


@dataclass
class Report:
    start: date
    end: date
    totals: list[tuple[str, str, Cell]]
    chart: Chart
    breakdowns: list[Breakdown]
    any_data: bool


def _labels() -> dict[str, str]:
    return {m.value: str(m.label) for m in Metric}


def _uuids(values: set[str]) -> list[uuid.UUID]:
    out = []
    for v in values:
        try:
            out.append(uuid.UUID(v))
        except ValueError:
            continue
    return out


def _value_labels(tenant: Tenant, dimension: str, values: set[str]) -> dict[str, str]:
    from parley.experts.models import ExpertProfile, Topic

    if dimension == Dimension.EXPERT:
        names = {
            str(p.id): p.user.name
            for p in ExpertProfile.objects.filter(tenant=tenant, id__in=_uuids(values)).select_related("user")
        }
        return {v: names.get(v, _("Former expert")) for v in values}
    if dimension == Dimension.TOPIC:
        names = {str(t.id): t.name for t in Topic.objects.filter(tenant=tenant, id__in=_uuids(values))}
        return {v: names.get(v, _("Deleted topic")) for v in values}
    if dimension == Dimension.MEDIA:
        return {v: {"audio": _("Audio only"), "video": _("With video")}.get(v, v) for v in values}
    return {v: v for v in values}


def _breakdown(
    *,
    key: str,
    title: str,
    metrics: list[str],
    data: dict[str, dict[str, int]],
    totals: dict[str, int],
    labels: dict[str, str],
    remainder: str,
) -> Breakdown:
    """Rows per value, one column per metric; a remainder row completes each column; fully hidden rows fold into
    'Others'; then every column is suppressed against its total."""
    names = _labels()
    rows: dict[str, list[int]] = {}
    for value in sorted(data):  # two values may share a label (e.g. two erased experts): add them up
        label = labels.get(value, value)
        previous = rows.get(label, [0] * len(metrics))
        rows[label] = [previous[i] + data[value].get(m, 0) for i, m in enumerate(metrics)]
    rest = [totals.get(m, 0) - sum(r[i] for r in rows.values()) for i, m in enumerate(metrics)]
    if any(rest):
        rows[remainder] = [rows.get(remainder, [0] * len(metrics))[i] + rest[i] for i in range(len(metrics))]
    others = [0] * len(metrics)
    kept: dict[str, list[int]] = {}
    for label, counts in rows.items():
        if all(c < MIN_CELL for c in counts):
            others = [a + b for a, b in zip(others, counts, strict=True)]
        else:
            kept[label] = counts
    ordered = sorted(kept.items(), key=lambda item: (-max(item[1]), item[0]))
    if any(others):
        ordered.append((_("Others (each under %(n)s)") % {"n": MIN_CELL}, others))
    hidden_by_column = [suppress([r[1][i] for r in ordered], totals.get(m, 0)) for i, m in enumerate(metrics)]
    breakdown = Breakdown(key=key, title=title, columns=[(m, names[m]) for m in metrics])
    for position, (label, counts) in enumerate(ordered):
        breakdown.rows.append((label, [Cell(c, hidden_by_column[i][position]) for i, c in enumerate(counts)]))
    return breakdown


def stats_report(*, tenant: Tenant, start: date, end: date, chart_metric: str = Metric.CONVERSATION_STARTED) -> Report:
    names = _labels()
    rows = DailyCount.objects.filter(tenant=tenant, day__gte=start, day__lte=end)
    per_day: dict[str, dict[date, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for day, metric, n in (
        rows.filter(dimension=Dimension.ALL).values("day", "metric").annotate(n=Sum("count")).values_list("day", "metric", "n")
    ):
        per_day[metric][day] = n
        totals[metric] += n

    total_cells = [(m, names[m], Cell(totals.get(m, 0), totals.get(m, 0) < MIN_CELL)) for m in ALL_METRICS]

    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    series = [per_day[chart_metric].get(d, 0) for d in days]
    hidden = suppress(series, totals.get(chart_metric, 0))
    step = 10
    chart = Chart(metric=chart_metric, label=names[chart_metric], bars=[], width=max(len(days) * step, step))
    chart.peak = max([v for v, h in zip(series, hidden, strict=True) if not h] or [0])
    for i, (d, v, h) in enumerate(zip(days, series, hidden, strict=True)):
        bar = Bar(day=d, cell=Cell(v, h), x=i * step + 1)
        if not h and chart.peak:
            bar.height = round(v / chart.peak * (chart.height - 4), 2)
            bar.y = chart.height - bar.height
        chart.bars.append(bar)

    by_dimension: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    dims = [Dimension.PAGE, Dimension.EXPERT, Dimension.TOPIC, Dimension.MEDIA]
    grouped = rows.filter(dimension__in=dims).values("dimension", "value", "metric").annotate(n=Sum("count"))
    for dimension, value, metric, n in grouped.values_list("dimension", "value", "metric", "n"):
        by_dimension[dimension][value][metric] = n

    breakdowns = []
    specs = [
        (Dimension.PAGE, _("By page"), [Metric.CONVERSATION_STARTED.value], _("Unknown page")),
        (Dimension.EXPERT, _("By expert"), VOLUME_METRICS, _("No expert")),
        (Dimension.TOPIC, _("By topic"), ALL_METRICS, _("No topic")),
        (Dimension.MEDIA, _("Calls by media"), [Metric.CALL.value], _("Unknown")),
    ]
    for dimension, title, metrics, remainder in specs:
        data = by_dimension.get(dimension, {})
        labels = _value_labels(tenant, dimension, set(data))
        if dimension == Dimension.EXPERT and FORMER_EXPERT in data:
            labels[FORMER_EXPERT] = _("Former expert")
        breakdowns.append(
            _breakdown(key=dimension, title=title, metrics=metrics, data=data, totals=totals, labels=labels, remainder=remainder)
        )

    by_bucket: dict[str, dict[str, int]] = defaultdict(dict)
    bucketed = rows.filter(dimension=Dimension.ALL, metric__in=BUCKET_METRICS).values("metric", "bucket")
    for metric, bucket, n in bucketed.annotate(n=Sum("count")).values_list("metric", "bucket", "n"):
        by_bucket[bucket][metric] = n
    bucket_labels = {b.value: str(b.label) for b in Bucket}
    bucket_table = Breakdown(
        key="bucket",
        title=_("Call durations and waiting times for the first reply"),
        columns=[(m, names[m]) for m in BUCKET_METRICS],
    )
    hidden_by_column = [suppress([by_bucket[b].get(m, 0) for b in BUCKETS], totals.get(m, 0)) for m in BUCKET_METRICS]
    for position, b in enumerate(BUCKETS):
        cells = [Cell(by_bucket[b].get(m, 0), hidden_by_column[i][position]) for i, m in enumerate(BUCKET_METRICS)]
        bucket_table.rows.append((bucket_labels[b], cells))
    breakdowns.append(bucket_table)

    return Report(start=start, end=end, totals=total_cells, chart=chart, breakdowns=breakdowns, any_data=bool(totals))

"""KPI tiles against targets, and the monthly health check (docs/metrics.md).

Pure: reports in (domain/metrics.py), frozen values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from prodboard.domain.metrics import EVERYTHING, Period, Report, Scope, compute, month_of
from prodboard.domain.piece_figures import Memo
from prodboard.domain.replay import Replay
from prodboard.domain.track_metrics import TrackFacts, with_tracks

# key -> (label, unit, which way is better)
KPIS: dict[str, tuple[str, str, str]] = {
    "velocity": ("Published / week", "", "up"),
    "cycle_days": ("Cycle time p50", "d", "down"),
    "lead_days": ("Lead time p50", "d", "down"),
    "first_draft_days": ("First draft p50", "d", "down"),
    "on_time": ("On time", "%", "up"),
    "revision_rate": ("Revisions / piece", "", "down"),
    "review_wait_hours": ("Review wait p50", "h", "down"),
    "cost_per_piece": ("Cost / piece", "", "down"),
    "first_pass": ("Checklist 1st pass", "%", "up"),
    "error_rate": ("Errors / piece", "", "down"),
    "utilisation": ("Utilisation", "%", "down"),
}
DEFAULT_TARGETS: dict[str, float] = {"on_time": 0.9, "cycle_days": 14.0}
CYCLE_CREEP = 0.15  # cycle time up more than this against the three-month average
TRACK_CREEP = 0.15  # a review track's wait p85 up more than this on last month


def kpi_values(r: Report) -> dict[str, float | None]:
    loads = [x.utilisation for x in r.load if x.utilisation is not None]
    return {
        "velocity": r.per_week,
        "cycle_days": r.cycle.p50,
        "lead_days": r.lead.p50,
        "first_draft_days": r.first_draft.p50,
        "on_time": r.on_time.rate,
        "revision_rate": r.revisions_mean,
        "review_wait_hours": r.review.wait_hours.p50,
        "cost_per_piece": r.cost.per_piece,
        "first_pass": r.errors.first_pass_rate,
        "error_rate": r.errors.per_piece,
        "utilisation": sum(loads) / len(loads) if loads else None,
    }


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: str
    better: str  # "up" or "down"
    value: float | None
    previous: float | None
    target: float | None
    status: str  # "good", "bad" (against the target) or "" (no target or no value)

    @property
    def trend(self) -> str:
        """↑, ↓ or = against the previous period ("" when either is missing)."""
        if self.value is None or self.previous is None:
            return ""
        if abs(self.value - self.previous) < 1e-9:
            return "="
        return "↑" if self.value > self.previous else "↓"

    @property
    def improved(self) -> bool | None:
        if self.trend in ("", "="):
            return None
        return (self.trend == "↑") == (self.better == "up")


def judge(key: str, value: float | None, target: float | None) -> str:
    if value is None or target is None:
        return ""
    ok = value >= target if KPIS[key][2] == "up" else value <= target
    return "good" if ok else "bad"


def kpis(current: Report, previous: Report, targets: Mapping[str, float]) -> tuple[Kpi, ...]:
    now, before = kpi_values(current), kpi_values(previous)
    out = []
    for key, (label, unit, better) in KPIS.items():
        target = targets.get(key)
        out.append(Kpi(key, label, unit, better, now[key], before[key], target,
                       judge(key, now[key], target)))
    return tuple(out)


def show_value(k: Kpi | None, value: float | None, unit: str = "") -> str:
    """A figure as a tile or table shows it."""
    if value is None:
        return "–"
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit in ("d", "h"):
        return f"{value:.1f}{unit}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"


# -- the monthly health check --------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    key: str
    says: str
    pieces: tuple[int, ...]


@dataclass(frozen=True)
class HealthRow:
    key: str
    label: str
    unit: str
    value: float | None
    last_month: float | None
    three_month: float | None  # the mean of the three months before (those with a value)
    target: float | None
    status: str


@dataclass(frozen=True)
class Health:
    month: Period
    rows: tuple[HealthRow, ...]
    flags: tuple[Flag, ...]
    report: Report
    before: tuple[Report, ...]  # last month first


def health(replay: Replay, month: Period, now: datetime, tz: tzinfo,
           targets: Mapping[str, float], scope: Scope = EVERYTHING, *,
           tracks: Sequence[TrackFacts] = (), memo: Memo | None = None) -> Health:
    """This month against last month and the three-month average, and what got worse.
    ``tracks``: the stored review tracks, for the per-track review figures."""

    def month_report(p: Period) -> Report:
        return with_tracks(compute(replay, p, now, tz, scope, memo), tracks, replay, tz)

    this = month_report(month)
    before: list[Report] = []
    p = month
    for _ in range(3):
        p = p.previous()
        before.append(month_report(p))
    values = kpi_values(this)
    past = [kpi_values(r) for r in before]
    rows = []
    for key, (label, unit, _) in KPIS.items():
        avg = _mean([v[key] for v in past])
        rows.append(HealthRow(key, label, unit, values[key], past[0][key], avg,
                              targets.get(key), judge(key, values[key], targets.get(key))))
    return Health(month, tuple(rows), _flags(this, before, targets), this, tuple(before))


def _mean(xs: Sequence[float | None]) -> float | None:
    have = [x for x in xs if x is not None]
    return sum(have) / len(have) if have else None


def _flags(this: Report, before: Sequence[Report], targets: Mapping[str, float]) -> tuple[Flag, ...]:
    out: list[Flag] = []
    avg = _mean([r.cycle.p50 for r in before])
    if this.cycle.p50 is not None and avg and this.cycle.p50 > avg * (1 + CYCLE_CREEP):
        slow = tuple(p.piece for p in this.points if p.cycle_days > avg)
        out.append(Flag("cycle_days", f"cycle time p50 {this.cycle.p50:.1f} d is up "
                        f"{(this.cycle.p50 / avg - 1) * 100:.0f}% on the three-month average "
                        f"{avg:.1f} d", slow))
    target = targets.get("on_time")
    if this.on_time.rate is not None and target is not None and this.on_time.rate < target:
        out.append(Flag("on_time", f"on time {this.on_time.rate * 100:.0f}% is below the "
                        f"target {target * 100:.0f}%", this.on_time.late))
    last = before[0].revisions_mean if before else None
    if this.revisions_mean is not None and last is not None and this.revisions_mean > last:
        out.append(Flag("revision_rate", f"revisions per piece rose from {last:.2f} to "
                        f"{this.revisions_mean:.2f}", this.over_limit or this.revised))
    was = before[0].bottleneck if before else None
    if this.bottleneck and was and this.bottleneck != was:
        stay = next(s for s in this.stages if s.stage == this.bottleneck)
        out.append(Flag("bottleneck", f"the bottleneck moved from {was} to {this.bottleneck} "
                        f"({stay.mean_days:.1f} d a piece)", stay.longest))
    out += _track_flags(this, before[0] if before else None)
    for load in this.load:
        if load.days_over:
            out.append(Flag("overloaded", f"{load.person} was over the WIP limit of {load.limit} "
                            f"on {load.days_over} day(s) (peak {load.peak})", load.peak_pieces))
    return tuple(out)


def _track_flags(this: Report, last: Report | None) -> list[Flag]:
    """A role whose review wait p85 rose more than TRACK_CREEP on last month's, with
    the pieces whose wait on it was longer than last month's p85, longest first."""
    was = {t.role: t.wait_hours.p85 for t in last.review.tracks} if last else {}
    out = []
    for t in this.review.tracks:
        before, now = was.get(t.role), t.wait_hours.p85
        if now is None or not before or now <= before * (1 + TRACK_CREEP):
            continue
        slow = tuple(pid for pid, hours in t.waits if hours > before)
        out.append(Flag("review_track", f"{t.role} review wait p85 {now:g} h is up "
                        f"{(now / before - 1) * 100:.0f}% on last month's {before:g} h", slow))
    return out


__all__ = ["Flag", "Health", "HealthRow", "Kpi", "health", "kpis", "month_of", "show_value"]

"""The figures as JSON (docs/metrics.md), CSV rows and Markdown: one shape for every face."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from prodboard.domain.health import Health, Kpi, show_value
from prodboard.domain.metrics import Report, Spread

BY = ("format", "owner", "channel", "stage")


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def spread_json(s: Spread) -> dict[str, Any]:
    return {"n": s.n, "p50": _r(s.p50), "p85": _r(s.p85), "max": _r(s.max), "mean": _r(s.mean)}


def kpi_json(k: Kpi) -> dict[str, Any]:
    return {"key": k.key, "label": k.label, "unit": k.unit, "better": k.better,
            "value": _r(k.value), "previous": _r(k.previous), "trend": k.trend,
            "target": k.target, "status": k.status}


def report_json(r: Report, tiles: Sequence[Kpi] = ()) -> dict[str, Any]:
    """The Report object of docs/metrics.md."""
    return {
        "period": {"since": r.period.since.isoformat(), "until": r.period.until.isoformat(),
                   "days": r.period.days, "timezone": r.timezone},
        "scope": asdict(r.scope),
        "kpis": [kpi_json(k) for k in tiles],
        "counts": {"published": r.published, "created": r.created, "archived": r.archived,
                   "rejected": r.rejected, "imported": r.imported, "in_progress": r.in_progress},
        "velocity": {"per_week": _r(r.per_week),
                     "weekly": [{"week": w, "published": n} for w, n in r.velocity_weekly],
                     "monthly": [{"month": m, "published": n} for m, n in r.velocity_monthly]},
        "cycle_days": spread_json(r.cycle),
        "lead_days": spread_json(r.lead),
        "first_draft_days": spread_json(r.first_draft),
        "stages": [{"stage": s.stage, "pieces": s.pieces, "total_days": _r(s.total_days),
                    "mean_days": _r(s.mean_days)} for s in r.stages],
        "bottleneck": r.bottleneck,
        "revisions": {
            "mean": _r(r.revisions_mean), "over_limit_share": _r(r.over_limit_share),
            "over_limit": list(r.over_limit),
            "by_format": [{"format": f.format, "pieces": f.pieces, "mean": _r(f.mean),
                           "limit": f.limit, "over_limit": f.over_limit,
                           "distribution": {str(k): v for k, v in f.distribution.items()}}
                          for f in r.revisions]},
        "on_time": {"with_deadline": r.on_time.with_deadline, "on_time": r.on_time.on_time,
                    "no_deadline": r.on_time.no_deadline, "rate": _r(r.on_time.rate),
                    "late": list(r.on_time.late)},
        "slips": {"count": r.slips.count, "pieces": r.slips.pieces,
                  "mean_days": _r(r.slips.mean_days), "max_days": r.slips.max_days},
        "review": {"wait_hours": spread_json(r.review.wait_hours),
                   "open_rounds": r.review.open_rounds, "breaches": r.review.breaches,
                   "delegated": r.review.delegated, "sla_hours": r.review.sla_hours,
                   "tracks": [{"role": t.role, "wait_hours": spread_json(t.wait_hours),
                               "approved": t.approved, "changes": t.changes,
                               "delegated": t.delegated, "waiting": t.waiting}
                              for t in r.review.tracks]},
        "cost": {"total": _r(r.cost.total), "per_piece": _r(r.cost.per_piece),
                 "by_format": {k: _r(v) for k, v in r.cost.by_format.items()}},
        "load": [{"person": x.person, "mean": _r(x.mean), "peak": x.peak,
                  "peak_day": x.peak_day.isoformat() if x.peak_day else None,
                  "limit": x.limit, "days_over": x.days_over, "away_days": x.away_days,
                  "utilisation": _r(x.utilisation)} for x in r.load],
        "errors": {"overrides": r.errors.overrides, "rejections": r.errors.rejections,
                   "change_requests": r.errors.change_requests,
                   "per_piece": _r(r.errors.per_piece),
                   "checklist_attempts": r.errors.checklist_attempts,
                   "checklist_first_pass": r.errors.checklist_first_pass,
                   "first_pass_rate": _r(r.errors.first_pass_rate)},
        "flow": {"days": [d.isoformat() for d in r.days],
                 "stages": {k: list(v) for k, v in r.flow.items()},
                 "weeks": [asdict(w) for w in r.weeks]},
        "control": [{"piece": p.piece, "day": p.day.isoformat(), "cycle_days": _r(p.cycle_days)}
                    for p in r.points],
    }


# -- grouped (--by) ------------------------------------------------------------------

GROUP_COLUMNS = ("group", "published", "per_week", "cycle_p50", "cycle_p85", "lead_p50",
                 "on_time", "revisions_mean", "cost_per_piece", "in_progress")
STAGE_COLUMNS = ("stage", "pieces", "mean_days", "total_days", "at_end", "bottleneck")


def group_row(group: str, r: Report) -> dict[str, Any]:
    return {"group": group, "published": r.published, "per_week": _r(r.per_week),
            "cycle_p50": _r(r.cycle.p50), "cycle_p85": _r(r.cycle.p85),
            "lead_p50": _r(r.lead.p50), "on_time": _r(r.on_time.rate),
            "revisions_mean": _r(r.revisions_mean), "cost_per_piece": _r(r.cost.per_piece),
            "in_progress": r.in_progress}


def stage_rows(r: Report) -> list[dict[str, Any]]:
    return [{"stage": s.stage, "pieces": s.pieces, "mean_days": _r(s.mean_days),
             "total_days": _r(s.total_days),
             "at_end": r.flow[s.stage][-1] if r.flow.get(s.stage) else 0,
             "bottleneck": s.stage == r.bottleneck} for s in r.stages]


def kpi_rows(tiles: Sequence[Kpi]) -> list[dict[str, Any]]:
    return [{k: v for k, v in kpi_json(t).items() if k != "better"} for t in tiles]


# -- text ----------------------------------------------------------------------------

def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fig(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def report_markdown(r: Report, tiles: Sequence[Kpi], titles: dict[int, str] | None = None,
                    groups: Sequence[dict[str, Any]] = ()) -> str:
    lines = [f"# Report {r.period.label()} ({r.timezone})", ""]
    if r.scope.describe() != "everything":
        lines += [f"Scope: {r.scope.describe()}", ""]
    lines += _table(("KPI", "value", "previous", "trend", "target", "status"), [
        (k.label, show_value(k, k.value, k.unit), show_value(k, k.previous, k.unit), k.trend,
         show_value(k, k.target, k.unit) if k.target is not None else "", k.status)
        for k in tiles])
    lines += ["", f"Published {r.published}, created {r.created}, archived {r.archived}, "
              f"rejected {r.rejected}, in progress {r.in_progress}; {r.imported} imported "
              "without history (left out of the times).", ""]
    lines += ["## Cycle and lead time (days)", ""]
    lines += _table(("figure", "n", "p50", "p85", "max"), [
        (name, str(s.n), _fig(_r(s.p50)), _fig(_r(s.p85)), _fig(_r(s.max)))
        for name, s in (("cycle", r.cycle), ("lead", r.lead), ("first draft", r.first_draft))])
    lines += ["", "## Time in stage", ""]
    lines += _table(STAGE_COLUMNS, [[_fig(v) for v in row.values()] for row in stage_rows(r)])
    if r.review.tracks:
        lines += ["", "## Review per track (hours)", ""]
        lines += _table(("track", "n", "p50", "p85", "max", "approved", "changes", "delegated",
                         "waiting"), [
            (t.role, str(t.wait_hours.n), _fig(_r(t.wait_hours.p50)), _fig(_r(t.wait_hours.p85)),
             _fig(_r(t.wait_hours.max)), str(t.approved), str(t.changes), str(t.delegated),
             str(t.waiting)) for t in r.review.tracks])
    if groups:
        lines += ["", "## By group", ""]
        cols = tuple(groups[0])
        lines += _table(cols, [[_fig(row[c]) for c in cols] for row in groups])
    return "\n".join(lines) + "\n"


def health_json(h: Health) -> dict[str, Any]:
    return {
        "month": h.month.since.strftime("%Y-%m"),
        "period": {"since": h.month.since.isoformat(), "until": h.month.until.isoformat(),
                   "timezone": h.report.timezone},
        "kpis": [{"key": x.key, "label": x.label, "unit": x.unit, "value": _r(x.value),
                  "last_month": _r(x.last_month), "three_month": _r(x.three_month),
                  "target": x.target, "status": x.status} for x in h.rows],
        "flags": [{"key": f.key, "says": f.says, "pieces": list(f.pieces)} for f in h.flags],
        "report": report_json(h.report),
    }


def health_markdown(h: Health) -> str:
    month = h.month.since.strftime("%Y-%m")
    lines = [f"# Health check {month} ({h.report.timezone})", ""]
    lines += _table(("KPI", month, "last month", "3-month avg", "target", "status"), [
        (x.label, show_value(None, x.value, x.unit), show_value(None, x.last_month, x.unit),
         show_value(None, x.three_month, x.unit),
         show_value(None, x.target, x.unit) if x.target is not None else "", x.status)
        for x in h.rows])
    tracks = h.report.review.tracks
    if tracks:
        was = {t.role: t.wait_hours.p85 for t in h.before[0].review.tracks} if h.before else {}
        lines += ["", "## Review per track (hours)", ""]
        lines += _table(("track", "n", "p50", "p85", "last month p85", "approved", "changes",
                         "delegated", "waiting"), [
            (t.role, str(t.wait_hours.n), _fig(_r(t.wait_hours.p50)), _fig(_r(t.wait_hours.p85)),
             _fig(_r(was.get(t.role))), str(t.approved), str(t.changes), str(t.delegated),
             str(t.waiting)) for t in tracks])
    lines += ["", "## Flags", ""]
    if not h.flags:
        lines.append("Nothing got worse.")
    for f in h.flags:
        lines.append(f"- **{f.key}**: {f.says}")
        for pid in f.pieces:
            lines.append(f"  - #{pid} {h.report.lines.get(pid, '')}")
    return "\n".join(lines) + "\n"


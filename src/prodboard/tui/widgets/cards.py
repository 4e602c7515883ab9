"""How one card looks: a few lines of rich Text built from a piece. No markup is parsed:
every piece of user text goes in as plain ``Text``."""

from __future__ import annotations

from collections.abc import Set
from datetime import date, datetime

from rich.style import Style
from rich.text import Text

from prodboard.domain import reviews, rules
from prodboard.domain.text import clean_line
from prodboard.domain.values import PieceView
from prodboard.domain.workflow import Workflow

CARD_HEIGHT = 4  # title, meta, badges, gap


def card_state(p: PieceView, wf: Workflow, now: datetime, away: Set[str]) -> str:
    """The one state a card's bar shows, most urgent first."""
    due = rules.due_state(p, wf, now)
    if due == "overdue":
        return "overdue"
    if p.owner in away and rules.at_risk_days_left(p, wf, now.date()):
        return "at-risk"
    if due == "due_soon":
        return "due-soon"
    return ""


def _short_date(value: str, today: date) -> str:
    d = date.fromisoformat(value)
    return d.strftime("%b %d") if d.year == today.year else d.isoformat()


def _width(parts: list[str], gap: int) -> int:
    return sum(Text(part).cell_len for part in parts) + gap * max(len(parts) - 1, 0)


def card_lines(
    p: PieceView, wf: Workflow, now: datetime, state: str, styles: dict[str, Style], width: int
) -> list[Text]:
    """The card's lines, each exactly ``width`` cells wide (before the gap line)."""
    inner = max(width - 2, 1)
    bar = Text("▌", style=styles.get(f"bar-{state}" if state else "bar", Style()))
    title = Text(clean_line(p.title), style=styles["title"], no_wrap=True, overflow="ellipsis")
    title.truncate(inner, overflow="ellipsis")
    owner = clean_line(p.owner or "unassigned")
    meta_bits = [p.format, owner + (" (away)" if state == "at-risk" else "")]
    if state == "at-risk" and _width(meta_bits, 3) > inner:
        meta_bits = [f"(away) {owner}", p.format]  # short of space: the signal first
    meta = Text(" · ".join(clean_line(b) for b in meta_bits), style=styles["meta"], no_wrap=True)
    meta.truncate(inner, overflow="ellipsis")
    # (text, style, rank): the rank orders the signals when they do not all fit
    bits: list[tuple[str, Style, int]] = []
    if p.due:
        label = "overdue" if state == "overdue" else "due"
        bits.append((f"{label} {_short_date(p.due, now.date())}",
                     styles.get(f"due-{state}", styles["meta"]), 3))
    if state == "at-risk":
        bits.append(("⚠ risk", styles["bar-at-risk"], 0))
    if p.comments:
        bits.append((f"✉{p.comments}", styles["meta"], 5))
    if p.revision_rounds:
        over = p.revision_rounds > wf.revision_limit(p.format)
        bits.append((f"↺{p.revision_rounds}", styles["warn"] if over else styles["meta"], 4))
    stage = wf.stage(p.stage)
    missing = rules.gate_missing(p, wf, stage.gate) if stage.gate else ()
    if p.tracks:  # review tracks first, what a piece in review waits on: ✓editor · sme
        bits.insert(0, (reviews.compact(p.tracks, inner),
                        styles["gate"] if missing else styles["meta"], 2))
    elif missing:
        what = f"{len(missing)} checks" if stage.gate == "checklist" else stage.gate
        bits.append((f"⊘ {what}", styles["gate"], 1))
    if _width([b[0] for b in bits], 2) > inner:
        bits.sort(key=lambda b: b[2])  # short of space: warnings before counts
    badges = Text(no_wrap=True)
    for i, (bit, style, _) in enumerate(bits):
        if i:
            badges.append("  ")
        badges.append(bit, style)
    badges.truncate(inner, overflow="ellipsis")
    lines = []
    for body in (title, meta, badges):
        line = Text(no_wrap=True)
        line.append_text(bar)
        line.append(" ")
        line.append_text(body)
        lines.append(line)
    return lines

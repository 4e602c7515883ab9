"""How review tracks look on the board: the piece screen's table of tracks. Roles and
handles go in as plain ``Text``."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text

from prodboard.domain import reviews as rv
from prodboard.domain import timefmt
from prodboard.domain.values import PieceView
from prodboard.domain.workflow import Workflow


def tracks_text(p: PieceView, wf: Workflow, now: datetime, zone: tzinfo) -> Text:
    """One line per track: role, reviewer, decision (its time in ``zone``), time waited
    and time left."""
    seq = wf.sequential(p.format)
    out = Text()
    out.append(f"Review tracks ({'one after another' if seq else 'in parallel'})\n",
               "bold underline")
    opened = {t.role for t in rv.open_tracks(p.tracks, seq)}
    for t in sorted(p.tracks, key=lambda t: t.position):
        out.append(f"{rv.MARKS.get(t.state) or '·'} {t.role:<14}", "bold")
        out.append(f"{(t.reviewer or 'nobody'):<12}")
        if t.state == rv.APPROVED:
            proxy = " (delegated)" if t.delegated else ""
            at = timefmt.clock_time(t.decided_at, zone, now) if t.decided_at else "—"
            out.append(f"approved by {t.decided_by}{proxy} at {at}", "green")
        elif t.state == rv.CHANGES:
            out.append(f"changes requested by {t.decided_by}", "yellow")
        elif t.role in opened:
            left = rv.time_left(t, wf.review_sla_hours, now)
            late = left is not None and left.total_seconds() < 0
            out.append(f"waiting {rv.hours(rv.waited_for(t, now))}, ")
            out.append(f"{'overdue ' + rv.hours(-left) if late and left else 'left ' + rv.hours(left)}",
                       "bold red" if late else "")
        else:
            out.append("waits its turn", "dim")
        out.append("\n")
    return out

"""Reads for the editorial calendar: the agenda of a date range, whose pieces a feed
holds, and the board's stable identity for calendar UIDs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from prodboard.domain import calendar as cal
from prodboard.domain.text import clean, clean_line
from prodboard.domain.values import PersonView, PieceView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput
from prodboard.storage import tables as m
from prodboard.storage.queries import Queries

MAX_AGENDA_DAYS = 3660  # ten years: a longer range is a typo, and would print for minutes


@dataclass(frozen=True)
class AgendaLine:
    """One piece on one day, with that day's warnings about it."""

    entry: cal.Entry
    warnings: tuple[str, ...]

    def to_json(self, wf: Workflow) -> dict[str, Any]:
        """The AgendaEntry object of docs/json.md."""
        p = self.entry.piece
        return {
            "date": self.entry.day.isoformat(),
            "kind": self.entry.kind,
            "for_stage": self.entry.stage or None,
            "piece_id": p.id,
            "title": p.title,
            "format": p.format,
            "channels": list(p.channels),
            "owner": p.owner,
            "stage": p.stage,
            "version": p.version,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Agenda:
    start: date
    end: date
    lines: list[AgendaLine]
    day_warnings: dict[date, list[cal.DayWarning]]
    unscheduled: list[PieceView]


def agenda(q: Queries, wf: Workflow, start: date, end: date, today: date,
           person: str | None = None) -> Agenda:
    """What falls between ``start`` and ``end`` (both included), for everyone or for the
    pieces ``person`` owns or reviews; with each day's warnings and the unscheduled tray."""
    if end < start:
        raise BadInput(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    if (end - start).days > MAX_AGENDA_DAYS:
        raise BadInput(f"the range is longer than {MAX_AGENDA_DAYS} days")
    pieces = [p for p in q.pieces() if person is None or involves(p, person)]
    days = cal.entries_between(pieces, wf, start, end)
    warnings = cal.warnings_by_day(days, wf, today)
    lines = []
    for day, entries in days.items():
        found = warnings.get(day, [])
        for entry in entries:
            own = tuple(w.text for w in found if w.piece_id == entry.piece.id
                        or (w.channel and entry.kind == cal.PUBLISH
                            and w.channel in (c.lower() for c in entry.piece.channels)))
            lines.append(AgendaLine(entry, own))
    return Agenda(start, end, lines, warnings, cal.unscheduled(pieces, wf))


def involves(piece: PieceView, handle: str) -> bool:
    """``handle`` owns or reviews the piece: it is on their calendar."""
    return piece.owner == handle or handle in piece.reviewers


def select_pieces(q: Queries, *, person: str | None = None, role: str | None = None,
                  people: list[PersonView] | None = None) -> list[PieceView]:
    """The pieces of a feed, archived ones too (they become cancelled events): all of
    them, one person's (owner or reviewer), or those of everyone holding ``role``."""
    pieces = q.pieces(archived=None)
    if person is not None:
        return [p for p in pieces if involves(p, person)]
    if role is not None:
        want = role.strip().lower().lstrip("@")
        team = people if people is not None else q.people()
        holders = {p.handle for p in team if want in p.roles}
        if not holders:
            roles = sorted({r for p in team for r in p.roles})
            raise BadInput(f"nobody holds the role {clean_line(role)!r} (roles: {', '.join(roles)})")
        return [p for p in pieces if any(involves(p, h) for h in holders)]
    return pieces


def board_uid(q: Queries) -> str:
    """A stable identity for the board's calendar UIDs: from its first event, which is
    never rewritten (events are append-only), so a renamed or moved board keeps it."""
    with q.store.read() as conn:
        row = conn.execute(select(m.EVENTS.c.id, m.EVENTS.c.at, m.EVENTS.c.actor)
                           .order_by(m.EVENTS.c.id).limit(1)).first()
    seed = f"{row.id}|{row.at}|{row.actor}" if row is not None else "empty board"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def latest_event(q: Queries) -> tuple[int, str | None]:
    """The id and time of the latest event (0, None on a board without one)."""
    E = m.EVENTS
    with q.store.read() as conn:
        row = conn.execute(select(E.c.id, E.c.at).order_by(E.c.id.desc()).limit(1)).first()
    return (int(row.id), str(row.at)) if row is not None else (0, None)


def agenda_text(line: AgendaLine, wf: Workflow) -> str:
    """One agenda line for the terminal: date, kind, piece, where it goes, who, stage."""
    e, p = line.entry, line.entry.piece
    try:
        stage = wf.stage(p.stage).name
    except BadInput:
        stage = p.stage
    kind = {"publish": "publish", "due": "due", "stage": f"{e.stage} due"}[e.kind]
    where = " · ".join((p.format, *p.channels))
    text = (f"{e.day.isoformat()} {e.day.strftime('%a')}  {kind:<14} #{p.id:<5} "
            f"{clean_line(p.title)}  [{clean_line(where)}]  {p.owner or 'unassigned'}  {stage}")
    for warning in line.warnings:
        text += f"  ⚠ {clean(warning)}"
    return text

"""The reads of the time-check scheduler (``services/checks.py``): the pieces that have
a time rule at all, and what the events since a cursor touched."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, or_, select

from prodboard.domain.thresholds import Dates
from prodboard.domain.values import PieceView, piece_from_dict
from prodboard.domain.workflow import Workflow
from prodboard.storage import tables as m
from prodboard.storage.tracks import attach

P = m.PIECES
E = m.EVENTS
_CHUNK = 500


def timed_pieces(conn: Connection, wf: Workflow, *, ids: Collection[int] | None = None,
                 owners: Collection[str] | None = None) -> list[PieceView]:
    """The live pieces a time rule can apply to, now or later: with a due date, in
    review, or (with derived stage dates) with a publish date; with their review
    tracks. Only those of ``ids`` / owned by ``owners`` when given."""
    query = _timed(select(P), wf)
    if owners is not None:
        query = query.where(P.c.owner.in_(list(owners)))
    if ids is None:
        pieces = _read(conn, query.order_by(P.c.id))
    else:
        wanted = sorted(ids)
        pieces = [p for i in range(0, len(wanted), _CHUNK)
                  for p in _read(conn, query.where(P.c.id.in_(wanted[i:i + _CHUNK])))]
    return attach(conn, pieces, wf)


def timed_dates(conn: Connection, wf: Workflow, *, after: int = 0,
                limit: int | None = None) -> list[tuple[int, Dates]]:
    """The ids and ``Dates`` of the pieces ``timed_pieces`` reads (a few columns), in id
    order: only those with an id above ``after``, at most ``limit`` (a page)."""
    query = _timed(select(P.c.id, P.c.due, P.c.publish_date, P.c.stage, P.c.stage_entered_at,
                          P.c.format), wf).where(P.c.id > after).order_by(P.c.id).limit(limit)
    return [(row[0], Dates(*row[1:])) for row in conn.execute(query)]


def _timed(query: Select[Any], wf: Workflow) -> Select[Any]:
    """Only the live pieces with a due date, in review, or (with derived stage dates)
    with a publish date."""
    maybe: list[ColumnElement[bool]] = [P.c.due.is_not(None)]
    review = wf.gate_stage("approval")
    if review is not None:
        maybe.append(P.c.stage == review.key)
    if wf.derive_stage_due:
        maybe.append(P.c.publish_date.is_not(None))
    return query.where(P.c.archived.is_(False), P.c.stage != wf.last.key, or_(*maybe))


def _read(conn: Connection, query: Select[Any]) -> list[PieceView]:
    # The names once per query: a row's own mapping rebuilds them for every row (a
    # fifth of a first check on a big board).
    result = conn.execute(query)
    names = list(result.keys())
    return [piece_from_dict(dict(zip(names, row, strict=True))) for row in result]


@dataclass
class Touched:
    """What the events after a cursor changed: pieces, and people (by handle)."""

    last_id: int
    pieces: set[int] = field(default_factory=set)
    people: set[str] = field(default_factory=set)


def last_event_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(E.c.id), 0))).scalar_one())


def touched_since(conn: Connection, cursor: int) -> Touched:
    """The pieces and people the events with id > ``cursor`` touched (the alerts the
    checks raise themselves change nothing a rule reads, and are left out)."""
    out = Touched(cursor)
    rows = conn.execute(select(E.c.id, E.c.piece_id, E.c.kind, E.c.data)
                        .where(E.c.id > cursor).order_by(E.c.id))
    for event_id, piece_id, kind, data in rows:
        out.last_id = event_id
        if kind.startswith("alert."):
            continue
        if piece_id is not None:
            out.pieces.add(piece_id)
        if kind.startswith("person.") and isinstance(data, dict) and data.get("handle"):
            out.people.add(str(data["handle"]))
    return out

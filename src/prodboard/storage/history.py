"""The history read for the figures: the events that change what is measured, streamed
in id order, and the current rows they are read against."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import String, select, type_coerce

from prodboard.domain.clock import parse_utc
from prodboard.domain.replay import PieceFacts
from prodboard.domain.track_metrics import TrackFacts
from prodboard.domain.values import EventView, PersonView, person_from_row
from prodboard.storage import tables as m
from prodboard.storage.store import Store

E = m.EVENTS
P = m.PIECES

# Comments, watches, ticks and reorders change nothing the figures read.
MEASURED = (
    "piece.created", "piece.moved", "piece.approved", "piece.changes_requested",
    "piece.edited", "piece.assigned", "piece.archived", "piece.rejected", "piece.restored",
    "person.away", "person.back",
)
BATCH = 5000


def measured_events(store: Store, after: int = 0) -> Iterator[EventView]:
    """Events with id > ``after`` whose kind the figures read, oldest first, read in
    batches (a 300,000-event history is never held as rows all at once)."""
    cursor = after
    # ``data`` as its stored text, decoded here: the column's own decoder costs a
    # third more per row, and a long history has 100,000 of them.
    query = select(E.c.id, E.c.at, E.c.actor, E.c.kind, E.c.piece_id,
                   type_coerce(E.c.data, String))
    loads = json.loads
    while True:
        with store.read() as conn:
            rows = conn.execute(query.where(E.c.id > cursor, E.c.kind.in_(MEASURED))
                                .order_by(E.c.id).limit(BATCH)).all()
        for eid, at, actor, kind, pid, data in rows:
            value = loads(data) if isinstance(data, str) else data
            yield EventView(eid, at, actor, kind, pid, value if isinstance(value, dict) else {})
        if len(rows) < BATCH:
            return
        cursor = rows[-1][0]


def piece_rows(store: Store, ids: list[int] | None = None) -> dict[int, PieceFacts]:
    """What the figures read of the current rows (archived too) of all pieces, or of ``ids``."""
    cols = select(P.c.id, P.c.title, P.c.stage, P.c.owner, P.c.format, P.c.due,
                  P.c.publish_date, P.c.cost, P.c.channels)
    out: dict[int, PieceFacts] = {}
    with store.read() as conn:
        chunks = [ids[i : i + 500] for i in range(0, len(ids), 500)] if ids is not None else [None]
        for chunk in chunks:
            query = cols if chunk is None else cols.where(P.c.id.in_(chunk))
            for pid, title, stage, owner, fmt, due, publish, cost, channels in conn.execute(query):
                out[pid] = PieceFacts(pid, title, stage, owner, fmt, due, publish, float(cost),
                                      tuple(channels or ()))
    return out


def people_rows(store: Store) -> list[PersonView]:
    with store.read() as conn:
        return [person_from_row(r) for r in conn.execute(select(m.PEOPLE))]


def track_rows(store: Store) -> list[TrackFacts]:
    """Every stored review track (each cycle's), for the per-track review figures."""
    T = m.TRACKS
    query = select(T.c.piece_id, T.c.cycle, T.c.role, T.c.state, T.c.opened_at,
                   T.c.decided_at, T.c.delegated)
    with store.read() as conn:
        return [TrackFacts(pid, cycle, role, state, parse_utc(opened) if opened else None,
                           parse_utc(decided) if decided else None, bool(delegated))
                for pid, cycle, role, state, opened, decided, delegated in conn.execute(query)]

"""The review tracks' rows: read a piece's current cycle, write a cycle, count loads.

A cycle is current while its ``entered_at`` is the piece's ``stage_entered_at`` (the
piece has not left review since). A piece in review whose format has tracks but no
current cycle (it entered before the config named them) is shown with fresh,
unrouted tracks; the first decision on it stores them (``services/reviews.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from sqlalchemy import Connection, and_, func, select

from prodboard.domain import reviews as rv
from prodboard.domain.reviews import TrackView
from prodboard.domain.values import PersonView, PieceView, person_from_row, piece_from_row
from prodboard.domain.workflow import Workflow
from prodboard.storage import tables as m

T = m.TRACKS
P = m.PIECES
PERSON = m.PEOPLE
RA = m.RAISED
_CHUNK = 500


def _view(row: object) -> TrackView:
    d = dict(row._mapping)  # type: ignore[attr-defined]
    return TrackView(d["piece_id"], d["cycle"], d["role"], d["position"], d["reviewer"],
                     d["state"], d["opened_at"], d["decided_by"], d["decided_at"],
                     bool(d["delegated"]), d["note"] or "")


def _latest(conn: Connection, piece_ids: Sequence[int]) -> dict[int, tuple[str, list[TrackView]]]:
    """Each piece's latest cycle: (entered_at, tracks in position order)."""
    out: dict[int, tuple[str, list[TrackView]]] = {}
    for i in range(0, len(piece_ids), _CHUNK):
        chunk = list(piece_ids[i : i + _CHUNK])
        top = (select(T.c.piece_id, func.max(T.c.cycle).label("cycle"))
               .where(T.c.piece_id.in_(chunk)).group_by(T.c.piece_id).subquery())
        rows = conn.execute(
            select(T).join(top, and_(T.c.piece_id == top.c.piece_id, T.c.cycle == top.c.cycle))
            .order_by(T.c.piece_id, T.c.position))
        for row in rows:
            entry = out.setdefault(row.piece_id, (row.entered_at, []))
            entry[1].append(_view(row))
    return out


def last_cycle(conn: Connection, piece_id: int) -> tuple[int, str | None, list[TrackView]]:
    """The number, entered_at and tracks of a piece's latest cycle (0, None, [] if none)."""
    found = _latest(conn, [piece_id]).get(piece_id)
    if found is None:
        return 0, None, []
    return found[1][0].cycle, found[0], found[1]


def in_review(piece: PieceView, wf: Workflow) -> bool:
    review = wf.gate_stage("approval")
    return (review is not None and piece.stage == review.key and not piece.archived
            and bool(wf.reviews_for(piece.format)))


def fresh(piece: PieceView, wf: Workflow, cycle: int) -> list[TrackView]:
    """Unrouted tracks for a piece in review that has no current cycle."""
    return rv.new_cycle(piece.id, cycle, wf.reviews_for(piece.format), piece.stage_entered_at,
                        sequential=wf.sequential(piece.format))


def current(conn: Connection, piece: PieceView, wf: Workflow) -> tuple[bool, list[TrackView]]:
    """(stored, tracks) of a piece in review with tracks; stored is False for fresh ones."""
    cycle, entered, tracks = last_cycle(conn, piece.id)
    if entered == piece.stage_entered_at and tracks:
        return True, tracks
    return False, fresh(piece, wf, cycle + 1)


def attach(conn: Connection, pieces: list[PieceView], wf: Workflow) -> list[PieceView]:
    """``pieces`` with the tracks of those in review (one query for them all)."""
    wanted = [p.id for p in pieces if in_review(p, wf)]
    if not wanted:
        return pieces
    latest = _latest(conn, wanted)
    out: list[PieceView] = []
    for p in pieces:
        if p.id not in wanted:
            out.append(p)
            continue
        entered, tracks = latest.get(p.id, (None, []))
        if entered != p.stage_entered_at or not tracks:
            tracks = fresh(p, wf, (tracks[0].cycle if tracks else 0) + 1)
        out.append(replace(p, tracks=tuple(tracks)))
    return out


def write(conn: Connection, tracks: Iterable[TrackView], entered_at: str) -> None:
    """Store a cycle's tracks (replacing what that cycle held)."""
    rows = [{"piece_id": t.piece_id, "cycle": t.cycle, "role": t.role, "position": t.position,
             "entered_at": entered_at, "reviewer": t.reviewer, "state": t.state,
             "opened_at": t.opened_at, "decided_by": t.decided_by, "decided_at": t.decided_at,
             "delegated": t.delegated, "note": t.note} for t in tracks]
    for key in {(r["piece_id"], r["cycle"]) for r in rows}:
        conn.execute(T.delete().where(T.c.piece_id == key[0], T.c.cycle == key[1]))
    if rows:
        conn.execute(T.insert(), rows)


def open_load(conn: Connection, review_stage: str) -> dict[str, int]:
    """Open reviews per reviewer: waiting tracks of the current cycles of live pieces in
    review (what least-load routing balances)."""
    top = select(T.c.piece_id, func.max(T.c.cycle).label("cycle")).group_by(T.c.piece_id).subquery()
    rows = conn.execute(
        select(T.c.reviewer, func.count())
        .join(top, and_(T.c.piece_id == top.c.piece_id, T.c.cycle == top.c.cycle))
        .join(P, and_(P.c.id == T.c.piece_id, P.c.stage_entered_at == T.c.entered_at))
        .where(T.c.state == rv.WAITING, T.c.reviewer.is_not(None), P.c.stage == review_stage,
               P.c.archived.is_(False))
        .group_by(T.c.reviewer))
    return {who: int(n) for who, n in rows}


def review_pieces(conn: Connection, wf: Workflow) -> list[PieceView]:
    """The live pieces in review whose format has tracks, with their tracks."""
    review = wf.gate_stage("approval")
    formats = list(wf.reviews_by_format)
    if review is None or not formats:
        return []
    rows = conn.execute(select(P).where(P.c.stage == review.key, P.c.archived.is_(False),
                                        P.c.format.in_(formats)).order_by(P.c.id))
    return attach(conn, [piece_from_row(r) for r in rows], wf)


def team(conn: Connection) -> dict[str, PersonView]:
    """Everyone on the board by handle (routing reads roles, availability, delegates)."""
    return {p.handle: p for p in map(person_from_row, conn.execute(select(PERSON)))}


def raised_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` the raised-alert ledger already holds."""
    out: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        out.update(r[0] for r in conn.execute(select(RA.c.key).where(RA.c.key.in_(keys[i:i + _CHUNK]))))
    return out

"""Read-only queries shared by the commands, the CLI and the board."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from prodboard.domain.values import (
    CommentView,
    EventView,
    PersonView,
    PieceView,
    RecipientView,
    event_from_dict,
    event_from_row,
    event_json_from_dict,
    person_from_row,
    piece_from_dict,
    piece_from_row,
    piece_json_reader,
)
from prodboard.domain.workflow import Workflow
from prodboard.storage import tables as m
from prodboard.storage import tracks
from prodboard.storage.backend import Backend, meta_value

P = m.PIECES
E = m.EVENTS
PERSON = m.PEOPLE
C = m.COMMENTS
W = m.WATCHES
RC = m.READ_CURSORS
RI = m.READ_ITEMS
R = m.RECIPIENTS
RA = m.RAISED
_CHUNK = 500  # ids or keys per IN (...), well under SQLite's variable limit
PAGE = 500  # rows a streamed read holds at a time (iter_pieces, iter_events)

Stored = dict[int, dict[str, RecipientView]]


def row_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain dict (column name -> value)."""
    return dict(row._mapping)


class Queries:
    """Reads of one board; each method is one read transaction."""

    def __init__(self, store: Backend, workflow: Workflow) -> None:
        self.store = store
        self.wf = workflow

    def _stage_order(self) -> Any:
        return case({st.key: i for i, st in enumerate(self.wf.stages)}, value=P.c.stage, else_=99)

    def board_name(self) -> str:
        with self.store.read() as conn:
            return meta_value(conn, "board_name", self.wf.name)

    def pieces(
        self,
        *,
        stage: str | None = None,
        owner: str | None = None,
        archived: bool | None = False,
        ids: Iterable[int] | None = None,
        exclude_stage: str | None = None,
    ) -> list[PieceView]:
        """Pieces in board order (stage, then rank), with their comment counts.

        ``archived``: False the live ones, True the archived ones, None both.
        """
        query = self._pieces_query(stage, owner, archived, ids, exclude_stage)
        with self.store.read() as conn:
            return _views(conn, query, self.wf)

    def iter_pieces(self, *, stage: str | None = None, owner: str | None = None,
                    archived: bool | None = False, page: int = PAGE) -> Iterator[PieceView]:
        """What ``pieces`` returns, as it is read: one query in one read transaction,
        fetched ``page`` rows at a time (a server-side cursor on PostgreSQL), so the
        memory held does not grow with the board. The transaction stays open until
        the last piece is taken or the iterator is closed."""
        pages = self._pages(self._pieces_query(stage, owner, archived), page)
        for conn, keys, rows in pages:
            yield from tracks.attach(conn, _decoded(keys, rows), self.wf)

    def iter_piece_json(self, *, stage: str | None = None, owner: str | None = None,
                        archived: bool | None = False, page: int = PAGE) -> Iterator[dict[str, Any]]:
        """What ``iter_pieces`` yields, as the Piece objects of docs/json.md (``to_json``),
        made from the rows without a PieceView between; the JSON holds no tracks, so
        none are read."""
        for _, keys, rows in self._pages(self._pieces_query(stage, owner, archived), page):
            yield from map(piece_json_reader(keys), rows)

    def _pages(self, query: Any, page: int) -> Iterator[tuple[Connection, list[str], Sequence[Any]]]:
        """The rows of ``query`` ``page`` at a time (the column names with each page), in
        one read transaction that stays open until the last page is taken or the
        iterator is closed (a server-side cursor on PostgreSQL)."""
        with self.store.read() as conn:
            result = conn.execute(query.execution_options(yield_per=page))
            keys = list(result.keys())
            for rows in result.partitions():
                yield conn, keys, rows

    def _pieces_query(self, stage: str | None, owner: str | None, archived: bool | None,
                      ids: Iterable[int] | None = None, exclude_stage: str | None = None) -> Any:
        counts = (
            select(C.c.piece_id, func.count().label("n")).group_by(C.c.piece_id).subquery()
        )
        query = (
            select(P, func.coalesce(counts.c.n, 0).label("comments"))
            .outerjoin(counts, counts.c.piece_id == P.c.id)
            .order_by(self._stage_order(), P.c.rank, P.c.id)
        )
        if archived is not None:
            query = query.where(P.c.archived.is_(archived))
        if stage:
            query = query.where(P.c.stage == self.wf.stage(stage).key)
        if owner:
            query = query.where(P.c.owner == owner.lower().lstrip("@"))
        if exclude_stage:
            query = query.where(P.c.stage != exclude_stage)
        if ids is not None:
            query = query.where(P.c.id.in_(list(ids)))
        return query

    def piece(self, piece_id: int) -> PieceView | None:
        found = self.pieces(ids=[piece_id], archived=None)
        return found[0] if found else None

    def comments(self, piece_id: int) -> list[CommentView]:
        with self.store.read() as conn:
            rows = conn.execute(select(C).where(C.c.piece_id == piece_id).order_by(C.c.id))
            return [
                CommentView(r.id, r.piece_id, r.author, r.body, tuple(r.mentions), r.created_at)
                for r in rows
            ]

    def history(self, piece_id: int) -> list[EventView]:
        with self.store.read() as conn:
            rows = conn.execute(select(E).where(E.c.piece_id == piece_id).order_by(E.c.id))
            return [event_from_row(r) for r in rows]

    def events_since(self, cursor: int, limit: int | None = None) -> list[EventView]:
        """Events with id > cursor, oldest first."""
        query = self._events_query(cursor)
        if limit:
            query = query.limit(limit)
        with self.store.read() as conn:
            return [event_from_row(r) for r in conn.execute(query)]

    def iter_events(self, cursor: int, page: int = PAGE) -> Iterator[EventView]:
        """What ``events_since(cursor)`` returns, as it is read (like ``iter_pieces``)."""
        for _, keys, rows in self._pages(self._events_query(cursor), page):
            for row in rows:
                yield event_from_dict(dict(zip(keys, row, strict=True)))

    def iter_event_json(self, cursor: int, page: int = PAGE) -> Iterator[dict[str, Any]]:
        """What ``iter_events`` yields, as the Event objects of docs/json.md (``to_json``)."""
        for _, keys, rows in self._pages(self._events_query(cursor), page):
            for row in rows:
                yield event_json_from_dict(dict(zip(keys, row, strict=True)))

    def _events_query(self, cursor: int) -> Any:
        return select(E).where(E.c.id > cursor).order_by(E.c.id)

    def inbox_events(
        self, handle: str, cursor: int, limit: int | None = None
    ) -> tuple[list[EventView], Stored]:
        """Events after ``cursor`` (oldest first) and, in the same query, the recipient
        rows they hold for ``handle``: what the inbox and its count are made of."""
        query = (
            select(E, R.c.reason, R.c.severity)
            .outerjoin(R, (R.c.event_id == E.c.id) & (R.c.person == handle))
            .where(E.c.id > cursor)
            .order_by(E.c.id)
        )
        if limit:
            query = query.limit(limit)
        events: list[EventView] = []
        stored: Stored = {}
        with self.store.read() as conn:
            for row in conn.execute(query):
                events.append(event_from_row(row))
                if row.reason is not None:
                    stored[row.id] = {handle: RecipientView(handle, row.reason, row.severity)}
        return events, stored

    def recipients_for(self, handle: str, event_ids: Iterable[int]) -> Stored:
        """The recipient rows ``handle`` holds among ``event_ids``."""
        wanted = sorted(set(event_ids))
        out: Stored = {}
        with self.store.read() as conn:
            for i in range(0, len(wanted), _CHUNK):
                rows = conn.execute(select(R).where(R.c.person == handle,
                                                    R.c.event_id.in_(wanted[i : i + _CHUNK])))
                for r in rows:
                    out[r.event_id] = {handle: RecipientView(handle, r.reason, r.severity)}
        return out

    def recipients(self, event_id: int) -> list[RecipientView]:
        """Everyone an event concerned when it happened."""
        with self.store.read() as conn:
            rows = conn.execute(select(R).where(R.c.event_id == event_id).order_by(R.c.person))
            return [RecipientView(r.person, r.reason, r.severity) for r in rows]

    def last_event_id(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(E.c.id), 0))).scalar_one())

    def people(self) -> list[PersonView]:
        with self.store.read() as conn:
            return self.people_in(conn)

    def person(self, handle: str) -> PersonView | None:
        with self.store.read() as conn:
            return self.person_in(conn, handle)

    def person_in(self, conn: Connection, handle: str) -> PersonView | None:
        row = conn.execute(select(PERSON).where(PERSON.c.handle == handle)).first()
        return person_from_row(row) if row else None

    def delegators_of(self, conn: Connection, handle: str) -> set[str]:
        """The people who named ``handle`` as their delegate."""
        rows = conn.execute(select(PERSON.c.handle).where(PERSON.c.delegate == handle))
        return {r[0] for r in rows}

    def known_names(self, conn: Connection) -> tuple[set[str], set[str]]:
        """All handles, and all roles held by someone (for @mentions)."""
        handles: set[str] = set()
        roles: set[str] = set()
        for handle, person_roles in conn.execute(select(PERSON.c.handle, PERSON.c.roles)):
            handles.add(handle)
            roles.update(person_roles or ())
        return handles, roles

    def watchers(self, piece_id: int) -> set[str]:
        with self.store.read() as conn:
            return {r[0] for r in conn.execute(select(W.c.handle).where(W.c.piece_id == piece_id))}

    def pieces_and_watchers(
        self, piece_ids: Iterable[int]
    ) -> tuple[dict[int, PieceView], dict[int, set[str]]]:
        """Just these pieces (archived or not, no comment counts) and their watchers,
        in one read transaction: what the alert rules need about the pieces a batch
        of events touched, without reading the whole board."""
        wanted = sorted(set(piece_ids))
        pieces: dict[int, PieceView] = {}
        watchers: dict[int, set[str]] = {}
        with self.store.read() as conn:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                for row in conn.execute(select(P).where(P.c.id.in_(chunk))):
                    pieces[row.id] = piece_from_row(row)
                rows = conn.execute(select(W.c.piece_id, W.c.handle).where(W.c.piece_id.in_(chunk)))
                for pid, handle in rows:
                    watchers.setdefault(pid, set()).add(handle)
        return pieces, watchers

    def stage_count(self, conn: Connection, stage: str) -> int:
        return int(
            conn.execute(
                select(func.count()).where(P.c.stage == stage, P.c.archived.is_(False))
            ).scalar_one()
        )

    def stage_counts(self) -> dict[str, int]:
        with self.store.read() as conn:
            rows = conn.execute(
                select(P.c.stage, func.count()).where(P.c.archived.is_(False)).group_by(P.c.stage)
            )
            return {stage: n for stage, n in rows}

    def active_count(self, conn: Connection, owner: str) -> int:
        """Pieces a person owns that are being worked on (not in the first or last stage)."""
        idle = (self.wf.first.key, self.wf.last.key)
        return int(
            conn.execute(
                select(func.count()).where(
                    P.c.owner == owner, P.c.archived.is_(False), P.c.stage.not_in(idle)
                )
            ).scalar_one()
        )

    # -- time-based checks (services/checks.py) ----------------------------------------
    def late_candidates(self, conn: Connection, horizon: date) -> list[PieceView]:
        """The live pieces that could be late: due by ``horizon``, in review, or (with
        derived stage dates) carrying a publish date. Archived pieces and the last
        stage are left out in SQL, so a 10,000-piece board reads a handful of rows."""
        maybe: list[ColumnElement[bool]] = [P.c.due.is_not(None) & (P.c.due <= horizon.isoformat())]
        review = self.wf.gate_stage("approval")
        if review is not None:
            maybe.append(P.c.stage == review.key)
        if self.wf.derive_stage_due:
            maybe.append(P.c.publish_date.is_not(None))
        query = (
            select(P)
            .where(P.c.archived.is_(False), P.c.stage != self.wf.last.key, or_(*maybe))
            .order_by(P.c.id)
        )
        return [piece_from_row(row) for row in conn.execute(query)]

    def people_in(self, conn: Connection) -> list[PersonView]:
        return [person_from_row(r) for r in conn.execute(select(PERSON).order_by(PERSON.c.handle))]

    def raised_keys(self, conn: Connection, keys: list[str]) -> set[str]:
        """Which of ``keys`` the raised-alert ledger already holds."""
        found: set[str] = set()
        for i in range(0, len(keys), _CHUNK):
            rows = conn.execute(select(RA.c.key).where(RA.c.key.in_(keys[i : i + _CHUNK])))
            found.update(r[0] for r in rows)
        return found

    def read_items(self, handle: str, cursor: int) -> frozenset[int]:
        """The events above ``cursor`` that ``handle`` marked read one by one."""
        with self.store.read() as conn:
            rows = conn.execute(select(RI.c.event_id).where(RI.c.handle == handle,
                                                            RI.c.event_id > cursor))
            return frozenset(int(r[0]) for r in rows)

    def read_cursor(self, handle: str) -> int:
        with self.store.read() as conn:
            row = conn.execute(select(RC.c.event_id).where(RC.c.handle == handle)).first()
            return int(row[0]) if row else 0

    # -- the board's paged columns (tui/board_state.py) ---------------------------------
    def stage_page(
        self, stage: str, after: tuple[float, int] | None, limit: int
    ) -> list[PieceView]:
        """Up to ``limit`` live pieces of ``stage`` in board order (rank, id) after the
        key ``after``: a keyset page, read through ix_piece_stage_rank (on SQLite the
        index ends with the row id), so page 180 costs what page 1 does."""
        query = (
            select(P, _comment_count())
            .where(P.c.archived.is_(False), P.c.stage == stage)
            .order_by(P.c.rank, P.c.id)
            .limit(limit)
        )
        if after is not None:
            rank, pid = after
            query = query.where(or_(P.c.rank > rank, and_(P.c.rank == rank, P.c.id > pid)))
        with self.store.read() as conn:
            return _views(conn, query, self.wf)

    def dated_between(self, stages: Iterable[str], lo: str, hi: str) -> list[PieceView]:
        """Live pieces of ``stages`` with a publish or due date from ``lo`` to ``hi``
        (ISO days, both included): what a calendar span shows of stages the board
        holds only in part."""
        dated = or_(P.c.publish_date.between(lo, hi), P.c.due.between(lo, hi))
        query = (
            select(P, _comment_count())
            .where(P.c.archived.is_(False), P.c.stage.in_(list(stages)), dated)
            .order_by(P.c.id)
        )
        with self.store.read() as conn:
            return _views(conn, query, self.wf)


def _comment_count() -> Any:
    """A piece's comment count, per row (a page does not group the whole comment table)."""
    return (
        select(func.count()).where(C.c.piece_id == P.c.id).scalar_subquery().label("comments")
    )


def _views(conn: Connection, query: Any, wf: Workflow) -> list[PieceView]:
    """Rows of ``select(P, comments)`` as pieces with their review tracks."""
    result = conn.execute(query)
    return tracks.attach(conn, _decoded(list(result.keys()), result), wf)


def _decoded(keys: list[str], rows: Iterable[Any]) -> list[PieceView]:
    """Rows of ``select(P, comments)`` as pieces (zip per row: ``row._mapping`` costs a
    third of a big load)."""
    return [piece_from_dict(dict(zip(keys, row, strict=True)), row[-1]) for row in rows]

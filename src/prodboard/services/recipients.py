"""Recipients fixed at write time: who each event concerns, stored with the event.

``record`` runs inside the transaction that appends the event: it reads the state as
it is right after the change (the piece's owner, reviewers and watchers, the team's
roles) and writes one ``recipient`` row per person concerned, with the reason and
the severity. ``backfill`` gives events written before schema 3 their rows, once,
by replaying the event log (see docs/architecture.md for its limits).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select, text

from prodboard.domain.audience import AlertContext, PieceFacts, audiences_of, concerned_reasons
from prodboard.domain.values import EventView, PersonView, event_from_row, person_from_row
from prodboard.domain.workflow import Workflow
from prodboard.services.alerts import severity
from prodboard.storage import tables as m
from prodboard.storage.store import Store, meta_value

P = m.PIECES
E = m.EVENTS
PERSON = m.PEOPLE
R = m.RECIPIENTS
META = m.META
BACKFILL_KEY = "recipients_backfill"


def rows_for(event: EventView, ctx: AlertContext) -> list[dict[str, Any]]:
    """The recipient rows of ``event`` in the snapshot ``ctx``: people on the team,
    never the actor."""
    return [
        {"event_id": event.id, "person": who, "reason": reason,
         "severity": severity(event, who, ctx)}
        for who, reason in concerned_reasons(event, ctx).items()
        if who != event.actor and who in ctx.people
    ]


# Written once: a statement built per event cost more than the event's own insert.
_PEOPLE = text("SELECT handle, display_name, roles, away, away_note, delegate, alert_level, "
               "created_at FROM person")
# the piece and its watchers in one round trip: one row per watcher (one, NULL, if none)
_PIECE = text("SELECT piece.owner, piece.reviewers, piece.stage, piece.title, watch.handle "
              "FROM piece LEFT JOIN watch ON watch.piece_id = piece.id WHERE piece.id = :id")
_INSERT = text("INSERT INTO recipient (event_id, person, reason, severity) "
               "VALUES (:event_id, :person, :reason, :severity)")


def team_in(conn: Connection) -> dict[str, PersonView]:
    """Everyone on the board by handle, read in ``conn``'s transaction."""
    out: dict[str, PersonView] = {}
    for handle, name, roles, away, note, delegate, level, created in conn.execute(_PEOPLE):
        roles = json.loads(roles) if isinstance(roles, str) else roles
        out[handle] = PersonView(handle, name, tuple(roles or ()), bool(away), note, delegate,
                                 level, created)
    return out


def snapshot_in(conn: Connection, wf: Workflow, piece_id: int | None,
                team: dict[str, PersonView] | None = None) -> AlertContext:
    """The team (``team``, when the transaction already read it) and one piece with
    its watchers, read inside ``conn``'s transaction (so the snapshot is the state
    the event was written in)."""
    people = team_in(conn) if team is None else team
    if piece_id is None:
        return AlertContext(wf, people=people)
    pieces: dict[int, PieceFacts] = {}
    rows = conn.execute(_PIECE, {"id": piece_id}).all()
    if rows:
        owner, reviewers, stage, title, _ = rows[0]
        reviewers = json.loads(reviewers) if isinstance(reviewers, str) else reviewers
        pieces[piece_id] = PieceFacts(owner, tuple(reviewers or ()), stage, title)
    watchers = frozenset(r[4] for r in rows if r[4] is not None)
    return AlertContext(wf, people=people, pieces=pieces, watchers={piece_id: watchers})


def decide(conn: Connection, wf: Workflow, event: EventView,
           team: dict[str, PersonView] | None = None) -> list[dict[str, Any]]:
    """``event``'s recipient rows, read in its own transaction before it is inserted
    (so the reads stay out of the event lock, postgres/engine.py); ``event.id`` is
    filled in by ``record``."""
    if not audiences_of(event.kind, event.piece_id):
        return []  # noise (watching, joining, reordering) concerns nobody
    return rows_for(event, snapshot_in(conn, wf, event.piece_id, team))


def record(conn: Connection, event_id: int, rows: list[dict[str, Any]]) -> None:
    """Write the rows ``decide`` gave, for the event now inserted as ``event_id``."""
    if rows:
        conn.execute(_INSERT, [{**row, "event_id": event_id} for row in rows])


# -- events from before schema 3 -----------------------------------------------------------
def _replay(events: list[EventView], current: dict[int, PieceFacts],
            people: set[str]) -> Iterable[tuple[EventView, PieceFacts | None, frozenset[str]]]:
    """Each event with its piece's owner, reviewers and watchers right after it, as far
    as the log tells: owners, stages and reviewer edits are in the events, and so are
    watches (watch events, and a comment's author and mentioned people)."""
    first_reviewers: dict[int, tuple[str, ...]] = {}
    for ev in events:
        side = ev.changes.get("reviewers")
        if ev.piece_id is not None and side and ev.piece_id not in first_reviewers:
            first_reviewers[ev.piece_id] = tuple(side[0] or ())
    state: dict[int, PieceFacts] = {}
    watching: dict[int, set[str]] = {}
    for ev in events:
        pid = ev.piece_id
        if pid is None:
            yield ev, None, frozenset()
            continue
        now = current.get(pid, PieceFacts())
        facts = state.get(pid) or PieceFacts(
            ev.data.get("owner") if ev.kind == "piece.created" else now.owner,
            first_reviewers.get(pid, now.reviewers), str(ev.data.get("stage") or now.stage),
            str(ev.data.get("title") or now.title))
        ch = ev.changes
        if "owner" in ch:
            facts = PieceFacts(ch["owner"][1], facts.reviewers, facts.stage, facts.title)
        if "reviewers" in ch:
            facts = PieceFacts(facts.owner, tuple(ch["reviewers"][1] or ()), facts.stage, facts.title)
        if "stage" in ch:
            facts = PieceFacts(facts.owner, facts.reviewers, str(ch["stage"][1]), facts.title)
        state[pid] = facts
        seen = watching.setdefault(pid, set())
        if ev.kind == "piece.unwatched":
            seen.discard(ev.actor)
        elif ev.kind in ("piece.watched", "comment.added"):
            seen.add(ev.actor)
            seen.update(n for n in ev.data.get("mentions") or () if n in people)
        yield ev, facts, frozenset(seen)


def backfill(conn: Connection, wf: Workflow) -> int:
    """Give every event without recipient rows its rows, from a replay of the log
    (roles and alert levels as they are now). Returns the number of rows written."""
    people = {p.handle: p for p in map(person_from_row, conn.execute(select(PERSON)))}
    current = {pid: PieceFacts(o, tuple(r or ()), st, t) for pid, o, r, st, t in conn.execute(
        select(P.c.id, P.c.owner, P.c.reviewers, P.c.stage, P.c.title))}
    done = {r[0] for r in conn.execute(select(R.c.event_id).distinct())}
    events = [event_from_row(r) for r in conn.execute(select(E).order_by(E.c.id))]
    rows: list[dict[str, Any]] = []
    for ev, facts, watchers in _replay(events, current, set(people)):
        if ev.id in done or not audiences_of(ev.kind, ev.piece_id):
            continue
        pieces = {ev.piece_id: facts} if facts is not None and ev.piece_id is not None else {}
        watch = {ev.piece_id: watchers} if ev.piece_id is not None else {}
        rows.extend(rows_for(ev, AlertContext(wf, people, pieces, watch)))
    for i in range(0, len(rows), 500):
        conn.execute(R.insert(), rows[i : i + 500])
    return len(rows)


def backfill_pending(store: Store, wf: Workflow) -> int:
    """Run the backfill once, after the migration to schema 3 marked it pending."""
    if store.readonly:
        return 0
    with store.read() as conn:
        if meta_value(conn, BACKFILL_KEY) != "pending":
            return 0
    with store.write() as conn:
        if meta_value(conn, BACKFILL_KEY) != "pending":  # another process got there first
            return 0
        written = backfill(conn, wf)
        conn.execute(META.delete().where(META.c.key == BACKFILL_KEY))
        return written

"""Time-based alerts, raised exactly once each however many boards run the checks.

Nobody's action makes a piece overdue, so these alerts come from a check:
``run_checks`` (called by every open board now and then, and by ``prodboard check``
from cron) reads the few pieces that can be late in one query, works out their
alerts with the pure rules, leaves out the keys the RaisedAlert ledger already
holds, and raises the rest through ``Commands.raise_once``. That inserts the ledger
row, the event and its recipients (the owner, or the reviewers and delegates, as
they are at that moment) in one write transaction, so a second
board, a second process or a restart finds the key and does nothing, and a later
reassignment does not move the alert to someone else.

An alert's key names what it is about, so a change re-arms it: the overdue key
holds the due date (move the date and it can fire again), the review key holds
when the piece entered review, the at-risk key holds the due date and the owner.

A running board does not rescan: ``CheckScheduler`` reads every piece a time rule
can apply to once, keeps a heap of when each one's next threshold falls due
(``domain/thresholds.py``), and from then on reads only the pieces whose threshold
has come and those the events since its last look touched (and, for a team change,
the pieces its person owns). Between the two nothing a rule reads has changed, so it
raises what a full rescan would (``tests/test_checks_scheduler.py`` holds it to that).

A pass that finds more than ``SUMMARY_AFTER`` owner alerts (overdue, due soon, late
in its stage) for one person raises one ``alert.summary`` for them instead, listing
the pieces; the ledger holds each summarised key, pointing at the summary.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection

from prodboard.domain import rules
from prodboard.domain.thresholds import next_threshold, quiet_until
from prodboard.domain.values import PersonView, PieceView
from prodboard.domain.workflow import Workflow
from prodboard.services import reviews
from prodboard.services.commands import Commands
from prodboard.storage.thresholds import last_event_id, timed_dates, timed_pieces, touched_since

# More owner alerts than this for one person in one pass (a first run on a board
# full of late pieces) become one summary for them: docs/rules.md.
SUMMARY_AFTER = 10
SUMMARISED = ("alert.overdue", "alert.due_soon", "alert.stage_overdue")  # the owner's
PAGE = 5000  # pieces a page of a first look reads, in one short read transaction


@dataclass(frozen=True)
class TimedAlert:
    """One time-based alert that is due now; ``key`` makes it happen once."""

    key: str
    kind: str
    piece_id: int
    data: dict[str, Any]


def _number(value: float) -> float | int:
    """48.0 -> 48, for "more than 48 h"."""
    return int(value) if float(value).is_integer() else value


def _utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def horizon(wf: Workflow, now: datetime) -> date:
    """The last due date that can raise an alert at ``now`` (the widest window)."""
    return max((now + timedelta(hours=wf.due_soon_hours)).date(),
               now.date() + timedelta(days=wf.at_risk_days))


def timed_alerts(
    piece: PieceView, people: dict[str, PersonView], wf: Workflow, now: datetime
) -> Iterator[TimedAlert]:
    """The time-based alerts that apply to ``piece`` at ``now`` (pure: no database)."""
    now = _utc(now)
    base: dict[str, Any] = {"title": piece.title, "owner": piece.owner, "stage": piece.stage}
    state = rules.due_state(piece, wf, now)
    if state:
        yield TimedAlert(f"{state}:{piece.id}:{piece.due}", f"alert.{state}", piece.id,
                    {**base, "due": piece.due})
    if rules.review_overdue(piece, wf, now) and not wf.reviews_for(piece.format):
        # (a format with review tracks escalates each track instead: services/reviews.py)
        entered = datetime.fromisoformat(piece.stage_entered_at)
        waited = (now - _utc(entered)).total_seconds() / 3600
        reviewers = list(piece.reviewers)
        delegates: list[str] = []  # who may approve for a reviewer once the SLA has passed
        for reviewer in reviewers:
            delegate = people[reviewer].delegate if reviewer in people else None
            if delegate and delegate not in delegates:
                delegates.append(delegate)
        yield TimedAlert(
            f"review_overdue:{piece.id}:{piece.stage_entered_at}", "alert.review_overdue", piece.id,
            {**base, "hours": _number(wf.review_sla_hours), "waited_hours": round(waited, 1),
             "reviewers": reviewers, "delegates": delegates,
             "since": piece.stage_entered_at},
        )
    owner = people.get(piece.owner) if piece.owner else None
    if rules.at_risk(piece, owner, wf, now.date()):
        assert owner is not None
        yield TimedAlert(
            f"at_risk:{piece.id}:{piece.due}:{owner.handle}", "alert.at_risk", piece.id,
            {**base, "due": piece.due, "away_note": owner.away_note,
             "delegate": owner.delegate},
        )
    stage_due = rules.stage_overdue(piece, wf, now.date())
    if stage_due is not None:
        yield TimedAlert(
            f"stage_overdue:{piece.id}:{piece.stage}:{stage_due.isoformat()}",
            "alert.stage_overdue", piece.id,
            {**base, "stage_due": stage_due.isoformat(), "publish_date": piece.publish_date},
        )


def piece_alerts(piece: PieceView, people: dict[str, PersonView], wf: Workflow,
                 now: datetime) -> list[TimedAlert]:
    """Every time-based alert of ``piece`` at ``now``, review-track steps included
    (``piece`` carries its tracks)."""
    steps = reviews.escalation_steps(piece, people, wf, now) if piece.tracks else []
    return [*timed_alerts(piece, people, wf, now), *(TimedAlert(*step) for step in steps)]


def pending_alerts(board: Commands, now: datetime | None = None) -> list[TimedAlert]:
    """The alerts due at ``now`` that no board has raised yet (one read transaction)."""
    now = _utc(now or board.clock())
    with board.store.read() as conn:
        pieces = board.q.late_candidates(conn, horizon(board.wf, now))
        if not pieces:
            return []
        people = {p.handle: p for p in board.q.people_in(conn)}
        due = [a for piece in pieces for a in timed_alerts(piece, people, board.wf, now)]
        raised = board.q.raised_keys(conn, [a.key for a in due])
    return [a for a in due if a.key not in raised]


def run_checks(board: Commands, now: datetime | None = None) -> list[int]:
    """Raise every time-based alert that is due and not yet raised, reading the whole
    board (``prodboard check``); returns the new events' ids (empty when another board
    got there first)."""
    now = _utc(now or board.clock())
    steps = [TimedAlert(*step) for step in reviews.pending_escalations(board, now)]
    return raise_alerts(board, [*pending_alerts(board, now), *steps])


Step = Callable[[Commands], int | None]  # one write transaction; the event it raised


def raise_steps(alerts: Sequence[TimedAlert]) -> list[Step]:
    """The writes that raise ``alerts`` once each, one short transaction a step: a summary
    for each owner with more than SUMMARY_AFTER of theirs, then each other alert."""
    mine: dict[str, list[TimedAlert]] = {}
    for alert in alerts:
        owner = alert.data.get("owner")
        if alert.kind in SUMMARISED and owner:
            mine.setdefault(str(owner), []).append(alert)
    steps: list[Step] = []
    summarised: set[str] = set()
    for owner, group in mine.items():
        if len(group) > SUMMARY_AFTER:
            summarised.update(a.key for a in group)
            steps.append(partial(raise_summary, owner=owner, group=group))
    steps += [partial(_raise_one, alert=alert) for alert in alerts
              if alert.key not in summarised]
    return steps


def raise_alerts(board: Commands, alerts: Sequence[TimedAlert]) -> list[int]:
    """Raise each alert once; more than SUMMARY_AFTER of one owner's as one summary."""
    return _raised(board, raise_steps(alerts))


def _raised(board: Commands, steps: Iterable[Step]) -> list[int]:
    return [event_id for step in steps if (event_id := step(board)) is not None]


def _raise_one(board: Commands, alert: TimedAlert) -> int | None:
    return board.raise_once(alert.key, alert.kind, alert.piece_id, alert.data)


def raise_summary(board: Commands, owner: str, group: Sequence[TimedAlert]) -> int | None:
    """One ``alert.summary`` for ``owner`` listing the pieces of those of ``group`` no
    board has raised yet, and a ledger row for each of them (one transaction)."""
    by_key = {a.key: a for a in group}

    def data(fresh: list[str]) -> dict[str, Any]:
        alerts = [by_key[key] for key in fresh]
        return {"owner": owner, "count": len(alerts),
                "counts": dict(Counter(a.kind for a in alerts)),
                "pieces": [{"id": a.piece_id, "kind": a.kind, "title": a.data.get("title"),
                            "due": a.data.get("due") or a.data.get("stage_due")}
                           for a in alerts]}

    return board.raise_summary(list(by_key), data)


class CheckScheduler:
    """The time checks of a running board, at a cost that follows what changed.

    Two halves, so that reading never holds up a write: ``look`` only reads (on any
    thread, one look at a time) and returns the alerts due; ``raise_due`` writes
    ``raise_steps`` of them, each step its own short transaction, so a caller on a
    single writer can let other writes in between. Calling the scheduler does both.

    The first look reads the dates of every piece a rule can apply to, and whole only
    those with a threshold behind them (or review tracks), in pages of ``page`` pieces,
    each page its own read transaction, calling ``between_pages`` after each; each
    later look reads only the pieces whose next threshold has come and those the
    events since touched. The cursor is taken before the first page, so a piece
    changed while the pages are read is read again by the next look. ``wake_at`` (set
    by each look, read from any thread) says when to look again if nothing happens
    before. Reopening the board (a new ``Commands``) starts over with a full read; so
    does a look or a raise that failed half way.
    """

    def __init__(self, page: int = PAGE) -> None:
        self.board: Commands | None = None
        self.page = page
        self._cursor = -1  # the last event looked at; -1: read everything next time
        self._heap: list[tuple[datetime, int]] = []
        self._next: dict[int, datetime] = {}  # each piece's live heap entry
        self.wake_at: datetime | None = None

    def __call__(self, board: Commands, now: datetime | None = None) -> list[int]:
        return self.raise_due(board, raise_steps(self.look(board, now)))

    def look(self, board: Commands, now: datetime | None = None) -> list[TimedAlert]:
        """The alerts due at ``now`` that the ledger does not hold yet (reads only)."""
        if board is not self.board:
            self.board, self._cursor = board, -1
        now = _utc(now or board.clock())
        try:
            due = self._first_look(board, now) if self._cursor < 0 else self._look(board, now)
        except BaseException:
            self._forget()
            raise
        self.wake_at = self.next_due()
        return due

    def raise_due(self, board: Commands, steps: Iterable[Step]) -> list[int]:
        """Run ``steps`` (from ``raise_steps``) on ``board``: the new events' ids."""
        try:
            return _raised(board, steps)
        except BaseException:
            self._forget()  # what was taken off the heap may not have been raised
            raise

    def between_pages(self) -> None:
        """Called on the look's thread after each page of a first look: lets the
        process's other threads (the screen, the writer) have the interpreter."""
        time.sleep(0)

    def next_due(self) -> datetime | None:
        """When the next threshold of a piece read falls due (None: none will)."""
        while self._heap and self._next.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)  # a piece since edited, rescheduled or gone
        return self._heap[0][0] if self._heap else None

    def _forget(self) -> None:
        self._cursor = -1
        self.wake_at = None

    def _first_look(self, board: Commands, now: datetime) -> list[TimedAlert]:
        """Page through every piece a rule can apply to: schedule those none of whose
        thresholds has come (they have no alert, from their dates alone), read the
        others and those with review tracks whole."""
        wf = board.wf
        with board.store.read() as conn:
            cursor = last_event_id(conn)  # later events are re-read by the next look
        self._heap, self._next = [], {}
        due: list[TimedAlert] = []
        after = 0
        while True:
            with board.store.read() as conn:
                page = timed_dates(conn, wf, after=after, limit=self.page)
                whole: list[int] = []
                for piece_id, dates in page:
                    quiet, at = quiet_until(dates, wf, now)
                    if quiet and not wf.reviews_for(dates.format):
                        self._schedule(piece_id, at)
                    else:
                        whole.append(piece_id)
                if whole:
                    due += self._due_alerts(board, conn, timed_pieces(conn, wf, ids=whole), now)
            if len(page) < self.page:
                break
            after = page[-1][0]
            self.between_pages()
        self._cursor = cursor
        return due

    def _look(self, board: Commands, now: datetime) -> list[TimedAlert]:
        wf = board.wf
        with board.store.read() as conn:
            touched = touched_since(conn, self._cursor)
            self._cursor = touched.last_id
            ids = touched.pieces | self._due(now)
            for piece_id in ids:  # rescheduled below if a rule still applies
                self._next.pop(piece_id, None)
            pieces = timed_pieces(conn, wf, ids=ids) if ids else []
            if touched.people:  # away, back, a new delegate: their pieces' at-risk
                seen = {p.id for p in pieces}
                pieces += [p for p in timed_pieces(conn, wf, owners=touched.people)
                           if p.id not in seen]
            due = self._due_alerts(board, conn, pieces, now) if pieces else []
        if len(self._heap) > 2 * len(self._next) + 1000:  # edits left stale entries
            self._heap = [(at, piece_id) for piece_id, at in self._next.items()]
            heapq.heapify(self._heap)
        return due

    def _due_alerts(self, board: Commands, conn: Connection, pieces: list[PieceView],
                    now: datetime) -> list[TimedAlert]:
        """The alerts of ``pieces`` at ``now`` the ledger does not hold; each piece
        scheduled at its next threshold."""
        wf = board.wf
        people = {p.handle: p for p in board.q.people_in(conn)}
        due = [a for piece in pieces for a in piece_alerts(piece, people, wf, now)]
        raised = board.q.raised_keys(conn, [a.key for a in due]) if due else set()
        for piece in pieces:
            self._schedule(piece.id, next_threshold(piece, wf, now))
        return [a for a in due if a.key not in raised]

    def _schedule(self, piece_id: int, at: datetime | None) -> None:
        if at is not None:
            self._next[piece_id] = at
            heapq.heappush(self._heap, (at, piece_id))

    def _due(self, now: datetime) -> set[int]:
        """Take off the heap the pieces whose threshold has come."""
        out: set[int] = set()
        while self._heap and self._heap[0][0] <= now:
            at, piece_id = heapq.heappop(self._heap)
            if self._next.get(piece_id) == at:
                out.add(piece_id)
        return out

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
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prodboard.domain import rules
from prodboard.domain.values import PersonView, PieceView
from prodboard.domain.workflow import Workflow
from prodboard.services import reviews
from prodboard.services.commands import Commands


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
    """Raise every time-based alert that is due and not yet raised; returns the new
    events' ids (empty when another board got there first)."""
    raised: list[int] = []
    for alert in pending_alerts(board, now):
        event_id = board.raise_once(alert.key, alert.kind, alert.piece_id, alert.data)
        if event_id is not None:
            raised.append(event_id)
    return raised + reviews.run_escalations(board, now)

"""When a piece's next time-based alert can fall due, as a pure function of the piece.

Each rule of ``domain/rules.py`` and each step of a review track's ladder
(``domain/reviews.py``) turns true at one instant that follows from the piece's
fields alone, and stays true until someone changes the piece (an event). So a
scheduler needs to look at a piece again only at the next of those instants, or
when an event touches it: between the two, the alerts it raises cannot change.

Every instant here is the first moment its rule holds, with the rule's own
comparison (``<`` or ``<=``) and the same arithmetic, so looking at the piece at that
instant or later finds the alert; ``next_threshold`` may return an instant at which
nothing new is due (the at-risk one is given whether or not the owner is away: the
owner going away is an event), never one too late.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from prodboard.domain import reviews as rv
from prodboard.domain.clock import parse_utc
from prodboard.domain.rules import stage_due_dates
from prodboard.domain.workflow import Workflow

TICK = timedelta(microseconds=1)  # a rule with ``>`` holds one tick after its boundary


class Timed(Protocol):
    """What the thresholds read of a piece: a ``PieceView``, or just its ``Dates``."""

    @property
    def due(self) -> str | None: ...
    @property
    def publish_date(self) -> str | None: ...
    @property
    def stage(self) -> str: ...
    @property
    def stage_entered_at(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def archived(self) -> bool: ...
    @property
    def tracks(self) -> tuple[rv.TrackView, ...]: ...


@dataclass(frozen=True)
class Dates:
    """The few fields of a piece its thresholds follow from (a cheap first read)."""

    due: str | None
    publish_date: str | None
    stage: str
    stage_entered_at: str
    format: str
    archived: bool = False
    tracks: tuple[rv.TrackView, ...] = ()  # a piece with review tracks is read whole


def _midnight(day: date, days: int = 0) -> datetime | None:
    return _plus(datetime.combine(day, time.min, UTC), timedelta(days=days))


def _plus(moment: datetime, delta: timedelta) -> datetime | None:
    """``moment + delta``, or None past the calendar's ends (a due date of 9999-12-31)."""
    try:
        return moment + delta
    except OverflowError:
        return None


def thresholds(piece: Timed, wf: Workflow) -> Iterator[datetime | None]:
    """Every instant at which one of the piece's time rules turns true (past or future)."""
    if piece.archived or piece.stage == wf.last.key:
        return
    if piece.due:
        due = date.fromisoformat(piece.due)
        due_end = datetime.combine(due, datetime.max.time(), UTC)
        yield _plus(due_end, -timedelta(hours=wf.due_soon_hours))  # due soon: due_end - now <= h
        yield _plus(due_end, TICK)  # overdue: due_end < now
        yield _midnight(due, -wf.at_risk_days)  # at risk: due - today <= days
    review = wf.gate_stage("approval")
    if review is not None and piece.stage == review.key:
        if not wf.reviews_for(piece.format):  # review overdue: waited > sla
            yield _plus(parse_utc(piece.stage_entered_at), timedelta(hours=wf.review_sla_hours) + TICK)
        for track in rv.open_tracks(piece.tracks, wf.sequential(piece.format)):
            if track.opened_at is not None:
                opened = parse_utc(track.opened_at)
                for step in range(1, len(rv.ESCALATION_KINDS) + 1):
                    yield _plus(opened, timedelta(hours=wf.review_sla_hours * step) + TICK)
    if wf.derive_stage_due and piece.publish_date:
        try:
            stage_due = stage_due_dates(date.fromisoformat(piece.publish_date), wf).get(piece.stage)
        except OverflowError:  # (the rule itself cannot date it either)
            stage_due = None
        if stage_due is not None:  # stage overdue: stage_due < today
            yield _midnight(stage_due, 1)


def next_threshold(piece: Timed, wf: Workflow, now: datetime) -> datetime | None:
    """The first instant after ``now`` at which the piece may have a new alert, or None
    when nothing can fall due without an edit."""
    later = [at for at in thresholds(piece, wf) if at is not None and at > now]
    return min(later) if later else None


def quiet_until(piece: Timed, wf: Workflow, now: datetime) -> tuple[bool, datetime | None]:
    """(quiet, next): quiet when no threshold has come by ``now``, so no rule holds and
    the piece has no alert at all; next as ``next_threshold``."""
    every = [at for at in thresholds(piece, wf) if at is not None]
    later = [at for at in every if at > now]
    return len(later) == len(every), min(later) if later else None

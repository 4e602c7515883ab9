"""The review figures per track (issue 13's review tracks): how long each role's
sign-off waited, how many are waiting, and the approvals a delegate made.

Read from the stored tracks (one row per role per entry into review), not from the
events: a track's wait runs from ``opened_at`` (when it began to wait on its
reviewer; a sequential track only from its turn) to ``decided_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from prodboard.domain.metrics import Period, Report, Scope, Spread, TrackReview
from prodboard.domain.replay import Replay


@dataclass(frozen=True)
class TrackFacts:
    """What the figures read of one stored track."""

    piece_id: int
    cycle: int
    role: str
    state: str  # waiting, approved, changes
    opened_at: datetime | None
    decided_at: datetime | None
    delegated: bool


def track_review(tracks: Iterable[TrackFacts], replay: Replay, period: Period, tz: tzinfo,
                 scope: Scope) -> tuple[TrackReview, ...]:
    """Per role, in name order: the figures of ``period`` for the pieces in ``scope``.
    Pieces imported without history are left out of the waits, as in every duration."""
    start = _at(period.since, tz)
    end = _at(period.until + timedelta(days=1), tz)
    rows = [t for t in tracks if (ln := replay.pieces.get(t.piece_id)) is not None
            and scope.admits(ln)]
    latest: dict[int, int] = {}
    for t in rows:
        latest[t.piece_id] = max(latest.get(t.piece_id, 0), t.cycle)
    review = replay.roles.review
    waits: dict[str, list[tuple[float, int]]] = {}
    counts: dict[str, list[int]] = {}  # role -> [approved, changes, delegated, waiting]
    for t in rows:
        ln = replay.pieces[t.piece_id]
        waits.setdefault(t.role, [])
        c = counts.setdefault(t.role, [0, 0, 0, 0])
        decided = t.decided_at is not None and start <= t.decided_at < end
        if decided and t.state in ("approved", "changes"):
            c[0 if t.state == "approved" else 1] += 1
            c[2] += t.state == "approved" and t.delegated
            if t.opened_at is not None and t.decided_at is not None and not ln.imported:
                waits[t.role].append(((t.decided_at - t.opened_at).total_seconds() / 3600,
                                      t.piece_id))
        elif (t.state == "waiting" and t.opened_at is not None and t.cycle == latest[t.piece_id]
              and ln.visits[-1].stage == review and not ln.archived_now):
            c[3] += 1
    out = []
    for role in sorted(counts):
        approved, changes, delegated, waiting = counts[role]
        out.append(TrackReview(role, Spread.of(h for h, _ in waits[role]), approved, changes,
                               delegated, waiting,
                               tuple((pid, h) for h, pid in sorted(waits[role], key=_longest))))
    return tuple(out)


def _longest(wait: tuple[float, int]) -> tuple[float, int]:
    return -wait[0], wait[1]


def with_tracks(report: Report, tracks: Sequence[TrackFacts], replay: Replay,
                tz: tzinfo) -> Report:
    """``report`` (of ``replay``, in ``tz``) with its per-track review figures."""
    per_track = track_review(tracks, replay, report.period, tz, report.scope)
    return replace(report, review=replace(report.review, tracks=per_track))


def _at(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

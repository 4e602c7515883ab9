"""Figures kept up to date piece by piece (domain/piece_figures.py) are exactly the
figures computed from scratch: at random cuts of a crafted history (the worked
example plus December's edits, moves, reassignments, a restore, an archive, someone
away and back), for several periods, scopes and moments, on a real board file."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from metrics_history import build

from prodboard.domain.clock import parse_utc
from prodboard.domain.metrics import EVERYTHING, Period, Scope, compute
from prodboard.domain.piece_figures import Memo
from prodboard.domain.replay import PieceFacts, Replay
from prodboard.domain.values import EventView, PersonView
from prodboard.domain.workflow import Workflow
from prodboard.services.commands import Commands
from prodboard.services.context import open_board
from prodboard.services.metrics import Figures
from prodboard.storage.history import measured_events, people_rows, piece_rows

PERIODS = (Period(date(2026, 11, 1), date(2026, 11, 30)),
           Period(date(2026, 12, 1), date(2026, 12, 31)),
           Period(date(2026, 11, 10), date(2026, 12, 7)),
           Period(date(2026, 10, 1), date(2026, 10, 31)))
SCOPES = (EVERYTHING, Scope(format="blog post"), Scope(owner="chloe"), Scope(owner="dev"))


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC)


History = tuple[Workflow, list[EventView], dict[int, PieceFacts], list[PersonView]]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    db, clock = build(tmp_path_factory.mktemp("incremental"))
    ws = open_board(db, "ana", clock=clock)
    ana, dev, chloe, ben = (Commands(ws.store, ws.workflow, who, clock)
                            for who in ("ana", "dev", "chloe", "ben"))
    steps: list[tuple[datetime, Callable[[], object]]] = [
        (at(1), lambda: ana.restore(6)),  # Eta back from the archive
        (at(1, 10), lambda: dev.move(8, "review")),
        (at(2), lambda: dev.edit(8, {"due": "2026-12-04", "cost": 500})),
        (at(2, 12), lambda: ben.request_changes(8, "Tighter")),
        (at(3), lambda: ana.edit(6, {"format": "video"})),
        (at(3, 11), lambda: ana.assign(6, "chloe")),
        (at(4), lambda: chloe.move(6, "brief")),
        (at(4, 15), lambda: ana.set_away("dev", True, "Ill")),
        (at(5), lambda: ana.move(6, "draft", override="Brief on the way")),
        (at(6), lambda: ana.assign(8, "chloe")),
        (at(7), lambda: ana.set_away("dev", False)),
        (at(7, 10), lambda: chloe.move(8, "review")),
        (at(8), lambda: ben.approve(8)),
        (at(8, 12), lambda: ana.archive(6, "Dropped")),
        (at(9), lambda: ana.move(8, "published", override="Go")),
        (at(9, 10), lambda: ana.create("Iota", owner="dev", format="newsletter")),
    ]
    for moment, step in steps:
        clock.now = moment
        step()
    try:
        yield (ws.workflow, list(measured_events(ws.store)), piece_rows(ws.store),
               people_rows(ws.store))
    finally:
        ws.close()


def test_incremental_equals_a_full_recompute_at_random_cuts(history: History) -> None:
    wf, events, rows, people = history
    rng = random.Random(11)
    reused = 0
    for _trial in range(12):
        cuts = sorted(rng.sample(range(1, len(events) + 1), 6)) + [len(events)]
        replay, memo, done = Replay(wf), Memo(), 0
        for cut in cuts:
            replay.add(events[done:cut], rows, people)
            done = cut
            full_replay = Replay(wf)
            full_replay.add(events[:cut], rows, people)
            last = parse_utc(events[cut - 1].at)
            # At the last event, a little and a lot later, the next day, and before it.
            for later in rng.sample([0, 0.5, 7, 30, 24 * 6, -2], 3):
                now = last + timedelta(hours=later)
                for period in PERIODS:
                    for scope in rng.sample(SCOPES, 2):
                        made = memo.made
                        kept = compute(replay, period, now, UTC, scope, memo)
                        assert kept == compute(full_replay, period, now, UTC, scope), (
                            cut, now, period, scope)
                        reused += memo.made == made
    assert reused > 100  # the shares were mostly reused, so the test tests something


def test_only_the_touched_pieces_are_worked_out_again(history: History) -> None:
    wf, events, rows, people = history
    replay, memo = Replay(wf), Memo()
    replay.add(events[:-3], rows, people)
    now = parse_utc(events[-1].at) + timedelta(hours=1)
    compute(replay, PERIODS[1], now, UTC, EVERYTHING, memo)
    first = len(replay.pieces)
    assert memo.made == first
    replay.add(events[-3:], rows, people)
    touched = {e.piece_id for e in events[-3:]}  # two moved, one new
    compute(replay, PERIODS[1], now, UTC, EVERYTHING, memo)
    assert memo.made == first + len(touched)
    compute(replay, PERIODS[1], now + timedelta(hours=1), UTC, EVERYTHING, memo)
    assert memo.made == first + len(touched)  # later the same day: nothing worked out again


def test_a_board_kept_up_to_date_reads_like_a_fresh_one(tmp_path: Path) -> None:
    """The service: figures opened once and refreshed after each write give what a
    board opened afresh gives (the current period and the one before, every KPI)."""
    db, clock = build(tmp_path / "board")
    ws = open_board(db, "ana", clock=clock)
    dev, ben = (open_board(db, who, clock=clock) for who in ("dev", "ben"))  # others
    other = dev.board
    try:
        kept = Figures.open(ws)
        writes: list[tuple[datetime, Callable[[], object]]] = [
            (at(1), lambda: other.move(8, "review")),
            (at(2), lambda: ws.board.edit(8, {"format": "video", "cost": 700})),
            (at(3), lambda: ws.board.restore(6)),
            (at(3, 12), lambda: ws.board.set_away("dev", True, "Ill")),
            (at(4), lambda: ben.board.approve(8)),
        ]
        for moment, write in writes:
            clock.now = moment
            write()
            assert kept.refresh() == 1
            for period in (kept.default_period(4), Period(date(2026, 12, 1), date(2026, 12, 31))):
                for scope in (EVERYTHING, Scope(owner="dev"), Scope(format="video")):
                    fresh = Figures.open(ws)
                    assert kept.tiles(period, scope) == fresh.tiles(period, scope), (moment, scope)
    finally:
        for opened in (ws, dev, ben):
            opened.close()

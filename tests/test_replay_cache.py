"""The replay cache: a cached replay plus the events after it is exactly the full
replay; another definition, format or time zone ignores it; a read-only board never
writes it. On the crafted history (tests/metrics_history.py), real SQLite files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from metrics_history import CONFIG, build

from prodboard.domain import replay_state
from prodboard.domain.metrics import Period, compute
from prodboard.domain.replay import Replay
from prodboard.services.commands import Commands
from prodboard.services.context import Workspace, open_board
from prodboard.services.metrics import CACHE_KEY, Figures
from prodboard.storage import tables as m
from prodboard.storage.history import measured_events, people_rows, piece_rows
from prodboard.storage.replay_cache import Cached, read_cache, write_cache

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
DECEMBER = Period(date(2026, 12, 1), date(2026, 12, 31))


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, object]]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("PRODBOARD_CONFIG", "PRODBOARD_USER_CONFIG", "PRODBOARD_NOW"):
        monkeypatch.delenv(name, raising=False)
    db, clock = build(tmp_path / "history")
    yield db, clock


def _full(ws: Workspace) -> Figures:
    figures = Figures(ws, Figures.open(ws).settings)
    figures.load(cache=False)
    return figures


def _state(figures: Figures) -> dict[str, object]:
    assert figures.replay is not None
    return replay_state.dump(figures.replay)


def test_every_cut_of_the_history_reads_back_exactly(board: tuple[Path, object]) -> None:
    db, clock = board
    ws = open_board(db, "ana", clock=clock)  # type: ignore[arg-type]
    try:
        events = list(measured_events(ws.store))
        rows, people = piece_rows(ws.store), people_rows(ws.store)
        full = Replay(ws.workflow)
        full.add(events, rows, people)
        for cut in range(len(events) + 1):
            head = Replay(ws.workflow)
            head.add(events[:cut], rows, people)
            again = replay_state.load(ws.workflow, json.loads(json.dumps(
                replay_state.dump(head))))
            assert replay_state.dump(again) == replay_state.dump(head)
            again.add(events[cut:], rows, people)
            assert again.pieces == full.pieces, cut
            assert again.people == full.people, cut
            assert (again.cursor, again.first_at, again.last_at) == (
                full.cursor, full.first_at, full.last_at)
    finally:
        ws.close()


def test_cached_plus_new_events_equals_a_full_replay(board: tuple[Path, object]) -> None:
    db, clock = board
    ws = open_board(db, "ana", clock=clock)  # type: ignore[arg-type]
    try:
        first = Figures.open(ws)  # no cache yet: full replay, written down
        assert first.replay is not None
        cached = read_cache(ws.store, CACHE_KEY)
        assert cached is not None and cached.cursor == first.replay.cursor
        # More history after the cached cursor: an edit, a move, a new piece, an
        # archive and restore, a new person away.
        now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
        clock.now = now  # type: ignore[attr-defined]
        ana = Commands(ws.store, ws.workflow, "ana", clock)  # type: ignore[arg-type]
        ana.edit(8, {"due": "2026-12-04", "cost": 450})
        ana.move(8, "review")
        ana.create("Iota", owner="dev")
        ana.archive(4, "Old")
        ana.restore(4)
        ana.add_person("gus", "Gus", ["writer"])
        ana.set_away("gus", True)
        again = Figures.open(ws)
        # The cache was used (few events after it: not rewritten) ...
        assert read_cache(ws.store, CACHE_KEY) == cached
        assert again.replay is not None and again.replay.cursor > cached.cursor
        full = _full(ws)
        # ... and it is the full replay, timeline for timeline and figure for figure.
        assert _state(again) == _state(full)
        tz = again.settings.timezone
        for period in (NOVEMBER, DECEMBER):
            assert again.replay is not None and full.replay is not None
            assert compute(again.replay, period, again.now(), tz) == compute(
                full.replay, period, full.now(), tz)
        assert again.report(NOVEMBER).published == 3
    finally:
        ws.close()


def _tamper(ws: Workspace) -> Cached:
    """Drop piece #8 from the cached replay, keeping its fingerprint: a board that
    uses this cache does not know #8."""
    cached = read_cache(ws.store, CACHE_KEY)
    assert cached is not None
    state = json.loads(cached.state)
    state["pieces"] = [p for p in state["pieces"] if p[0] != 8]
    bad = Cached(cached.cursor, cached.fingerprint, json.dumps(state))
    with ws.store.write() as conn:
        conn.execute(m.REPLAY_CACHE.delete())
    assert write_cache(ws.store, CACHE_KEY, bad)
    return bad


@pytest.mark.parametrize("change", ["timezone", "format", "definition"])
def test_a_changed_definition_ignores_the_cache(board: tuple[Path, object], change: str) -> None:
    db, clock = board
    ws = open_board(db, "ana", clock=clock)  # type: ignore[arg-type]
    try:
        Figures.open(ws)
        bad = _tamper(ws)
        used = Figures.open(ws)
        assert used.replay is not None and 8 not in used.replay.pieces  # the cache is read
    finally:
        ws.close()
    team = db.parent / "prodboard.toml"
    if change == "timezone":
        team.write_text(CONFIG.replace('"UTC"', '"Europe/Paris"'), encoding="utf-8")
    elif change == "format":
        team.write_text(CONFIG + '\n[formats."blog post"]\nrevision_limit = 5\n',
                        encoding="utf-8")
    else:  # another review deadline: another workflow
        team.write_text(CONFIG.replace("wip_per_person = 1",
                                       "wip_per_person = 1\nreview_sla_hours = 24"),
                        encoding="utf-8")
    ws = open_board(db, "ana", clock=clock)  # type: ignore[arg-type]
    try:
        figures = Figures.open(ws)
        assert figures.replay is not None and 8 in figures.replay.pieces
        assert _state(figures) == _state(_full(ws))
        rewritten = read_cache(ws.store, CACHE_KEY)
        assert rewritten is not None and rewritten.fingerprint != bad.fingerprint
    finally:
        ws.close()


def test_an_unreadable_cache_is_replaced(board: tuple[Path, object]) -> None:
    db, clock = board
    ws = open_board(db, "ana", clock=clock)  # type: ignore[arg-type]
    try:
        first = Figures.open(ws)
        cached = read_cache(ws.store, CACHE_KEY)
        assert cached is not None
        with ws.store.write() as conn:
            conn.execute(m.REPLAY_CACHE.update().values(state='{"format": "replay-0"}'))
        again = Figures.open(ws)
        assert _state(again) == _state(first)
        assert read_cache(ws.store, CACHE_KEY) == cached
    finally:
        ws.close()


def test_a_read_only_board_never_writes_the_cache(board: tuple[Path, object]) -> None:
    db, clock = board
    db.chmod(0o444)
    ws = open_board(db, "ana", clock=clock)  # type: ignore[arg-type]
    try:
        assert ws.store.readonly
        figures = Figures.open(ws)
        assert figures.report(NOVEMBER).published == 3
        assert read_cache(ws.store, CACHE_KEY) is None
        assert figures.save() is False
    finally:
        ws.close()
        db.chmod(0o644)

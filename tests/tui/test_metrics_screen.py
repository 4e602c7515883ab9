"""The Metrics screen: opens from the board (key and palette) on the demo, an empty and
a read-only board; filters and periods; follows other people's events; snapshots of a
fixed history at 80x24 and 160x45."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock
from metrics_history import BRIEF, build
from rich.text import Text
from textual.widgets import Label

from prodboard.services.context import open_board
from prodboard.services.metrics import Figures
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.screens.metrics import MetricsScreen
from prodboard.tui.widgets.charts import Chart
from tui.helpers import until

AppMaker = Callable[..., ProdboardApp]
LATER = "2026-12-01T06:00:00+00:00"  # the crafted history's clock


def _text(widget: Any) -> str:
    return str(widget.render())


async def _open(app: ProdboardApp, pilot: Any) -> MetricsScreen:
    await pilot.pause()
    await pilot.press("r")
    await until(pilot, lambda: isinstance(app.screen, MetricsScreen) and app.screen.ready)
    assert isinstance(app.screen, MetricsScreen)
    return app.screen


def _history_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                 live: bool = False) -> ProdboardApp:
    monkeypatch.setenv("PRODBOARD_NOW", LATER)
    db, _ = build(tmp_path / "hist")
    return make_app(open_board(db, "ana"), live=live)


async def test_opens_on_the_demo_board_and_steps_through_filters(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        assert "last 12 weeks" in _text(screen.query_one("#metrics-title", Label))
        assert "15 imported without history" in _text(screen.query_one("#metrics-title", Label))
        shown = [c for c in screen.query(Chart) if c.display]
        assert [c.border_title for c in shown] == ["Cumulative flow"]  # one chart at 80x24
        await pilot.press("right")
        assert [c.border_title for c in screen.query(Chart) if c.display] == ["Weekly throughput"]
        await pilot.press("p")
        await until(pilot, lambda: "last 26 weeks" in _text(screen.query_one("#metrics-title")))
        await pilot.press("f")
        await until(pilot, lambda: "format:blog post" in _text(screen.query_one("#metrics-title")))
        assert screen.report is not None and screen.report.scope.format == "blog post"
        await pilot.press("o")
        await until(pilot, lambda: "owner:ana" in _text(screen.query_one("#metrics-title")))
        await pilot.press("escape")
        assert not isinstance(app.screen, MetricsScreen)


async def test_the_palette_opens_it(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        assert "Metrics" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press(app.COMMAND_PALETTE_BINDING, *"metrics")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MetricsScreen) and app.screen.ready)


async def test_an_empty_board(tmp_path: Path) -> None:
    ws = open_board(tmp_path / "empty.db", "zoe", create=True)
    app = make_app(ws, live=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(app, pilot)
        texts = [_text(c) for c in screen.query(Chart)]
        assert all(c.display for c in screen.query(Chart))  # every chart at 160x45
        assert "No piece was published with a history in this period." in texts[2]
        assert "Nobody owned active pieces in this period." in texts[4]
    ws.close()


async def test_a_read_only_board(board_db: Path, app_as: AppMaker) -> None:
    os.chmod(board_db, 0o444)
    app = app_as()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.session.store.readonly
        screen = await _open(app, pilot)
        assert screen.report is not None and screen.report.imported == 15


def _other(db: Path, user: str, body: str) -> None:
    """Another person's process writing to the same board file (its own Workspace)."""
    code = ("from pathlib import Path\n"
            "from prodboard.services.context import open_board\n"
            f"board = open_board(Path({str(db)!r}), {user!r}).board\n" + body)
    subprocess.run([sys.executable, "-c", code], env=os.environ.copy(), check=True, timeout=120)


async def test_follows_another_process_by_message_without_a_full_replay(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No polling: the app's feed tells the open screen, which replays only the new
    events (the same replay, extended) and shows the new figures."""
    app = _history_app(tmp_path, monkeypatch, live=True)
    db = tmp_path / "hist" / "board.db"
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(app, pilot)
        assert screen.figures is not None and screen.report is not None
        replay = screen.figures.replay
        published, paints = screen.report.published, screen.paints
        await asyncio.to_thread(_other, db, "dev", "board.move(8, 'review')\n")
        await until(pilot, lambda: screen.report is not None
                    and screen.report.stages[2].pieces == 4 and screen.paints > paints)
        await asyncio.to_thread(_other, db, "ben", "board.approve(8)\n")
        await asyncio.to_thread(_other, db, "dev", (
            "for item in ('brand_voice', 'seo', 'legal', 'channels', 'analytics'):\n"
            "    board.tick(8, item)  # not measured: nothing to recompute for it\n"
            "board.move(8, 'scheduled')\nboard.move(8, 'published')\n"))
        await until(pilot, lambda: screen.report is not None
                    and screen.report.published == published + 1)
        assert screen.figures.replay is replay  # extended in place, not replayed again
        assert 8 in [p.piece for p in screen.report.points]


async def test_stored_text_is_shown_as_text(tmp_path: Path) -> None:
    (tmp_path / "prodboard.toml").write_text(
        '[[stages]]\nkey = "ideas"\nname = "[b]Ideas[/b]"\n'
        '[[stages]]\nkey = "done"\nname = "Done [@click=app.quit]x[/]"\n', encoding="utf-8")
    ws = open_board(tmp_path / "b.db", "zoe", create=True)
    ws.board.create("[red]not red[/]")
    app = make_app(ws, live=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(app, pilot)
        flow = screen.query(Chart)[0].render()
        assert isinstance(flow, Text)
        assert "█ [b]Ideas[/b]  █ Done [@click=app.quit]x[/]" in flow.plain
        assert not any(span.style and "@click" in str(span.style) for span in flow.spans)
    ws.close()


def _snap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ProdboardApp, Any]:
    app = _history_app(tmp_path, monkeypatch)

    async def open_metrics(pilot: Any) -> None:
        await _open(app, pilot)
        app.clear_notifications()  # the unread toast would depend on how long this took
        await pilot.pause()

    return app, open_metrics


def test_metrics_80x24(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, run_before = _snap(tmp_path, monkeypatch)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_metrics_160x45(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, run_before = _snap(tmp_path, monkeypatch)
    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


async def test_a_bad_target_is_said_on_the_screen(tmp_path: Path) -> None:
    (tmp_path / "prodboard.toml").write_text("[targets]\non_time = 5\n", encoding="utf-8")
    ws = open_board(tmp_path / "b.db", "zoe", create=True)
    app = make_app(ws, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        title = _text(screen.query_one("#metrics-title", Label))
        assert "The figures cannot be read:" in title and "targets.on_time: is a share" in title
        assert screen.report is None
        await pilot.press("p", "f", "right")  # nothing to step through: no crash
        await pilot.press("escape")
        assert not isinstance(app.screen, MetricsScreen)
    ws.close()


async def test_events_during_a_recompute_still_show(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches arriving while the figures are being recomputed are not dropped: the
    work under way finishes, then runs again for them (it is never cancelled half-way,
    which once left new events replayed but never shown)."""
    app = _history_app(tmp_path, monkeypatch, live=True)
    db = tmp_path / "hist" / "board.db"
    tiles = Figures.tiles

    def slow_tiles(self: Figures, *args: Any) -> Any:
        time.sleep(0.3)  # the figures of a big board take longer than events come
        return tiles(self, *args)

    monkeypatch.setattr(Figures, "tiles", slow_tiles)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(app, pilot)
        assert screen.report is not None
        published = screen.report.published
        await asyncio.to_thread(_other, db, "ana", (
            "import time\n"
            "for stage in ('review', 'optimize', 'scheduled', 'published'):\n"
            "    board.move(8, stage, override='Straight out')\n"
            "    time.sleep(0.1)\n"))
        await until(pilot, lambda: screen.report is not None
                    and screen.report.published == published + 1)


async def test_review_tracks_are_shown_under_the_tiles(tmp_path: Path) -> None:
    """A format with review tracks: one line with each track's wait and what waits on
    it (hidden on a board without tracks, as in the snapshots above)."""
    (tmp_path / "prodboard.toml").write_text(
        '[metrics]\ntimezone = "UTC"\n[formats.whitepaper]\nreviews = ["editor", "sme", "legal"]\n',
        encoding="utf-8")
    start = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    clock = FakeClock(start)
    db = tmp_path / "b.db"
    pia = open_board(db, "pia", create=True, clock=clock)
    pia.board.set_person("pia", roles=["pm"])
    for handle, role in (("wes", "writer"), ("eve", "editor"), ("sam", "sme"), ("lee", "legal")):
        pia.board.add_person(handle, handle.title(), [role])
    wes, sam = open_board(db, "wes", clock=clock), open_board(db, "sam", clock=clock)
    a = wes.board.create("[b]Alpha[/b]", stage="draft", owner="wes", format="whitepaper",
                         **BRIEF)
    wes.board.move(a, "review")
    clock.now = start + timedelta(hours=3)
    sam.board.approve(a)
    clock.now = start + timedelta(hours=5)
    app = make_app(pia, live=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(app, pilot)
        line = screen.query_one("#metrics-tracks")
        assert line.display
        assert _text(line) == ("Review per track (h)  editor waiting 1 · legal waiting 1 · "
                               "sme p50 3 p85 3 n 1")
    for ws in (pia, wes, sam):
        ws.close()


async def test_no_review_tracks_no_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _history_app(tmp_path, monkeypatch)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(app, pilot)
        assert not screen.query_one("#metrics-tracks").display


async def test_the_replay_goes_with_the_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen keeps its replay out of the collector's passes; closing it frees the
    replay all the same (nothing of it is left behind by each opening)."""
    app = _history_app(tmp_path, monkeypatch)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await _open(app, pilot)
        assert screen.figures is not None and screen.figures.replay is not None
        replay = weakref.ref(screen.figures.replay)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, MetricsScreen))
        await until(pilot, lambda: replay() is None)

"""Live alerts with real second processes writing while a board runs, on an SQLite
file and on a PostgreSQL board (each test marked ``BOTH`` runs once per backend)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import new_pg_board

from prodboard.services.alerts import load_inbox
from prodboard.services.context import Workspace, open_board
from prodboard.storage.store import remove_board
from prodboard.tui.app import ProdboardApp, make_app

from .helpers import shown_alerts, until

SIZE = (120, 35)


def cli(db: str, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line as another person, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "prodboard", "--db", db, "--user", user, *args],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(),
    )


def script(db: str, user: str, body: str) -> subprocess.Popen[str]:
    """A second process running Commands as ``user`` (``board`` in scope)."""
    code = (
        "from pathlib import Path\n"
        "from prodboard.services.context import open_board\n"
        f"board = open_board({db!r}, {user!r}).board\n" + body
    )
    return subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy(), text=True)


def toast_texts(app: ProdboardApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


@pytest.fixture
def board_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The demo board: a file, or (param "postgres") a fresh schema on the real server,
    dropped after. Overrides the file-only fixture of tui/conftest.py for this module."""
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "board.db"
        open_board(path, "ana", create=True, demo=True).close()
        yield str(path)
        return
    url = new_pg_board("live")
    open_board(url, "ana", create=True, demo=True).close()
    yield url
    remove_board(url)


BOTH = pytest.mark.parametrize("board_db", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def live_app(open_as: Callable[..., Workspace]) -> Callable[..., ProdboardApp]:
    def make(user: str) -> ProdboardApp:
        return make_app(open_as(user), live=True)

    return make


@BOTH
async def test_owner_is_told_and_actor_is_not(live_app: Callable[..., ProdboardApp],
                                              board_db: str) -> None:
    chloe, ben = live_app("chloe"), live_app("ben")
    chloe_alerts, ben_alerts = shown_alerts(chloe, time_alerts=False), shown_alerts(ben, time_alerts=False)
    async with chloe.run_test(size=SIZE, notifications=True) as pilot:
        async with ben.run_test(size=SIZE, notifications=True) as ben_pilot:
            await pilot.pause(0.2)
            result = cli(board_db, "ben", "request-changes", "10", "--note", "Tighten it")
            assert result.returncode == 0, result.stderr
            await until(pilot, lambda: bool(chloe_alerts))
            assert chloe_alerts[0].text == (
                "ben requested changes on 'Q3 pricing page' Review → Draft (revision 2): Tighten it")
            await until(pilot, lambda: any("requested changes" in t for t in toast_texts(chloe)))
            await until(pilot, lambda: chloe.model.pieces[10].stage == "draft")
            # ben's board applied it too (its alerts are shown in the same step)
            await until(ben_pilot, lambda: ben.model.pieces[10].stage == "draft")
            assert [a for a in ben_alerts if a.actor == "ben"] == []  # mine never alert me
            assert all(a.actor != "ben" for a in ben_alerts)


@BOTH
async def test_level_nothing_gets_nothing(live_app: Callable[..., ProdboardApp], board_db: str,
                                          open_as: Callable[..., Workspace]) -> None:
    open_as("chloe").board.set_person("chloe", alert_level="none")
    app = live_app("chloe")
    alerts = shown_alerts(app, time_alerts=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert cli(board_db, "ben", "request-changes", "10", "--note", "x").returncode == 0
        await until(pilot, lambda: app.model.pieces[10].stage == "draft")
        await pilot.pause(0.3)
        assert alerts == []


@BOTH
async def test_two_hundred_events_no_miss_no_duplicate(
    live_app: Callable[..., ProdboardApp], board_db: str, open_as: Callable[..., Workspace],
) -> None:
    # One burst, by event time (the core's rule): 4 ms apart, however long the 200
    # commits take on a loaded machine and however many feed batches bring them.
    app = live_app("chloe")
    alerts = shown_alerts(app, time_alerts=False)
    start = open_as().queries.last_event_id()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        writer = script(board_db, "ben", (
            "import time\n"
            "for i in range(200):\n"
            "    board.comment(10, f'note {i}')\n"
            "    time.sleep(0.004)\n"))
        assert await asyncio.to_thread(writer.wait, 60) == 0
        new_ids = [e.id for e in open_as().queries.events_since(start) if e.actor == "ben"]
        assert len(new_ids) == 200

        def delivered() -> list[int]:
            return [i for a in alerts for i in a.event_ids]

        await until(pilot, lambda: set(delivered()) >= set(new_ids))
        assert sorted(delivered()) == new_ids  # every one, once
        assert len(alerts) == 1  # one burst, however many feed batches brought it
        # not 200 toasts: one at most (on a slow machine it may have timed out already)
        assert sum(1 for n in app._notifications if n.title == "@ben") <= 1
        inbox = load_inbox(app.session, "chloe")
        await until(pilot, lambda: app.unread == inbox.unread)  # the header agrees


@BOTH
async def test_a_burst_becomes_one_toast(live_app: Callable[..., ProdboardApp], board_db: str,
                                         open_as: Callable[..., Workspace]) -> None:
    open_as("chloe").board.set_person("chloe", alert_level="all")
    app = live_app("chloe")
    alerts = shown_alerts(app, time_alerts=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        writer = script(board_db, "ana", (
            "board.create_many([{'title': f'Imported {i}', 'stage': 'ideas'} for i in range(40)])\n"))
        assert await asyncio.to_thread(writer.wait, 60) == 0
        await until(pilot, lambda: len(app.model.columns["ideas"]) == 44)
        await pilot.pause(0.3)
        assert len(alerts) == 1
        assert "ana" in alerts[0].text and "40" in alerts[0].text
        assert len(alerts[0].event_ids) == 40


@BOTH
async def test_poll_delivers_with_the_watcher_off(
    live_app: Callable[..., ProdboardApp], board_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODBOARD_WATCH", "0")
    monkeypatch.setenv("PRODBOARD_POLL_INTERVAL", "0.3")
    app = live_app("chloe")
    alerts = shown_alerts(app, time_alerts=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.feed is not None and not app.feed.use_watcher
        assert cli(board_db, "ben", "assign", "7", "hana").returncode == 0
        await until(pilot, lambda: bool(alerts))
        assert "ben assigned 'How we ship 40 posts a month' to hana" in alerts[0].text


@BOTH
async def test_keys_keep_working_while_events_stream(
    live_app: Callable[..., ProdboardApp], board_db: str, open_as: Callable[..., Workspace],
    tmp_path: Path,
) -> None:
    """Every key does its job while another process streams events, and the whole
    stream arrives. How fast keys are handled meanwhile is a figure, not a test:
    benchmarks/bench_keys.py."""
    app = live_app("chloe")
    start = open_as().queries.last_event_id()
    stop = tmp_path / "stop-writing"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        # Comments until told to stop: the stream lasts as long as the keys, however slow.
        writer = script(board_db, "ben", (
            "import time\n"
            f"stop = Path({str(stop)!r})\n"
            "i = 0\n"
            "while not stop.exists() and i < 20_000:\n"
            "    board.comment(10 if i % 2 else 8, f'stream {i}')\n"
            "    i += 1\n"
            "    time.sleep(0.01)\n"))
        try:
            await until(pilot, lambda: app.feed_cursor > start)  # the stream is flowing

            async def press_keys() -> None:
                for key in ["l", "j", "h", "j"] * 3:
                    before = app.focus_col
                    await pilot.press(key)
                    assert app.focus_col == {"l": before + 1, "h": before - 1}.get(key, before)

            # A bound, not a speed: Pilot itself waits up to ~2 s a key for a busy process
            # to go idle (bench_keys.py), and a UI frozen by the feed would never get through.
            await asyncio.wait_for(press_keys(), 120)
        finally:
            stop.touch()
            assert await asyncio.to_thread(writer.wait, 60) == 0
        s = open_as()
        assert s.queries.last_event_id() > start
        stored = {pid: s.queries.piece(pid).comments for pid in (8, 10)}  # type: ignore[union-attr]
        # the whole stream arrives: the cards count every comment
        await until(pilot, lambda: {pid: app.model.pieces[pid].comments for pid in stored} == stored)


@BOTH
async def test_my_cursor_stays_when_someone_moves_my_piece(
    live_app: Callable[..., ProdboardApp], board_db: str
) -> None:
    app = live_app("chloe")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.focus_piece(8)  # draft, second card
        await pilot.pause()
        assert cli(board_db, "hana", "move", "8", "review").returncode == 0
        await until(pilot, lambda: app.model.pieces[8].stage == "review")
        assert app.focus_stage == "draft"  # not yanked to Review
        assert app.current() is not None and app.current().stage == "draft"  # type: ignore[union-attr]


@BOTH
async def test_unread_count_survives_a_restart(
    open_as: Callable[..., Workspace], board_db: str
) -> None:
    open_as("chloe").board.mark_read(open_as().queries.last_event_id())
    first = make_app(open_as("chloe"), live=True)
    async with first.run_test(size=SIZE) as pilot:
        assert first.unread == 0
        assert cli(board_db, "ben", "comment", "10", "@chloe please look").returncode == 0
        assert cli(board_db, "ben", "assign", "9", "chloe").returncode == 0
        await until(pilot, lambda: first.unread == 2)
    second = make_app(open_as("chloe"), live=True)
    async with second.run_test(size=SIZE) as pilot:
        assert second.unread == 2
        assert "2 unread" in str(second.query_one("#tb-unread").render())
        await pilot.press("i")
        title = str(second.screen.query_one(".form-title").render())
        assert title.startswith("Inbox — 2 unread")
        assert "2 unread" in str(second.query_one("#tb-unread").render())  # one count, both places
        await pilot.press("escape")  # opening the inbox marks nothing read
        assert second.unread == 2
        await pilot.press("i", "a", "escape")  # "mark all read" does
        await until(pilot, lambda: second.unread == 0)
        assert str(second.query_one("#tb-unread").render()).strip() == "✉ 0"
    third = make_app(open_as("chloe"), live=True)
    async with third.run_test(size=SIZE):
        assert third.unread == 0


@BOTH
async def test_jump_key_goes_to_the_alerted_piece(
    live_app: Callable[..., ProdboardApp], board_db: str
) -> None:
    app = live_app("chloe")
    alerts = shown_alerts(app, time_alerts=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        # The start-up time checks first (they raise one of chloe's): the comment is
        # then the last alert, whichever thread they run on.
        await until(pilot, lambda: app.checks.board is not None and not any(
            w.group in ("write", "checks") and not w.is_finished for w in app.workers))
        assert cli(board_db, "ben", "comment", "14", "@chloe numbers for Q4?").returncode == 0
        await until(pilot, lambda: bool(alerts))
        await pilot.press("g")
        assert app.current() is not None and app.current().id == 14  # type: ignore[union-attr]


def test_snapshot_inbox(snap_compare: Any, open_as: Callable[..., Workspace]) -> None:
    open_as("ben").board.comment(10, "@chloe [b]not bold[/b], see the pricing table")
    app = make_app(open_as("chloe"), live=False)
    assert snap_compare(app, terminal_size=(120, 35), press=["i"])


def test_snapshot_board_with_a_toast(snap_compare: Any, open_as: Callable[..., Workspace]) -> None:
    open_as("chloe").board.mark_read(open_as().queries.last_event_id())
    app = make_app(open_as("chloe"), live=False)

    async def event_arrives(pilot: Any) -> None:
        await pilot.pause()  # the board has loaded: what follows is news
        open_as("ben").board.request_changes(10, "Tighten the intro")
        await app.catch_up()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 35), run_before=event_arrives)

"""The inbox: every row reachable at 80x24, read marks one by one and all at once,
filters, grouping, the whole text of a row, and what a read-only board allows."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from prodboard.domain.inbox_kinds import INBOX_KINDS
from prodboard.services.alerts import load_inbox
from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.screens.inbox import InboxScreen
from prodboard.tui.screens.piece import PieceScreen

from .helpers import shown_toasts, until
from .screen_text import screen_lines


async def test_inbox_shows_its_newest_rows_and_hint_at_80x24(open_as: Callable[..., Workspace]) -> None:
    open_as("chloe").board.mark_read(open_as().queries.last_event_id())
    for i in range(16):  # two people taking turns: sixteen alerts, no burst merges them
        open_as("ben" if i % 2 else "ana").board.comment(10, f"@chloe point {i}")
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InboxScreen) and screen.inbox.unread == 16
        table = screen.query_one(DataTable)
        hint = screen.query(Label).last()  # "enter: open, mark read · … · escape: close"
        assert "escape" in str(hint.render())
        inside = screen.query_one(Vertical).content_region  # within the inbox's border
        assert hint.region.height <= 2 and hint.region.bottom <= inside.bottom  # wrapped, whole
        assert table.region.bottom <= hint.region.y
        assert table.cursor_row == 15  # the newest row is selected…
        visible_top = int(table.scroll_y)
        rows_shown = min(table.region.bottom, inside.bottom) - table.region.y - 1  # less the header
        assert visible_top <= 15 < visible_top + rows_shown  # …and scrolled into view
        assert "point 15" in detail(screen)  # the whole text of the focused row


NOTE = "Tighten the intro; cite the Q3 figures"


async def test_the_request_for_changes_note_reaches_every_face(
    open_as: Callable[..., Workspace], board_db: Path
) -> None:
    chloe = open_as("chloe")
    chloe.board.mark_read(chloe.queries.last_event_id())
    piece = chloe.queries.piece(10)
    assert piece is not None and piece.owner == "chloe"
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await pilot.pause()
        open_as("ben").board.request_changes(10, NOTE)
        await app.catch_up()
        await pilot.pause()
        assert any(NOTE in str(n.message) for n in app._notifications)  # the toast
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)
        assert NOTE in detail(app.screen)  # the inbox, its newest row focused
        await pilot.press("escape")
        app.push_screen(PieceScreen(10))
        await pilot.pause()
        history = app.screen.query_one("#history", DataTable)
        rows = [str(history.get_row_at(i)[-1]) for i in range(history.row_count)]
        assert any(NOTE in row for row in rows)  # the History tab
    section = cli_show(board_db).split("\nChanges requested:\n", 1)[1].split("\n\n")[0]  # `show`
    assert section.splitlines()[-1].endswith(f"ben (revision 2): {NOTE}")


def cli_show(db: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "prodboard", "--db", str(db), "--user", "chloe",
                           "show", "10"], capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def detail(screen: InboxScreen) -> str:
    """The pane under the table: the focused row, whole."""
    return str(screen.query_one("#inbox-text", Static).render())


def header_count(app: ProdboardApp) -> str:
    return str(app.query_one("#tb-unread").render()).strip()


def fill(open_as: Callable[..., Workspace], n: int, who: str = "chloe") -> None:
    """``n`` unread alerts for ``who``: comments by two people taking turns (no burst
    merges them), after everything before was read."""
    open_as(who).board.mark_read(open_as().queries.last_event_id())
    ana, ben = open_as("ana").board, open_as("ben").board
    for i in range(n):
        (ben if i % 2 else ana).comment(10 + i % 3, f"@{who} point {i}")


async def open_inbox(app: ProdboardApp, pilot: Any) -> InboxScreen:
    await pilot.press("i")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    return screen


async def saved(app: ProdboardApp, pilot: Any, check: Callable[[], bool]) -> None:
    """Wait for the writer thread to save what the screen asked for."""
    await until(pilot, check)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_snapshot_inbox_with_100_unread(snap_compare: Any, open_as: Callable[..., Workspace],
                                        size: tuple[int, int]) -> None:
    fill(open_as, 100)
    app = make_app(open_as("chloe"), live=False)
    assert snap_compare(app, terminal_size=size, press=["i"])


async def test_toggle_marks_one_item_and_the_counts_follow(open_as: Callable[..., Workspace]) -> None:
    fill(open_as, 100)
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        assert screen.inbox.unread == 100 and header_count(app).startswith("✉ 100")
        focused = screen.rows[-1].alerts[0]
        await pilot.press("r")
        assert screen.inbox.unread == 99 and screen.inbox.is_read(focused)
        assert "99 unread of 100" in str(screen.query_one("#inbox-title", Label).render())
        assert header_count(app).startswith("✉ 99") and app.unread == 99
        await saved(app, pilot, lambda: load_inbox(open_as("chloe"), "chloe").unread == 99)
        stored = load_inbox(open_as("chloe"), "chloe")
        assert stored.is_read(focused) and sum(stored.is_read(a) for a in stored.alerts) == 1
        await pilot.press("r")  # and back
        assert screen.inbox.unread == 100
        await saved(app, pilot, lambda: load_inbox(open_as("chloe"), "chloe").unread == 100)


async def test_opening_marks_nothing_and_enter_marks_one(open_as: Callable[..., Workspace]) -> None:
    fill(open_as, 6)
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        await pilot.press("escape")
        assert load_inbox(open_as("chloe"), "chloe").unread == 6  # opening marked nothing
        screen = await open_inbox(app, pilot)
        await pilot.press("up")
        row = screen.rows[-2]
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, InboxScreen)
        assert app.current() is not None and app.current().id == row.piece_id  # type: ignore[union-attr]
        await saved(app, pilot, lambda: load_inbox(open_as("chloe"), "chloe").unread == 5)
        stored = load_inbox(open_as("chloe"), "chloe")
        assert [stored.is_read(a) for a in stored.alerts] == [False] * 4 + [True, False]
        assert app.unread == 5


async def test_mark_all_read_is_its_own_key(open_as: Callable[..., Workspace]) -> None:
    fill(open_as, 12)
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        await pilot.press("a")
        assert screen.inbox.unread == 0 and app.unread == 0
        assert header_count(app) == "✉ 0"
        await saved(app, pilot, lambda: load_inbox(open_as("chloe"), "chloe").alerts == ())


async def test_each_kind_filter_shows_only_its_kind(open_as: Callable[..., Workspace]) -> None:
    chloe = open_as("chloe")
    chloe.board.mark_read(open_as().queries.last_event_id())
    ben, ana = open_as("ben").board, open_as("ana").board  # taking turns: no burst
    ben.comment(14, "@chloe numbers for Q4?")  # mentions
    ana.assign(9, "chloe")  # assignments
    ben.request_changes(10, "Tighten the intro")  # reviews (chloe owns 10)
    ana.edit(10, {"due": "2026-12-01"})  # system
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_inbox(app, pilot)
        everything = {a.inbox_kind for a in screen.inbox.alerts}
        assert {"mentions", "assignments", "reviews", "system"} <= everything
        seen: dict[str, int] = {}
        for kind in INBOX_KINDS:
            await pilot.press("f")
            assert screen.kind == kind and f"kind: {kind}" in str(
                screen.query_one("#inbox-title", Label).render())
            assert all(a.inbox_kind == kind for row in screen.rows for a in row.alerts)
            seen[kind] = len(screen.rows)
        assert all(seen[k] >= 1 for k in everything) and seen["deadlines"] == 0
        await pilot.press("f")  # back to every kind
        assert screen.kind is None and len(screen.rows) == len(screen.inbox.alerts)
        await pilot.press("r", "u")  # unread only hides the one just read
        assert len(screen.rows) == len(screen.inbox.alerts) - 1


async def test_grouping_puts_a_pieces_alerts_on_one_row(open_as: Callable[..., Workspace]) -> None:
    fill(open_as, 9)  # pieces 10, 11, 12 in turn
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_inbox(app, pilot)
        assert len(screen.rows) == 9
        await pilot.press("p")
        assert [(r.piece_id, len(r.alerts)) for r in screen.rows] == [(10, 3), (11, 3), (12, 3)]
        assert "by piece" in str(screen.query_one("#inbox-title", Label).render())
        assert detail(screen).count("point") == 3  # the group's every alert, whole
        await pilot.press("r")  # the whole group
        assert screen.inbox.unread == 6
        await pilot.press("p")
        assert len(screen.rows) == 9


HOSTILE = ("[@click=app.quit]quit[/] [b]bold[/b] \x1b[31mred\x1b[0m \u202egnp.exe\u202c "
           + "a long line of words " * 8 + "THE END")  # under the 280 an event keeps


async def test_the_whole_text_of_a_hostile_long_message(open_as: Callable[..., Workspace]) -> None:
    chloe = open_as("chloe")
    chloe.board.mark_read(open_as().queries.last_event_id())
    open_as("ben").board.comment(10, "@chloe " + HOSTILE)
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        shown = detail(screen)
        assert "[@click=app.quit]quit[/] [b]bold[/b]" in shown  # markup shown as text
        assert "THE END" in shown  # not cut
        assert "\x1b" not in shown and "\u202e" not in shown  # escapes and overrides removed
        assert "red" in shown and "gnp.exe" in shown
        cell = screen.query_one(DataTable).get_row_at(0)[-1]
        full = screen.inbox.alerts[0].text
        assert isinstance(cell, Text) and full.startswith(cell.plain.rstrip("…"))  # plain text
        await pilot.click("#inbox-text")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, InboxScreen)  # nothing ran


async def test_a_new_person_has_an_empty_inbox(open_as: Callable[..., Workspace]) -> None:
    open_as("newbie", newcomer=True).board.join()  # their own join: it alerts them not
    app = make_app(open_as("newbie"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        assert screen.inbox.alerts == () and screen.rows == []
        assert "Nothing new" in str(screen.query_one(DataTable).get_row_at(0)[-1])
        await pilot.press("r", "a", "enter", "p", "f", "u")  # nothing to mark, nothing breaks
        assert app.is_running


async def test_read_only_board_opens_the_inbox_but_keeps_no_mark(
    open_as: Callable[..., Workspace], board_db: Path
) -> None:
    fill(open_as, 3)
    os.chmod(board_db, 0o444)
    try:
        app = make_app(open_as("chloe"), live=False)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            screen = await open_inbox(app, pilot)
            await pilot.press("r", "a")
            await pilot.pause()
            assert screen.inbox.unread == 3  # refused, and said so
            assert any("read-only" in str(n.message) for n in app._notifications)
            await pilot.press("enter")  # reading is allowed: the piece opens
            await pilot.pause()
            assert app.current() is not None and app.current().id == 12  # type: ignore[union-attr]
    finally:
        os.chmod(board_db, 0o644)
    assert load_inbox(open_as("chloe"), "chloe").unread == 3


def when_cell(screen: InboxScreen, row: int) -> str:
    return str(screen.query_one(DataTable).get_row_at(row)[1])


async def test_times_are_in_the_local_zone_and_named(
    open_as: Callable[..., Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    fill(open_as, 2)
    app = make_app(open_as("chloe"), live=False)  # NOW is 09:00 UTC: 04:00 in New York
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        assert when_cell(screen, 1) == "04:00 EST"  # today: no day, the zone named
        assert "04:00 EST (just now)" in detail(screen)


async def test_a_zone_without_a_short_name_is_shown_whole(
    open_as: Callable[..., Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/Sao_Paulo")  # named "-03": shown as an offset
    fill(open_as, 2)
    monkeypatch.setenv("PRODBOARD_NOW", "2026-11-22T09:00:00+00:00")  # two days on
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        assert when_cell(screen, 1) == "Nov 20 06:00 UTC-03:00"
        assert "(2 days ago)" in detail(screen)
        assert any("Nov 20 06:00 UTC-03:00" in line for line in screen_lines(app))


async def test_new_alerts_join_the_open_inbox_and_the_cursor_keeps_its_item(
    open_as: Callable[..., Workspace],
) -> None:
    fill(open_as, 4)
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        await pilot.press("up", "up", "r")  # a mark not yet saved when the alert comes
        focused = screen.rows[1].alerts[0]
        open_as("gus").board.comment(11, "@chloe " + HOSTILE)
        await app.catch_up()
        await until(pilot, lambda: len(screen.rows) == 5)
        assert screen.query_one(DataTable).cursor_row == 1
        assert screen.rows[1].alerts[0].first_id == focused.first_id  # the same item
        assert screen.inbox.is_read(focused)  # the mark survives the reload
        assert screen.inbox.unread == 4 and app.unread == 4 and header_count(app).startswith("✉ 4")
        assert "4 unread of 5" in str(screen.query_one("#inbox-title", Label).render())
        await pilot.press("down", "down", "down")  # the new row, its hostile text shown as text, cleaned
        assert "[@click=app.quit]quit[/]" in detail(screen) and "\x1b" not in detail(screen)
        await pilot.press("p")  # grouped: the cursor follows the piece as groups reorder
        await pilot.press("up", "up")
        assert [(r.piece_id, len(r.alerts)) for r in screen.rows] == [(12, 1), (10, 2), (11, 2)]
        piece = 12
        open_as("ben").board.comment(piece, "@chloe again")
        await app.catch_up()
        await until(pilot, lambda: screen.rows[-1].piece_id == piece)  # now the newest group
        assert len(screen.rows[-1].alerts) == 2
        cursor = screen.query_one(DataTable).cursor_row
        assert screen.rows[cursor].piece_id == piece and cursor == len(screen.rows) - 1


async def test_the_open_inbox_of_a_new_person_fills_as_alerts_come(
    open_as: Callable[..., Workspace],
) -> None:
    open_as("newbie", newcomer=True).board.join()
    app = make_app(open_as("newbie"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inbox(app, pilot)
        assert screen.rows == []
        open_as("ana").board.assign(3, "newbie")
        await app.catch_up()
        await until(pilot, lambda: len(screen.rows) == 1)
        assert "you" in detail(screen) and header_count(app).startswith("✉ 1")


async def test_a_read_only_inbox_shows_new_alerts_too(
    open_as: Callable[..., Workspace], board_db: Path
) -> None:
    fill(open_as, 2)
    os.chmod(board_db, 0o444)
    try:
        app = make_app(open_as("chloe"), live=False)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_inbox(app, pilot)
            os.chmod(board_db, 0o644)  # a colleague with write access comments
            open_as("gus").board.comment(10, "@chloe from afar")
            await app.catch_up()
            await until(pilot, lambda: len(screen.rows) == 3)
            assert "point 1" in detail(screen)  # the cursor stays on its item
            assert screen.rows[-1].alerts[0].text.endswith("from afar")
            await pilot.press("down", "r")  # and still no mark on a read-only board
            assert screen.inbox.unread == 3
    finally:
        os.chmod(board_db, 0o644)


async def test_opening_the_inbox_puts_the_launch_and_alert_toasts_away(
    open_as: Callable[..., Workspace],
) -> None:

    fill(open_as, 5)
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        open_as("gus").board.comment(12, "@chloe a toast")
        await app.catch_up()
        await pilot.pause()
        titles = {n.title for n in app._notifications}
        assert "5 unread" in titles and "@gus" in titles
        screen = await open_inbox(app, pilot)
        await pilot.pause()
        assert not app._notifications and not shown_toasts(screen)
        open_as("ben").board.comment(12, "@chloe while the inbox is open")
        await app.catch_up()
        await until(pilot, lambda: len(screen.rows) == 7)
        await pilot.pause()
        assert not app._notifications  # a new row, not a toast over the hint
        hint = screen.query_one("#inbox-hint", Label)
        assert "escape: close" in " ".join(screen_lines(app)[hint.region.y:hint.region.bottom])


async def test_after_mark_all_read_only_the_new_alert_is_unread(
    open_as: Callable[..., Workspace],
) -> None:
    fill(open_as, 3)
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_inbox(app, pilot)
        await pilot.press("a")
        for who in ("gus", "dev"):  # two batches: the second reload replaces the first
            open_as(who).board.comment(12, f"@chloe after all read, from {who}")
            await app.catch_up()
        await until(pilot, lambda: len(screen.rows) == 5)
        assert [screen.inbox.is_read(r.alerts[0]) for r in screen.rows] == [True] * 3 + [False] * 2
        assert app.unread == 2 and header_count(app).startswith("✉ 2")

"""The Calendar screen, walked with the keyboard on the demo board (2026-11-20, a Friday)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from prodboard.services.context import Workspace, open_board
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.screens.calendar import MONTH, WEEK, CalendarScreen
from prodboard.tui.screens.forms import FilterForm
from prodboard.tui.screens.help import HelpScreen
from prodboard.tui.screens.piece import PieceScreen

from .helpers import until
from .screen_text import HOSTILE, OSC, assert_shown_literally, screen_lines

AppMaker = Callable[..., ProdboardApp]
SMALL, BIG = (80, 24), (160, 45)
TODAY = date(2026, 11, 20)


async def settle(app: ProdboardApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_calendar(app: ProdboardApp, pilot: Any) -> CalendarScreen:
    await pilot.pause()
    await pilot.press("d")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, CalendarScreen)
    return screen


def text(app: ProdboardApp) -> str:
    return "\n".join(screen_lines(app))


def toasts(app: ProdboardApp) -> list[tuple[str, str]]:
    return [(str(n.title), str(n.message)) for n in app._notifications]


def focused(screen: CalendarScreen) -> tuple[str, int] | None:
    entry = screen.focused_entry()
    return (entry.kind, entry.piece.id) if entry else None


async def test_opens_on_this_week_at_80x24_and_this_month_at_160x45(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_calendar(app, pilot)
        assert (screen.view, screen.cursor) == (WEEK, TODAY)
        shown = text(app)
        assert "Calendar week 47: 16 Nov – 22 Nov 2026" in shown
        assert "● #13 Social: 5 brief questions" in shown
        assert "Fri 20 Nov  today" in shown
    app = app_as()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_calendar(app, pilot)
        assert screen.view == MONTH
        shown = text(app)
        assert "Calendar November 2026" in shown and "Friday 20 November 2026" in shown
        assert "●#13 Social: 5 …" in shown and "◇due #5 Q1 pric…" in shown
        await pilot.press("escape")
        assert app.screen is app.board_screen


async def test_keys_move_between_days_weeks_and_months(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=BIG) as pilot:
        screen = await open_calendar(app, pilot)
        steps = [("right", date(2026, 11, 21)), ("down", date(2026, 11, 28)),
                 ("left", date(2026, 11, 27)), ("up", date(2026, 11, 20)),
                 ("right_square_bracket", date(2026, 12, 20)), ("pageup", date(2026, 11, 20)),
                 ("pagedown", date(2026, 12, 20)), ("t", TODAY)]
        for key, want in steps:
            await pilot.press(key)
            assert screen.cursor == want, key
        await pilot.press("v")
        assert screen.view == WEEK
        await pilot.press("left_square_bracket")
        assert screen.cursor == date(2026, 11, 13)
        assert "Calendar week 46: 09 Nov – 15 Nov 2026" in text(app)
        await pilot.press("t", "right")
        assert focused(screen) == ("publish", 13)
        await pilot.press("j")
        assert focused(screen) == ("due", 8)
        await pilot.press("j", "j", "j")  # stays on the last one
        assert focused(screen) == ("due", 13)
        await pilot.press("k")
        assert focused(screen) == ("due", 8)


async def test_shift_right_moves_the_publish_date_as_one_edit(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    before = open_as().queries.piece(13)
    assert before is not None and before.publish_date == "2026-11-21"
    app = app_as()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_calendar(app, pilot)
        await pilot.press("right")
        assert focused(screen) == ("publish", 13)
        cursor = open_as().queries.last_event_id()
        await pilot.press("shift+right")
        await settle(app, pilot)
        q = open_as().queries
        after = q.piece(13)
        assert after is not None and after.publish_date == "2026-11-22"
        assert after.version == before.version + 1
        events = q.events_since(cursor)
        assert [(e.kind, e.actor, e.changes) for e in events] == [
            ("piece.edited", "ana", {"publish_date": ["2026-11-21", "2026-11-22"]})]
        assert "fatima" in {r.person for r in q.recipients(events[0].id)}  # the owner hears
        assert screen.cursor == date(2026, 11, 22) and focused(screen) == ("publish", 13)
        await pilot.press("shift+down", "shift+left")  # a week later, then a day earlier
        await settle(app, pilot)
        assert open_as().queries.piece(13).publish_date == "2026-11-28"  # type: ignore[union-attr]
        assert screen.cursor == date(2026, 11, 28) and focused(screen) == ("publish", 13)
        await pilot.press("shift+up")
        await settle(app, pilot)
        assert open_as().queries.piece(13).publish_date == "2026-11-21"  # type: ignore[union-attr]


async def test_a_due_entry_moves_the_due_date(app_as: AppMaker, open_as: Callable[..., Workspace]) -> None:
    app = app_as()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_calendar(app, pilot)
        await pilot.press("right", "j")
        assert focused(screen) == ("due", 8)
        await pilot.press("shift+right")
        await settle(app, pilot)
        piece = open_as().queries.piece(8)
        assert piece is not None and (piece.due, piece.publish_date) == ("2026-11-22", "2026-11-26")


async def test_someone_elses_reschedule_first_is_a_conflict(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as()  # no live feed: the screen still shows the old date
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        screen = await open_calendar(app, pilot)
        await pilot.press("right")
        assert focused(screen) == ("publish", 13)
        open_as("fatima").board.edit(13, {"publish_date": "2026-11-25"})
        cursor = open_as().queries.last_event_id()
        await pilot.press("shift+right")
        await settle(app, pilot)
        assert open_as().queries.piece(13).publish_date == "2026-11-25"  # type: ignore[union-attr]
        assert open_as().queries.last_event_id() == cursor  # nothing written
        conflict = [m for t, m in toasts(app) if t == "Conflict"]
        assert conflict and "fatima changed publish_date" in conflict[0]
        await pilot.pause()  # the screen now shows fatima's date, not the one I saw
        assert app.model.pieces[13].publish_date == "2026-11-25"
        assert focused(screen) != ("publish", 13)
        assert 13 not in {e.piece.id for e in screen.data.days.get(date(2026, 11, 21), [])  # type: ignore[union-attr]
                          if e.kind == "publish"}


async def test_the_tray_places_a_piece_on_the_selected_day(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    pid = open_as().board.create("Needs a slot", stage="draft", owner="chloe", imported=True)
    app = app_as()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        screen = await open_calendar(app, pilot)
        assert "Unscheduled (1)" in text(app) and f"#{pid} Needs a slot" in text(app)
        await pilot.press("s")  # not in the tray yet: says how
        await settle(app, pilot)
        assert open_as().queries.piece(pid).publish_date is None  # type: ignore[union-attr]
        await pilot.press("right", "right", "u", "s")
        await settle(app, pilot)
        assert open_as().queries.piece(pid).publish_date == "2026-11-22"  # type: ignore[union-attr]
        assert "Unscheduled (0)" in text(app) and "nothing to place" in text(app)
        assert pid in {e.piece.id for e in screen.data.days[date(2026, 11, 22)]}  # type: ignore[union-attr]
        assert any(f"#{pid} placed on 2026-11-22" in m for _, m in toasts(app))


async def test_enter_opens_the_piece_and_escape_comes_back(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_calendar(app, pilot)
        await pilot.press("enter")  # today has nothing: a hint, no screen
        assert app.screen is screen
        await pilot.press("right", "enter")
        assert isinstance(app.screen, PieceScreen) and app.screen.piece_id == 13
        await pilot.press("escape")
        assert app.screen is screen


async def test_read_only_board_refuses_before_anything(
    board_db: Path, app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    open_as().board.create("Needs a slot", stage="draft", imported=True)
    os.chmod(board_db, 0o444)
    app = app_as()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        screen = await open_calendar(app, pilot)
        assert "READ-ONLY" in text(app)
        await pilot.press("right", "shift+right", "u", "s")
        await settle(app, pilot)
        assert app.screen is screen
        assert sum("read-only" in m for _, m in toasts(app)) >= 2
    os.chmod(board_db, 0o644)
    assert open_as().queries.piece(13).publish_date == "2026-11-21"  # type: ignore[union-attr]


async def test_an_empty_board(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    session = open_board(path, "zoe", create=True)
    app = make_app(session, live=False)
    try:
        async with app.run_test(size=SMALL, notifications=True) as pilot:
            screen = await open_calendar(app, pilot)
            assert "nothing to place" in text(app)
            for key in ("right", "enter", "shift+right", "j", "u", "s", "v", "pagedown", "t"):
                await pilot.press(key)
                await settle(app, pilot)
                assert app.screen is screen, key
            assert screen.view == MONTH
    finally:
        session.close()


async def test_hostile_titles_are_shown_as_typed(app_as: AppMaker, open_as: Callable[..., Workspace]) -> None:
    board = open_as().board
    for title in HOSTILE:
        board.create(title, publish_date="2026-11-20", imported=True)
    board.create(OSC + "osc title", stage="draft", imported=True)  # in the tray
    app = app_as()
    async with app.run_test(size=(200, 40)) as pilot:
        await open_calendar(app, pilot)
        await pilot.press("v")  # the week: whole titles
        await pilot.pause()
        await assert_shown_literally(app, pilot, *HOSTILE, "osc title")


async def test_the_board_filter_applies(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_calendar(app, pilot)
        await pilot.press("slash")
        assert isinstance(app.screen, FilterForm)
        await pilot.press(*"owner:chloe", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CalendarScreen) and app.screen is screen
        await pilot.pause()
        owners = {e.piece.owner for es in screen.data.days.values() for e in es}  # type: ignore[union-attr]
        assert owners == {"chloe"}
        assert "filter: owner:chloe" in text(app)
        await pilot.press("escape")
        assert app.model.filter.describe() == "owner:chloe"  # the board keeps it too


async def test_other_peoples_changes_appear_live(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as(live=True)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_calendar(app, pilot)
        open_as("fatima").board.edit(13, {"publish_date": "2026-11-19"})

        def moved() -> bool:
            days = screen.data.days if screen.data else {}
            return 13 in {e.piece.id for e in days.get(date(2026, 11, 19), []) if e.kind == "publish"}

        await until(pilot, moved)
        assert "#13 is not published and its date has passed" in text(app)


async def test_calendar_keys_are_remappable_and_in_help(
    tmp_path: Path, app_as: AppMaker
) -> None:
    config = tmp_path / "config" / "prodboard" / "prodboard.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[keys]\ncal-later = "ctrl+l"\ncalendar = "f6"\n', encoding="utf-8")
    app = app_as()
    async with app.run_test(size=BIG) as pilot:
        await pilot.press("d")  # remapped away
        assert app.screen is app.board_screen
        await pilot.press("f6")
        screen = app.screen
        assert isinstance(screen, CalendarScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        rows = {str(table.get_row_at(i)[2]): str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert rows["cal-later"] == "^l" and rows["cal-today"] == "t" and rows["calendar"] == "f6"
        assert {"cal-left", "cal-prev", "cal-place", "cal-tray", "cal-open", "cal-close"} <= set(rows)
        await pilot.press("escape")
        await pilot.press("right", "ctrl+l")
        await settle(app, pilot)
        assert app.session.queries.piece(13).publish_date == "2026-11-22"  # type: ignore[union-attr]


async def test_derived_stage_dates_show_when_the_option_is_on(
    tmp_path: Path, app_as: AppMaker
) -> None:
    team = tmp_path / "team.toml"
    team.write_text("[board]\nderive_stage_due = true\n", encoding="utf-8")
    app = app_as(config=team)
    async with app.run_test(size=BIG) as pilot:
        screen = await open_calendar(app, pilot)
        await pilot.press("down", "left", "left", "left", "left")  # Monday 23rd
        assert screen.cursor == date(2026, 11, 23)
        stages = [(e.stage, e.piece.id) for e in screen.data.days[screen.cursor]  # type: ignore[union-attr]
                  if e.kind == "stage"]
        assert ("brief", 5) in stages  # #5 publishes on 5 Dec: its brief is due 12 days before
        assert "· Brief due #5 Q1 pricing pag" in text(app)  # the side panel lists the day

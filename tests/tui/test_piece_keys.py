"""The piece screen's keys (y / x / o in the footer while they apply, ? for help, a key
per tab, t only ticks on the checklist), h / l keeping the row on the board, and the
signals narrow cards keep visible, at 80x24 and 160x45."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.style import Style
from textual.widgets import DataTable, TabbedContent
from textual.widgets._footer import FooterKey

from prodboard.domain import rules
from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.forms import ReasonForm
from prodboard.tui.screens.help import HelpScreen
from prodboard.tui.screens.piece import PieceScreen
from prodboard.tui.widgets.cards import card_lines

from .screen_text import screen_lines

AppMaker = Callable[..., ProdboardApp]
SIZES = [(80, 24), (160, 45)]
DECISIONS = {"approve", "request_changes", "override"}


async def settle(app: ProdboardApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def footer_actions(app: ProdboardApp) -> set[str]:
    return {k.action for k in app.screen.query(FooterKey)}


async def open_piece(app: ProdboardApp, pilot: object, pid: int) -> PieceScreen:
    assert app.focus_piece(pid)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, PieceScreen) and screen.piece_id == pid
    return screen


@pytest.mark.parametrize("size", SIZES)
async def test_walk_the_piece_screen_over_every_demo_piece(
    app_as: AppMaker, open_as: Callable[..., Workspace], size: tuple[int, int]
) -> None:
    """Every piece (unassigned ones too): each tab by its key, help and back; the
    footer offers approve and request changes exactly in Review, override exactly
    when a gate blocks the next stage (some do, some do not)."""
    before = open_as().queries.pieces()
    app = app_as("ben")
    seen: set[bool] = set()
    async with app.run_test(size=size) as pilot:
        for piece in before:
            screen = await open_piece(app, pilot, piece.id)
            tabs = screen.query_one("#piece-tabs", TabbedContent)
            for key, tab in (("2", "tab-checklist"), ("3", "tab-comments"),
                             ("4", "tab-history"), ("1", "tab-details")):
                await pilot.press(key)
                assert tabs.active == tab, (piece.id, key)
            shown = footer_actions(app) & DECISIONS
            in_review = piece.stage == "review"
            assert ("approve" in shown, "request_changes" in shown) == (in_review, in_review)
            wf, index = app.wf, app.wf.index(piece.stage) + 1
            blocked = index < len(wf.stages) and bool(
                rules.gate_checks(piece, wf, wf.stages[index].key))
            assert ("override" in shown) == blocked, piece.id
            seen.add(blocked)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            first = app.screen.query_one(DataTable).get_row_at(0)[0]
            assert str(first) == "Piece screen"  # its own keys come first
            await pilot.press("escape", "escape")
            assert app.screen is app.board_screen
            assert app.is_running
        assert seen == {True, False}  # pieces with a blocking gate and without
    assert open_as().queries.pieces() == before  # looking changed nothing


async def test_footer_shows_the_decisions_of_a_piece_in_review(app_as: AppMaker) -> None:
    app = app_as("ben")
    async with app.run_test(size=(160, 45)) as pilot:
        await open_piece(app, pilot, 10)
        text = screen_lines(app)[-1]
        assert "y Approve" in text and "x Request changes" in text and "? Help" in text
        await pilot.press("escape")
        await open_piece(app, pilot, 1)  # an idea: no decision to make
        text = screen_lines(app)[-1]
        assert "Approve" not in text and "Request changes" not in text and "? Help" in text


async def test_t_on_details_shows_the_checklist_and_ticks_nothing(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    before = open_as().queries.piece(12)
    app = app_as("gus")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_piece(app, pilot, 12)
        tabs = screen.query_one("#piece-tabs", TabbedContent)
        for key in ("t", "space"):
            await pilot.press("1", key)
            await settle(app, pilot)
            assert tabs.active == "tab-checklist"
        assert open_as().queries.piece(12) == before
        assert any("Pick an item" in str(n.message) for n in app._notifications)
        await pilot.press("t")  # on the checklist: ticks (here unticks) the highlighted one
        await settle(app, pilot)
        assert "brand_voice" not in open_as().queries.piece(12).checklist  # type: ignore[union-attr]


async def test_tab_keys_are_remappable_and_in_help(
    app_as: AppMaker, tmp_path: Path
) -> None:
    path = tmp_path / "config" / "prodboard" / "prodboard.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keys]\npiece-tab-history = "H"\n', encoding="utf-8")
    app = app_as("ana")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_piece(app, pilot, 10)
        assert "History (H)" in "\n".join(screen_lines(app))  # the tab names its key
        await pilot.press("4")  # no longer the history's key
        tabs = screen.query_one("#piece-tabs", TabbedContent)
        assert tabs.active == "tab-details"
        await pilot.press("H")
        assert tabs.active == "tab-history"
        await pilot.press("question_mark")
        text = "\n".join(screen_lines(app))
        assert "piece-tab-history" in text and "piece-assign-me" in text


async def test_l_then_x_acts_on_the_piece_in_the_same_row(app_as: AppMaker) -> None:
    """The reviewer looked at #10 (Review, row 0), went to Draft's second card and
    pressed l: the focus is Review's second card (#11), not the last one focused
    there, and x asks for changes on #11."""
    app = app_as("ben")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.focus_piece(10)
        await pilot.press("h")
        assert app.current().id == 7  # type: ignore[union-attr]  # Draft's first card
        await pilot.press("j", "l")
        assert app.current().id == 11  # type: ignore[union-attr]
        await pilot.press("x")
        form = app.screen
        assert isinstance(form, ReasonForm) and form.piece.id == 11
        await pilot.press("escape")
        await pilot.press("h", "j", "l")  # Draft's third card: Review has two, the last
        assert app.current().id == 11  # type: ignore[union-attr]
        await pilot.press("k", "h")  # back up a row, then left: Draft's first row
        assert app.current().id == 7  # type: ignore[union-attr]


async def test_narrow_cards_keep_the_signals_at_80x24(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    admin = open_as("ana").board
    admin.set_away("chloe", True)  # #7 (due in 3 days) is at risk: chloe is away
    for _ in range(12):
        admin.comment(10, "one more thing")  # ✉12 would push the ⊘ off a narrow card
    app = app_as("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.focus_piece(7)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "(away) chloe" in text and "⚠ risk" in text
        assert app.focus_piece(10)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "⊘ approval" in text
    app = app_as("ana")
    async with app.run_test(size=(160, 45)) as pilot:  # seven stages: cards as narrow
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "(away) chloe" in text and "⚠ risk" in text and "⊘ approval" in text
    piece = open_as().queries.piece(7)
    assert piece is not None
    now = open_as().board.clock()
    styles = {n: Style() for n in ("title", "meta", "bar", "bar-at-risk", "gate", "warn")}
    wide = card_lines(piece, app.wf, now, "at-risk", styles, 60)
    assert "· chloe (away)" in wide[1].plain  # room enough: the usual order
    assert wide[2].plain.index("due") < wide[2].plain.index("⚠ risk")


@pytest.mark.parametrize(("zone", "shown"), [("Asia/Kolkata", "14:30 IST"),
                                              ("America/New_York", "04:00 EST")])
async def test_piece_screen_times_in_the_zone(
    app_as: AppMaker, monkeypatch: pytest.MonkeyPatch, zone: str, shown: str
) -> None:
    """The demo's events are at 09:00 UTC, the pinned now too."""
    monkeypatch.setenv("TZ", zone)
    app = app_as("ana")
    async with app.run_test(size=(160, 45)) as pilot:
        await open_piece(app, pilot, 10)
        text = "\n".join(screen_lines(app))
        assert "2026-11-19  (1 day overdue)" in text
        await pilot.press("4")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert shown in text and "UTC" not in text
        await pilot.press("3")
        await pilot.pause()
        assert f"{shown} (just now)" in "\n".join(screen_lines(app))

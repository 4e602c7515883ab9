"""What the feed's cheaper reads must still show: the team read once and again after a
person changes, an open piece screen refreshed off the event loop, and card lines
kept between repaints yet redrawn when the card or the theme changes. Real second
processes write to a real SQLite file while the board runs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.segment import Segment

import prodboard.tui.screens.piece as piece_screen
from prodboard.services.context import Workspace
from prodboard.storage.queries import Queries
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.screens.piece import PieceRead, PieceScreen

from .helpers import shown_alerts, until
from .screen_text import screen_lines

SIZE = (160, 40)


def run_as(db: Path, user: str, body: str) -> None:
    """Commands as ``user`` in a second process (``board`` in scope), to the end."""
    code = ("from prodboard.services.context import open_board\n"
            f"board = open_board({str(db)!r}, {user!r}).board\n" + body)
    done = subprocess.run([sys.executable, "-c", code], env=os.environ.copy(), text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr


def live(open_as: Callable[..., Workspace], user: str = "chloe") -> ProdboardApp:
    return make_app(open_as(user), live=True)


async def test_a_persons_change_elsewhere_reaches_the_next_batch(
    open_as: Callable[..., Workspace], board_db: Path,
) -> None:
    app = live(open_as)
    alerts = shown_alerts(app, time_alerts=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        run_as(board_db, "ben", "board.comment(10, 'first')\n")  # chloe owns 10: told
        await until(pilot, lambda: any(a.piece_id == 10 for a in alerts))  # the team is read
        run_as(board_db, "ben", "board.edit(2, {'title': 'Quietly renamed'})\n")
        await until(pilot, lambda: app.model.pieces[2].title == "Quietly renamed")
        assert not any(a.piece_id == 2 for a in alerts)  # involved: not hers
        # chloe, from another process, asks to hear everything; ben goes away
        run_as(board_db, "chloe", "board.set_person('chloe', alert_level='all')\n")
        run_as(board_db, "ben", "board.set_away('ben', True)\n")
        await until(pilot, lambda: app.away == {"ben"})
        run_as(board_db, "ben", "board.edit(2, {'title': 'Loudly renamed'})\n")
        await until(pilot, lambda: any(a.piece_id == 2 for a in alerts))


async def test_an_open_piece_screen_shows_others_changes_read_off_the_loop(
    open_as: Callable[..., Workspace], board_db: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[threading.Thread] = []
    original = piece_screen.read_piece

    def read_piece(queries: Queries, piece_id: int, me: str) -> PieceRead:
        threads.append(threading.current_thread())
        return original(queries, piece_id, me)

    monkeypatch.setattr(piece_screen, "read_piece", read_piece)
    app = live(open_as)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await app.push_screen(PieceScreen(10))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PieceScreen)
        opened = len(threads)
        run_as(board_db, "ben", "board.edit(10, {'title': 'Q3 pricing, renamed'})\n"
                                "board.comment(10, 'seen the new table?')\n")
        await until(pilot, lambda: "seen the new table?" in str(
            screen.query_one("#piece-comments").render()))
        assert "Q3 pricing, renamed" in str(screen.query_one("#piece-title").render())
        later = threads[opened:]
        assert later and all(t is not threading.main_thread() for t in later)
        # Archived elsewhere: still shown, marked (a deleted piece would close it)
        run_as(board_db, "ana", "board.archive(10, 'dropped')\n")
        await until(pilot, lambda: "ARCHIVED" in str(screen.query_one("#piece-title").render()))


def card_text(app: ProdboardApp, stage: str) -> str:
    cards = app.column(stage).cards
    return "\n".join("".join(s.text for s in cards.render_line(y)) for y in range(cards.size.height))


def line_styles(app: ProdboardApp, stage: str) -> list[object]:
    return [seg.style for seg in app.column(stage).cards.render_line(0) if isinstance(seg, Segment)]


async def test_kept_card_lines_show_a_title_edited_elsewhere(
    open_as: Callable[..., Workspace], board_db: Path,
) -> None:
    app = live(open_as)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert "Customer story: No" in card_text(app, "ideas")  # (truncated to the width)
        run_as(board_db, "ben", "board.edit(2, {'title': 'Fabrikam story'})\n")
        await until(pilot, lambda: "Fabrikam story" in card_text(app, "ideas"))
        assert "Customer story" not in card_text(app, "ideas")
        assert "Fabrikam story" in "\n".join(screen_lines(app))


async def test_a_theme_change_redraws_kept_card_lines(
    open_as: Callable[..., Workspace], board_db: Path,
) -> None:
    app = live(open_as)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        before = line_styles(app, "ideas")
        again = line_styles(app, "ideas")
        assert before == again  # kept: the same line
        app.theme = "gruvbox" if app.theme != "gruvbox" else "nord"
        await pilot.pause()
        await asyncio.sleep(0)
        assert line_styles(app, "ideas") != before

"""Toasts at 80x24 while another process writes: at most three, the header and its
unread count on screen, a grouped alert naming its pieces, `g` going to each, and
the reader addressed as "you"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from prodboard.services.alerts import load_inbox
from prodboard.services.context import Workspace
from prodboard.tui.app import make_app
from prodboard.tui.toasts import CAP

from .helpers import shown_alerts, shown_toasts, until
from .screen_text import screen_lines
from .test_live import script

SMALL = (80, 24)


async def test_a_burst_from_another_process_is_capped_below_the_header(
    open_as: Callable[..., Workspace], board_db: Path
) -> None:
    chloe = open_as("chloe")
    chloe.board.mark_read(chloe.queries.last_event_id())
    app = make_app(open_as("chloe"), live=True)
    alerts = shown_alerts(app, time_alerts=False)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await pilot.pause(0.2)
        writer = script(str(board_db), "ana", (  # six people, one comment each: six alerts
            "boards = [board] + [open_board(Path(board.store.location), who).board\n"
            "                    for who in ('ben', 'dev', 'eli', 'fatima', 'gus')]\n"
            "for i, b in enumerate(boards):\n"
            "    b.comment(10, f'@chloe look at this, {i}')\n"))
        assert await asyncio.to_thread(writer.wait, 60) == 0
        await until(pilot, lambda: len(alerts) == 6)
        expected = load_inbox(open_as("chloe"), "chloe").unread  # with the board's time alerts
        assert expected >= 6
        await until(pilot, lambda: app.unread == expected)  # the tally, not a re-read
        await pilot.pause(0.2)
        toasts = shown_toasts(app.screen)
        assert len(toasts) <= CAP
        more = app.toasts.more
        assert more is not None and any(t._notification is more for t in toasts)
        hidden = int(str(more.message).split(" more in the inbox")[0])
        assert hidden >= 6 - (CAP - 1)
        top = screen_lines(app)[0]
        assert f"{expected} unread" in top and "@chloe" in top  # the header, not covered
        assert all(t.region.y >= 1 for t in toasts)


async def test_grouped_alerts_name_their_pieces_and_g_opens_each(
    open_as: Callable[..., Workspace], board_db: Path
) -> None:
    chloe = open_as("chloe")
    chloe.board.set_person("chloe", alert_level="all")
    chloe.board.mark_read(chloe.queries.last_event_id())
    app = make_app(open_as("chloe"), live=True)
    alerts = shown_alerts(app, time_alerts=False)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await pilot.pause(0.2)
        writer = script(str(board_db), "gus", (
            "board.create_many([{'title': f'Gus idea {i}', 'stage': 'ideas'} for i in range(5)])\n"))
        assert await asyncio.to_thread(writer.wait, 60) == 0
        await until(pilot, lambda: bool(alerts) and len(alerts[-1].piece_ids) == 5)
        alert = alerts[-1]
        assert alert.text == "gus created 5 pieces: 'Gus idea 0', 'Gus idea 1', 'Gus idea 2' and 2 more"
        await until(pilot, lambda: any("and 2 more" in str(n.message) and "each in turn" in str(n.message)
                                       for n in app._notifications))
        visited = []
        for _ in alert.piece_ids:
            await pilot.press("g")
            current = app.current()
            assert current is not None
            visited.append(current.id)
        assert visited == list(alert.piece_ids)


async def test_the_reader_is_you(open_as: Callable[..., Workspace], board_db: Path) -> None:
    chloe = open_as("chloe")
    chloe.board.mark_read(chloe.queries.last_event_id())
    app = make_app(open_as("chloe"), live=True)
    alerts = shown_alerts(app, time_alerts=False)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await pilot.pause(0.2)
        writer = script(str(board_db), "ana", "board.assign(9, 'chloe')\n")
        assert await asyncio.to_thread(writer.wait, 60) == 0
        await until(pilot, lambda: bool(alerts))
        assert " to you (was " in alerts[-1].text and "chloe" not in alerts[-1].text
        await until(pilot, lambda: any(" to you (was " in str(n.message) for n in app._notifications))
        await pilot.press("i")
        await pilot.pause()
        assert " to you (was " in str(app.screen.query_one("#inbox-text").render())


async def test_a_form_puts_the_unread_summary_away_but_not_a_warning(
    open_as: Callable[..., Workspace],
) -> None:
    chloe = open_as("chloe")
    chloe.board.mark_read(chloe.queries.last_event_id())
    open_as("ben").board.comment(10, "@chloe [b]hostile[/b] \x1b[2J")
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert [n.title for n in app._notifications] == ["1 unread"]
        app.notify("kept", title="Board", severity="warning", markup=False)
        await pilot.press("c")  # the comment form
        await pilot.pause()
        assert [n.title for n in app._notifications] == ["Board"]  # the summary went
        await pilot.pause()
        save = app.screen.query_one("#save")
        toasts = shown_toasts(app.screen)
        assert len(toasts) == 1 and not toasts[0].region.overlaps(save.region)
        board = app.screen_stack[0]  # shown through the form's margin: gone there too
        assert [t._notification.title for t in shown_toasts(board)] == ["Board"]


async def test_the_demo_notice_stays_over_a_form_and_goes_with_the_inbox(
    open_as: Callable[..., Workspace],
) -> None:
    open_as("newbie", newcomer=True).board.join()
    session = open_as("newbie")
    session.note = "no board at /tmp/x yet: created the demo board there"  # a first run's
    open_as("ana").board.assign(3, "newbie")
    app = make_app(session, live=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert {n.title for n in app._notifications} == {"Demo board", "1 unread"}
        await pilot.press("n")  # a newcomer's first form: where the board is, still said
        await pilot.pause()
        assert [n.title for n in app._notifications] == ["Demo board"]
        await pilot.press("escape", "i")
        await pilot.pause()
        assert not app._notifications and not shown_toasts(app.screen)

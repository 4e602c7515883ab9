"""Toasts are rewritten in slots the rack keeps mounted: a new toast is new text in a
widget already on the screen, not a widget mounted for it; they stack, time out and
are dismissed with a click as Textual's own did."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets._toast import Toast

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.toasts import CAP

from .helpers import shown_toasts, until

HOSTILE = "[b]bold?[/b] [@click=app.quit]quit[/]"


def board(open_as: Callable[..., Workspace]) -> ProdboardApp:
    chloe = open_as("chloe")
    chloe.board.mark_read(chloe.queries.last_event_id())  # no launch summary
    return make_app(open_as("chloe"), live=False)


def texts(app: ProdboardApp) -> list[str]:
    return [t.render().plain for t in shown_toasts(app.screen)]


def showing(app: ProdboardApp, want: list[str]) -> Callable[[], bool]:
    """A check that the toasts on screen read ``want``."""
    return lambda: texts(app) == want


async def test_a_second_toast_rewrites_a_slot_already_mounted(
    open_as: Callable[..., Workspace],
) -> None:
    app = board(open_as)
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await pilot.pause()
        mounted = set(app.screen.query(Toast))
        assert len(mounted) >= CAP and not shown_toasts(app.screen)
        app.notify("first alert", title="@ben", timeout=30, markup=False)
        await until(pilot, lambda: len(shown_toasts(app.screen)) == 1)
        first = shown_toasts(app.screen)[0]
        assert first in mounted
        app.clear_notifications()
        await until(pilot, lambda: not shown_toasts(app.screen))
        app.notify(HOSTILE, title="@ben", severity="warning", timeout=30, markup=False)
        await until(pilot, lambda: len(shown_toasts(app.screen)) == 1)
        again = shown_toasts(app.screen)[0]
        assert again is first  # the same widget, its text rewritten
        assert texts(app) == [f"@ben\n{HOSTILE}"]  # stored text is never markup
        assert again.has_class("-warning") and not again.has_class("-information")
        assert set(app.screen.query(Toast)) == mounted  # nothing mounted


async def test_toasts_stack_newest_at_the_bottom_and_close_up(
    open_as: Callable[..., Workspace],
) -> None:
    app = board(open_as)
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await pilot.pause()
        mounted = len(app.screen.query(Toast))
        for name in ("one", "two", "three"):
            app.notify(name, timeout=30, markup=False)
        await until(pilot, lambda: texts(app) == ["one", "two", "three"])
        await pilot.pause()
        ys = [t.region.y for t in shown_toasts(app.screen)]
        assert ys == sorted(ys) and len(set(ys)) == 3  # top to bottom, apart
        await pilot.click(shown_toasts(app.screen)[1])  # a click dismisses it
        await until(pilot, lambda: texts(app) == ["one", "three"])
        assert [n.message for n in app._notifications] == ["one", "three"]
        assert len(app.screen.query(Toast)) == mounted


async def test_a_toast_times_out_and_its_slot_serves_the_next(
    open_as: Callable[..., Workspace],
) -> None:
    app = board(open_as)
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await pilot.pause()
        mounted = len(app.screen.query(Toast))
        app.notify("short", timeout=1.5, markup=False)
        app.notify("long", timeout=30, markup=False)
        await until(pilot, lambda: texts(app) == ["short", "long"])
        await until(pilot, lambda: texts(app) == ["long"])  # "short" timed out
        assert [n.message for n in app._notifications] == ["long"]
        for i in range(2 * CAP):  # one after another, each timing out
            app.notify(f"next {i}", timeout=1.0, markup=False)
            await until(pilot, showing(app, ["long", f"next {i}"]))
            await until(pilot, lambda: texts(app) == ["long"])
        assert len(app.screen.query(Toast)) == mounted

"""Alerts in the background: the bell and the desktop notification escapes are
written to the terminal while it reports the board unfocused, never while focused,
only for the kinds chosen, and carry cleaned text only."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.drivers.headless_driver import HeadlessDriver

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp, make_app

from .helpers import until

OSC = ("\x1b]777;notify;", "\x1b]9;")


class Terminal(HeadlessDriver):
    """Textual's headless driver, but one that says it is a terminal and keeps every
    byte the app writes to it (a real terminal gets the same bytes)."""

    out: list[str] = []

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        Terminal.out.append(data)


def written() -> str:
    return "".join(Terminal.out)


def rang() -> bool:
    """A bell of its own, outside the OSC strings (Textual's own, the pointer shape's
    OSC 22, end in BEL too)."""
    return "\a" in re.sub(r"\x1b\][^\x07\x1b]*\x07", "", written())


def board_for(session: Workspace) -> ProdboardApp:
    Terminal.out = []
    app = make_app(session, live=True)
    app.driver_class = Terminal
    return app


async def test_a_mention_in_the_background_rings_and_notifies_cleaned(
    open_as: Callable[..., Workspace],
) -> None:
    app = board_for(open_as("ana"))
    ben = open_as("ben").board
    async with app.run_test(headless=False, size=(100, 30)) as pilot:
        await until(pilot, lambda: app.feed is not None and app.feed_cursor > 0)
        ben.comment(1, "@ana focused: no bell")
        await until(pilot, lambda: app.background.seen >= app.session.queries.last_event_id())
        assert not any(o in written() for o in OSC) and not rang()

        app.post_message(events.AppBlur())  # what Textual posts on the terminal's ESC [ O
        await until(pilot, lambda: not app.app_focus)
        hostile = "@ana look\x1b]52;c;ZXZpbA==\x07 here; now\x9b31m\x07 red\x1b[2J"
        ben.comment(1, hostile)
        await until(pilot, lambda: "\x1b]9;" in written())
        out = written()
        assert rang() and "\a\x1b]777;notify;prodboard: @ben;" in out
        start = out.index("\x1b]777;notify;")
        seq777 = out[start: out.index("\a", start) + 1]
        seq9 = out[out.index("\x1b]9;"):]
        seq9 = seq9[: seq9.index("\a") + 1]
        for seq in (seq777, seq9):
            inner = seq[2:-1]  # between ESC ] and BEL
            assert "\x1b" not in inner and "\a" not in inner and "\x9b" not in inner
            assert "52;" not in inner and "ZXZpbA" not in inner  # the OSC 52 went whole
            assert "look" in inner and "here, now" in inner
        assert seq777.count(";") == 3  # 777 ; notify ; title ; body: the body made none

        Terminal.out.clear()
        ben.edit(1, {"audience": "everyone"})  # not a chosen kind: a toast, no bell
        await until(pilot, lambda: app.background.seen >= app.session.queries.last_event_id())
        assert not rang() and "\x1b]9;" not in written()

        app.post_message(events.AppFocus())
        await until(pilot, lambda: app.app_focus)
        ben.comment(1, "@ana back: quiet again")
        await until(pilot, lambda: app.background.seen >= app.session.queries.last_event_id())
        assert not rang() and "\x1b]9;" not in written()


async def test_kinds_and_bell_come_from_the_personal_file(
    open_as: Callable[..., Workspace], tmp_path: Path,
) -> None:
    mine = tmp_path / "config" / "prodboard" / "prodboard.toml"  # the user config dir
    mine.parent.mkdir(parents=True)
    mine.write_text('[notify]\nbell = false\ndesktop = ["team"]\n')
    app = board_for(open_as("ana"))
    assert app.ui.notify.desktop == ("team",) and not app.ui.notify.bell
    ben = open_as("ben").board
    async with app.run_test(headless=False, size=(100, 30)) as pilot:
        await until(pilot, lambda: app.feed is not None)
        app.post_message(events.AppBlur())
        await until(pilot, lambda: not app.app_focus)
        ben.comment(1, "@ana a mention, not chosen now")
        await until(pilot, lambda: app.background.seen >= app.session.queries.last_event_id())
        assert "\x1b]9;" not in written()
        open_as("ben").board.set_away("ben", True, "dentist")  # admins hear it
        await until(pilot, lambda: "\x1b]9;" in written())
        assert not rang()


async def test_a_mention_of_my_role_follows_my_roles_as_they_change(
    open_as: Callable[..., Workspace],
) -> None:
    app = board_for(open_as("ana"))  # ana is a strategist and a pm
    ben = open_as("ben").board
    async with app.run_test(headless=False, size=(100, 30)) as pilot:
        await until(pilot, lambda: app.feed is not None and app.feed_cursor > 0)
        app.post_message(events.AppBlur())
        await until(pilot, lambda: not app.app_focus)
        ben.comment(1, "@strategist which angle?")  # my role: a mention of me
        await until(pilot, lambda: "\x1b]9;" in written())
        assert rang()

        Terminal.out.clear()
        open_as("ana").board.set_person("ana", roles=["pm"])  # from another process
        await until(pilot, lambda: app.feed_cursor >= app.session.queries.last_event_id())
        Terminal.out.clear()
        ben.comment(1, "@strategist still there?")  # no longer my role: my piece's comment
        await until(pilot, lambda: app.background.seen >= app.session.queries.last_event_id())
        assert "\x1b]9;" not in written() and not rang()

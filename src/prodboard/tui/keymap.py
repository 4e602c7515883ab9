"""Every screen with remappable keys, and the check of a person's ``[keys]`` against
them. The app imports this; no screen does (the help screen is handed the registry).
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.keys import key_to_character
from textual.widgets import DataTable, Input, OptionList, Select, Tabs, TextArea

from prodboard.config.ui import UISettings, check_keymap
from prodboard.tui.bindings import bindings_by_id, normalize, unnamed
from prodboard.tui.screens.board import BoardScreen
from prodboard.tui.screens.calendar import CalendarScreen
from prodboard.tui.screens.forms import FilterForm, FormScreen
from prodboard.tui.screens.help import HelpScreen, ScreenKeys
from prodboard.tui.screens.inbox import InboxScreen
from prodboard.tui.screens.metrics import MetricsScreen
from prodboard.tui.screens.piece import PieceScreen

__all__ = ["ScreenKeys", "check", "registry"]


def registry() -> tuple[ScreenKeys, ...]:
    """The screens with remappable keys, in the order help lists them."""
    return (
        ScreenKeys("board", BoardScreen),
        ScreenKeys("piece screen", PieceScreen, (DataTable, Tabs)),
        ScreenKeys("inbox", InboxScreen, (DataTable,)),
        ScreenKeys("calendar", CalendarScreen),
        ScreenKeys("metrics", MetricsScreen),
        ScreenKeys("forms", FormScreen, (Input, TextArea, Select, OptionList), typing=True),
        ScreenKeys("filter", FilterForm, (Input,), typing=True),
        ScreenKeys("help", HelpScreen, (DataTable,)),
    )


def check(ui: UISettings, app_class: type[App[Any]]) -> None:
    """Refuse, in one line, a keymap the screens cannot honour (see check_keymap)."""
    screens = registry()
    everywhere = {**unnamed(app_class), app_class.COMMAND_PALETTE_BINDING: "the command palette"}
    taken = {s.title: {**everywhere, **unnamed(s.screen)} for s in screens}
    for s in screens:
        own = {b.key for bs in bindings_by_id(s.screen).values() for b in bs}
        for widget in s.widgets:
            for key, what in unnamed(widget).items():
                if key not in own:  # a default the screen already shares with a widget works
                    taken[s.title].setdefault(key, what)
    typing = {s.title for s in screens if s.typing}

    def reserved(screen: str, key: str) -> str | None:
        if key in taken[screen]:
            return taken[screen][key]
        char = key_to_character(key)
        if screen in typing and char is not None and char.isprintable():
            return "typing into the text fields (use a ctrl+ or function key)"
        return None

    check_keymap(ui, {s.title: {i: ",".join(b.key for b in bs)
                                for i, bs in bindings_by_id(s.screen).items()} for s in screens},
                 reserved, normalize)

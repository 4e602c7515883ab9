"""Every key of every screen, by binding id.

The registry a person's ``[keys]`` table is checked against, and the keys as
currently mapped, for the help screen, the command palette and hints. Textual
applies the keymap itself (App.set_keymap, on every screen's binding chain);
this module only reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import _normalize_key_list, key_to_character
from textual.widget import Widget

from prodboard.config.ui import UISettings, check_keymap


@dataclass(frozen=True)
class ScreenKeys:
    """One screen's bindings, and the widgets on it that take keys first."""

    title: str
    screen: type[DOMNode]
    widgets: tuple[type[Widget], ...] = ()
    typing: bool = False  # has text fields: printable keys are typed, not run


def registry() -> tuple[ScreenKeys, ...]:
    """The screens with remappable keys, in the order help lists them."""
    from textual.widgets import DataTable, Input, OptionList, Select, Tabs, TextArea

    from prodboard.tui.app import BoardScreen
    from prodboard.tui.screens.forms import FilterForm, FormScreen
    from prodboard.tui.screens.help import HelpScreen
    from prodboard.tui.screens.inbox import InboxScreen
    from prodboard.tui.screens.metrics import MetricsScreen
    from prodboard.tui.screens.piece import PieceScreen

    return (
        ScreenKeys("board", BoardScreen),
        ScreenKeys("piece screen", PieceScreen, (DataTable, Tabs)),
        ScreenKeys("inbox", InboxScreen, (DataTable,)),
        ScreenKeys("forms", FormScreen, (Input, TextArea, Select, OptionList), typing=True),
        ScreenKeys("filter", FilterForm, (Input,), typing=True),
        ScreenKeys("help", HelpScreen, (DataTable,)),
        ScreenKeys("metrics", MetricsScreen),
    )


def bindings_by_id(node: type[DOMNode]) -> dict[str, list[Binding]]:
    """A class's bindings that have an id (remappable), each id with its keys in order."""
    out: dict[str, list[Binding]] = {}
    for bindings in node._merged_bindings.key_to_bindings.values():  # type: ignore[union-attr]
        for binding in bindings:
            if binding.id:
                out.setdefault(binding.id, []).append(binding)
    return out


def _unnamed(node: type[DOMNode]) -> dict[str, str]:
    """Keys bound without an id (nobody can remap them) -> what they do."""
    owner = node.__name__
    return {
        key: f"{owner}: {b.description or b.action}"
        for key, bindings in node._merged_bindings.key_to_bindings.items()  # type: ignore[union-attr]
        for b in bindings if not b.id
    }


def normalize(keys: str) -> str:
    """Textual's spelling of a key list ("?" -> question_mark), as the keymap uses."""
    return _normalize_key_list(keys)


def check(ui: UISettings, app_class: type[App[Any]]) -> None:
    """Refuse, in one line, a keymap the screens cannot honour (see check_keymap)."""
    screens = registry()
    everywhere = {**_unnamed(app_class), app_class.COMMAND_PALETTE_BINDING: "the command palette"}
    taken = {s.title: {**everywhere, **_unnamed(s.screen)} for s in screens}
    for s in screens:
        own = {b.key for bs in bindings_by_id(s.screen).values() for b in bs}
        for widget in s.widgets:
            for key, what in _unnamed(widget).items():
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


def shown(app: App[Any], binding: Binding) -> str:
    """The keys that run ``binding`` now (remapped or default), as the footer shows them."""
    keymap: Mapping[str, str] = app._keymap
    if binding.id and binding.id in keymap:
        keys = [binding.with_key(k, key_display=None) for k in keymap[binding.id].split(",")]
    else:
        keys = [binding.with_key(k.strip()) for k in binding.key.split(",")]
    return " / ".join(dict.fromkeys(app.get_key_display(k) for k in keys))


def shown_id(app: App[Any], node: type[DOMNode], ident: str) -> str:
    """The keys now bound to ``ident`` on the screen class ``node``."""
    bindings = bindings_by_id(node).get(ident, [])
    if not bindings:
        return ""
    if ident in app._keymap:
        return shown(app, bindings[0])
    return " / ".join(dict.fromkeys(shown(app, b) for b in bindings))


def hint(app: App[Any], ident: str, default: str) -> str:
    """The first key bound to ``ident`` as the person wrote it (or ``default``), for
    hints in text such as "(g: go to it)"."""
    keys = getattr(app, "ui", None)
    written = keys.keys.get(ident) if keys is not None else None
    return written.split(",")[0] if written else default

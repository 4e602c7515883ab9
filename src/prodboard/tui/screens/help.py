"""The help screen: every key of every screen, as currently mapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Label

from prodboard.tui.bindings import bindings_by_id, shown_id


@dataclass(frozen=True)
class ScreenKeys:
    """One screen's bindings, and the widgets on it that take keys first."""

    title: str
    screen: type[DOMNode]
    widgets: tuple[type[Widget], ...] = ()
    typing: bool = False  # has text fields: printable keys are typed, not run


class HelpScreen(ModalScreen[None]):
    """A table of keys and what they do, for the screens it is given (tui/keymap.py)."""

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help-close"),
    ]

    def __init__(self, sections: Sequence[ScreenKeys]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        close = shown_id(self.app, HelpScreen, "help-close")
        with Vertical(classes="form help"):
            yield Label(Content.from_markup(
                "Keys as mapped now  ($close closes; remap by binding id in \\[keys])",
                close=close), classes="form-title")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="help-table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Binding id")
        # Every screen's keys with the person's remapping applied, by binding id.
        for section in self.sections:
            table.add_row(Text(section.title.capitalize(), "bold underline"), Text(""), Text(""))
            for ident, bindings in bindings_by_id(section.screen).items():
                table.add_row(Text(shown_id(self.app, section.screen, ident)),
                              Text(bindings[0].description), Text(ident))
        table.add_row(Text("Everywhere", "bold underline"), Text(""), Text(""))
        table.add_row(Text(self.app.get_key_display(Binding(self.app.COMMAND_PALETTE_BINDING, ""))),
                      Text("Command palette (every action)"), Text(""))
        table.add_row(Text("^q"), Text("Quit"), Text(""))
        table.add_row(Text("mouse"), Text("Click selects, click again or double-click opens"),
                      Text(""))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

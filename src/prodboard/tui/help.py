"""The help screen: every key of the board, as currently mapped."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label


class HelpScreen(ModalScreen[None]):
    """A table of keys and what they do."""

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help-close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="form help"):
            yield Label(Content("Keys  (escape closes; remap in the [keys] table of prodboard.toml)"),
                        classes="form-title")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="help-table")

    def on_mount(self) -> None:
        app: Any = self.app
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Binding id")
        # The board's keys with any remapping applied, then the app's own.
        board = app.screen_stack[0]
        bindings = [*board._bindings, *app._bindings]
        seen: set[str] = set()
        for _key, binding in bindings:
            ident = binding.id or f"action:{binding.action}"
            if ident in seen:
                continue
            seen.add(ident)
            same = [b for _k, b in bindings if (b.id or f"action:{b.action}") == ident]
            keys = [app.get_key_display(b) for b in same]
            table.add_row(Text(" / ".join(dict.fromkeys(keys))), Text(binding.description),
                          Text(binding.id or ""))
        table.add_row(Text("ctrl+p"), Text("Command palette (every action)"), Text(""))
        table.add_row(Text("mouse"), Text("Click selects, click again or double-click opens"),
                      Text(""))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

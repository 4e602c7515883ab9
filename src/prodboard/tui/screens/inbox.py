"""The inbox: a person's unread alerts, newest last; enter jumps to the piece."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from prodboard.services.alerts import Inbox
from prodboard.tui.bindings import hint
from prodboard.tui.messages import FocusPiece

STYLE = {"error": "bold red", "warning": "yellow", "information": ""}


class InboxScreen(ModalScreen[None]):
    """Unread alerts; opening the inbox marks them read."""

    # The table takes what is left and scrolls, so the newest rows and the hint stay
    # on screen at 80x24.
    DEFAULT_CSS = """
    InboxScreen #inbox-table { height: 1fr; }
    InboxScreen #inbox-hint { height: 1; }
    """

    BINDINGS = [
        Binding("escape,i,q", "close", "Close", id="inbox-close"),
        Binding("enter", "open", "Go to piece", id="inbox-open"),
    ]

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    def compose(self) -> ComposeResult:
        with Vertical(classes="form help"):
            count = self.inbox.unread
            summary = self.inbox.summary.split(": ", 1)[1] if ": " in self.inbox.summary else ""
            yield Label(Content(f"Inbox — {count} unread" + (f": {summary}" if summary else "")),
                        classes="form-title")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="inbox-table")
            go, close = hint(self.app, "inbox-open", "enter"), hint(self.app, "inbox-close", "escape")
            yield Label(Content(f"{go}: go to the piece · {close}: close"), classes="dim", id="inbox-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("When", "#", "Who", "What")
        if not self.inbox.alerts:
            table.add_row(Text(""), Text(""), Text(""), Text("Nothing new. You are up to date."))
        for alert in self.inbox.alerts:
            when = alert.at[5:16].replace("T", " ")  # MM-DD HH:MM, UTC as stored
            table.add_row(Text(when), Text(str(alert.piece_id or "")), Text(alert.actor),
                          Text(alert.text, STYLE.get(alert.severity, "")))
        table.move_cursor(row=max(0, table.row_count - 1))
        table.focus()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        alerts = self.inbox.alerts
        if not alerts or table.cursor_row >= len(alerts):
            return
        piece_id = alerts[table.cursor_row].piece_id
        self.dismiss()
        if piece_id is not None:  # to the app itself: this screen is closing
            self.app.post_message(FocusPiece(piece_id))

    def action_close(self) -> None:
        self.dismiss()

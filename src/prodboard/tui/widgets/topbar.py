"""The header: board name, who I am, the unread-alert count, and notices."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static


class TopBar(Horizontal):
    """One line at the top of the board. Names come from people: shown as plain text."""

    DEFAULT_CSS = """
    TopBar { height: 1; background: $panel; }
    TopBar > #tb-name { width: auto; padding: 0 1; text-style: bold; color: $text-accent; }
    TopBar > #tb-filter { width: 1fr; color: $text-warning; }
    TopBar > #tb-notice { width: auto; padding: 0 1; color: $text-error; text-style: bold; }
    TopBar.-lost > #tb-notice { background: $error; color: $text; }
    TopBar.-reconnecting > #tb-notice { background: $warning; color: $text; }
    TopBar > #tb-unread { width: auto; padding: 0 1; }
    TopBar > #tb-unread.-some { background: $warning 50%; text-style: bold; }
    TopBar > #tb-user { width: auto; padding: 0 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="tb-name")
        yield Static(id="tb-filter")
        yield Static(id="tb-notice")
        yield Static(id="tb-unread")
        yield Static(id="tb-user")

    LOST = "FILE LOST: nothing saves · ctrl+r reopens"
    BOARD_LOST = "BOARD LOST: nothing saves · ctrl+r reopens"
    RECONNECTING = "reconnecting… nothing saves until the server is back"

    _readonly = False
    _lost = False
    _reconnecting = False
    _server = False  # a board on a server (PostgreSQL), not a file

    def set_info(self, board: str, user: str, readonly: bool, *, server: bool = False) -> None:
        self.query_one("#tb-name", Static).update(Content(board))
        self.query_one("#tb-user", Static).update(Content(f"@{user}"))
        self._readonly, self._server = readonly, server
        self._lost = self._reconnecting = False
        self._show_notice()
        self.set_unread(0)

    def set_lost(self, lost: bool) -> None:
        """The board was deleted or replaced: a notice that stays until reopened."""
        self._lost = lost
        self._show_notice()

    def set_reconnecting(self, reconnecting: bool) -> None:
        """The server cannot be reached: a notice that stays until it is back."""
        self._reconnecting = reconnecting
        self._show_notice()

    def _show_notice(self) -> None:
        lost = self.BOARD_LOST if self._server else self.LOST
        notice = (lost if self._lost else self.RECONNECTING if self._reconnecting
                  else "READ-ONLY" if self._readonly else "")
        self.query_one("#tb-notice", Static).update(Content(notice))
        self.set_class(self._lost, "-lost")
        self.set_class(self._reconnecting and not self._lost, "-reconnecting")

    def set_filter(self, description: str) -> None:
        text = f"filter: {description}  (esc clears)" if description else ""
        if text != getattr(self, "_filter", None):
            self._filter = text
            self.query_one("#tb-filter", Static).update(Content(text))

    def set_unread(self, count: int) -> None:
        label = self.query_one("#tb-unread", Static)
        label.update(Content(f"✉ {count} unread" if count else "✉ 0"))
        label.set_class(count > 0, "-some")

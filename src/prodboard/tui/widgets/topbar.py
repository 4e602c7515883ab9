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

    def set_info(self, board: str, user: str, readonly: bool) -> None:
        self.query_one("#tb-name", Static).update(Content(board))
        self.query_one("#tb-user", Static).update(Content(f"@{user}"))
        self._readonly = readonly
        self.set_lost(False)
        self.set_unread(0)

    def set_lost(self, lost: bool) -> None:
        """The board file was deleted or replaced: a notice that stays until reopened."""
        readonly = getattr(self, "_readonly", False)
        notice = self.LOST if lost else "READ-ONLY" if readonly else ""
        self.query_one("#tb-notice", Static).update(Content(notice))
        self.set_class(lost, "-lost")

    def set_filter(self, description: str) -> None:
        text = f"filter: {description}  (esc clears)" if description else ""
        if text != getattr(self, "_filter", None):
            self._filter = text
            self.query_one("#tb-filter", Static).update(Content(text))

    def set_unread(self, count: int) -> None:
        label = self.query_one("#tb-unread", Static)
        label.update(Content(f"✉ {count} unread" if count else "✉ 0"))
        label.set_class(count > 0, "-some")

"""The board screen: the top bar, the stage columns and the footer, and the board's keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll
from textual.screen import Screen
from textual.widgets import Footer

from prodboard.domain.workflow import Workflow
from prodboard.tui.messages import ShowFocus
from prodboard.tui.widgets.column import StageColumn
from prodboard.tui.widgets.topbar import TopBar

BOARD_BINDINGS = [
    Binding("left,h", "app.focus_column(-1)", "Stage ←", id="focus-left", show=False),
    Binding("right,l", "app.focus_column(1)", "Stage →", id="focus-right", show=False),
    Binding("up,k", "app.focus_card(-1)", "Card ↑", id="focus-up", show=False),
    Binding("down,j", "app.focus_card(1)", "Card ↓", id="focus-down", show=False),
    Binding("pageup", "app.focus_card(-5)", "Page up", id="page-up", show=False),
    Binding("pagedown", "app.focus_card(5)", "Page down", id="page-down", show=False),
    Binding("home", "app.focus_edge(0)", "First card", id="first-card", show=False),
    Binding("end", "app.focus_edge(-1)", "Last card", id="last-card", show=False),
    Binding("shift+left,H", "app.move_piece(-1)", "Move to previous stage", id="move-left",
            show=False),
    Binding("shift+right,L", "app.move_piece(1)", "Move to next stage", id="move-right",
            show=False),
    Binding("shift+up,K", "app.reorder(-1)", "Move up in stage", id="reorder-up", show=False),
    Binding("shift+down,J", "app.reorder(1)", "Move down in stage", id="reorder-down",
            show=False),
    Binding("enter", "app.open_piece", "Open", id="open"),
    Binding("n", "app.new_piece", "New", id="new"),
    Binding("e", "app.edit_piece", "Edit", id="edit", show=False),
    Binding("c", "app.comment", "Comment", id="comment"),
    Binding("a", "app.assign", "Assign", id="assign", show=False),
    Binding("A", "app.assign_me", "Assign to me", id="assign-me", show=False),
    Binding("y", "app.approve", "Approve", id="approve", show=False),
    Binding("x", "app.request_changes", "Request changes", id="request-changes", show=False),
    Binding("o", "app.override_move", "Override gate", id="override", show=False),
    Binding("w", "app.watch", "Watch/unwatch", id="watch", show=False),
    Binding("slash", "app.filter", "Filter", id="filter"),
    Binding("escape", "app.clear_filter", "Clear filter", id="clear-filter", show=False),
    Binding("u", "app.my_work", "My work", id="my-work"),
    Binding("i", "app.inbox", "Inbox", id="inbox"),
    Binding("d", "app.calendar", "Calendar (dates)", id="calendar", show=False),
    Binding("r", "app.metrics", "Metrics", id="metrics", show=False),
    Binding("g", "app.jump", "Go to last alert", id="jump", show=False),
    Binding("comma", "app.settings", "Settings", id="settings", show=False),
    Binding("question_mark", "app.help", "Help", id="help"),
    Binding("q", "app.quit", "Quit", id="quit"),
]


COMPACT_BELOW = 100  # columns: a narrower footer packs its keys so none is cut off


class BoardScreen(Screen[None]):
    """The board itself: the top bar, the stage columns and the footer.

    Its keys live here, not on the app, so that screens pushed over it (a piece,
    a form) do not inherit them.
    """

    BINDINGS: ClassVar[list[BindingType]] = [*BOARD_BINDINGS]

    def __init__(self, workflow: Workflow, ready: Callable[[], None]) -> None:
        super().__init__()
        self.workflow = workflow
        # Called, not posted: the board loads while its screen mounts, before the first
        # frame and before any key can reach an empty board.
        self.ready = ready

    def compose(self) -> ComposeResult:
        yield TopBar()
        with BoardScroll(id="board"):
            for stage in self.workflow.stages:
                yield StageColumn(stage, self.workflow)
        yield Footer(compact=self.app.size.width < COMPACT_BELOW)

    def on_mount(self) -> None:
        self.ready()

    def _show_focus_later(self) -> None:
        self.call_after_refresh(self.post_message, ShowFocus())

    def on_resize(self) -> None:
        # A wider screen scrolls the board back to the left; once the new widths are
        # laid out, bring the focused stage and card back into view.
        self.query_one(Footer).compact = self.size.width < COMPACT_BELOW
        self._show_focus_later()

    def on_screen_resume(self) -> None:
        # The terminal may have been resized while a piece or a form covered the board.
        self._show_focus_later()


class BoardScroll(HorizontalScroll, can_focus=False):
    """The columns side by side; scrolls to the focused stage, never takes the keys."""

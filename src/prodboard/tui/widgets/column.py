"""One stage of the board: a header and a virtual card list.

``CardList`` uses Textual's line API: it renders only the lines on screen, so a
column of 9,000 published pieces costs the same as a column of ten. Each card line
it draws is kept (bounded, least recently used first out), keyed by what it shows, so
a repaint after someone else's change redraws only the cards that changed (every new
Strip brings its own caches).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Set
from datetime import UTC, date, datetime

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from prodboard.domain.values import PieceView
from prodboard.domain.workflow import Stage, Workflow
from prodboard.tui.widgets.cards import CARD_HEIGHT, card_lines, card_state

STRIPS_KEPT = 1024  # card lines kept per column: a few screens of cards at any width

# A card line is what it shows: the card's piece (compared by value), which line of
# the card, the width, whether it is selected, its state, and the day "due" counts from.
LineKey = tuple[int, int, int, bool, str, date]


class CardList(ScrollView, can_focus=False):
    """The cards of one stage, drawn line by line."""

    COMPONENT_CLASSES = {
        "card--title", "card--meta", "card--bar", "card--selected", "card--bar-overdue",
        "card--bar-due-soon", "card--bar-at-risk", "card--gate", "card--warn",
        "card--due-overdue", "card--due-due-soon",
    }

    DEFAULT_CSS = """
    CardList { height: 1fr; scrollbar-size-vertical: 1; }
    CardList > .card--title { text-style: bold; }
    CardList > .card--meta { color: $text-muted; }
    CardList > .card--bar { color: $primary-muted; }
    CardList > .card--selected { background: $accent 30%; }
    CardList > .card--bar-overdue { color: $error; }
    CardList > .card--due-overdue { color: $error; text-style: bold; }
    CardList > .card--bar-due-soon { color: $warning; }
    CardList > .card--due-due-soon { color: $warning; }
    CardList > .card--bar-at-risk { color: $secondary; text-style: bold; }
    CardList > .card--gate { color: $warning-darken-1; }
    CardList > .card--warn { color: $error; }
    """

    class Clicked(Message):
        """A card was clicked (``chain`` 2 for a double click)."""

        def __init__(self, stage: str, index: int, chain: int) -> None:
            super().__init__()
            self.stage, self.index, self.chain = stage, index, chain

    class NearEnd(Message):
        """The cards on screen are within a few screens of the last one this list
        has: the app reads the next page of a paged stage."""

        def __init__(self, stage: str) -> None:
            super().__init__()
            self.stage = stage

    def __init__(self, stage: Stage, workflow: Workflow, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.stage = stage
        self.workflow = workflow
        self.pieces: list[PieceView] = []
        self.selected: int | None = None  # shown only when the column has the focus
        self.now = datetime.now(UTC)
        self.away: set[str] = set()
        self._was: list[PieceView] = []  # what the cards were last set to, and who was away
        self._was_away: frozenset[str] = frozenset()
        # (piece id, ...) -> the piece it was drawn from, and the line
        self._cache: OrderedDict[LineKey, tuple[PieceView, Strip]] = OrderedDict()
        self._base: Style | None = None
        self._parts: dict[str, Style] | None = None
        # Which list, of how many cards, it last posted NearEnd for: once per length
        # (a new list, after a filter, may ask again).
        self._asked: tuple[int, int] | None = None

    def set_pieces(
        self, pieces: list[PieceView], selected: int | None, now: datetime, away: set[str]
    ) -> None:
        """Show ``pieces``; only the cards on screen that look different are redrawn (a
        board repaints every column per change, and most columns did not change)."""
        was, was_now, was_away, chosen = self._was, self.now, self._was_away, self.selected
        self.pieces, self.selected, self.now, self.away = pieces, selected, now, away
        # copies: the board updates its lists in place, and what was drawn must stay
        self._was, self._was_away = list(pieces), frozenset(away)
        self.virtual_size = Size(self.size.width, len(pieces) * CARD_HEIGHT)
        if len(was) != len(pieces):
            self.refresh()
        else:
            for i in self._on_screen():
                if (i in (chosen, selected) and chosen != selected) or (
                        self._look(was[i], was_now, was_away) != self._look(pieces[i], now, away)):
                    self.refresh_lines(i * CARD_HEIGHT, CARD_HEIGHT)
        self._check_end()

    def _on_screen(self) -> range:
        first = int(self.scroll_y) // CARD_HEIGHT
        return range(first, min(len(self.pieces), first + self.size.height // CARD_HEIGHT + 2))

    def _look(self, piece: PieceView, now: datetime, away: Set[str]) -> tuple[PieceView, str, date]:
        """What a card shows: its piece, its state and the day "due" counts from."""
        return piece, card_state(piece, self.workflow, now, away), now.date()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._check_end()

    def _check_end(self) -> None:
        screen_cards = max(1, self.size.height // CARD_HEIGHT)
        below = len(self.pieces) - (int(self.scroll_y) // CARD_HEIGHT + screen_cards)
        asking = (id(self.pieces), len(self.pieces))
        if below <= 3 * screen_cards and self._asked != asking:
            self._asked = asking
            self.post_message(self.NearEnd(self.stage.key))

    def select(self, index: int | None) -> None:
        if index != self.selected:
            self.selected = index
            self.refresh()
        self._scroll_to_selected()

    def _scroll_to_selected(self) -> None:
        if self.selected is not None:
            self.scroll_to_region(
                Region(0, self.selected * CARD_HEIGHT, 1, CARD_HEIGHT), animate=False,
                immediate=True,
            )

    def notify_style_update(self) -> None:
        """A theme or style change (here or above): every line is drawn again in the new
        styles."""
        super().notify_style_update()
        self._cache.clear()
        self._base = self._parts = None

    @property
    def _base_style(self) -> Style:
        """The list's own style (``rich_style`` walks every ancestor: once per style)."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.pieces) * CARD_HEIGHT)
        # A shorter column must still show the selected card (once the new size applies).
        self.call_after_refresh(self._scroll_to_selected)

    def _styles(self) -> dict[str, Style]:
        """The card parts' styles, read once per style change (each read walks the CSS)."""
        if self._parts is None:
            get = self.get_component_rich_style
            names = ("title", "meta", "bar", "bar-overdue", "bar-due-soon", "bar-at-risk",
                     "gate", "warn", "due-overdue", "due-due-soon")
            self._parts = {n: get(f"card--{n}", partial=True) for n in names}
            self._parts["selected"] = get("card--selected")
        return self._parts

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        line_no = scroll_y + y
        width = self.scrollable_content_region.width
        base = self._base_style
        index, row = divmod(line_no, CARD_HEIGHT)
        if index >= len(self.pieces) or row == CARD_HEIGHT - 1:
            return Strip.blank(width, base)
        selected = index == self.selected
        piece = self.pieces[index]
        state = card_state(piece, self.workflow, self.now, self.away)
        key = (piece.id, row, width, selected, state, self.now.date())
        kept = self._cache.get(key)
        if kept is not None and (kept[0] is piece or kept[0] == piece):
            self._cache.move_to_end(key)
            strip = kept[1]
        else:
            text: Text = card_lines(piece, self.workflow, self.now, state, self._styles(), width)[row]
            style = base + self._styles()["selected"] if selected else base
            text.stylize_before(style)
            strip = Strip(text.render(self.app.console), text.cell_len)
            strip = strip.adjust_cell_length(width, style)
            self._cache[key] = (piece, strip)
            self._cache.move_to_end(key)
            if len(self._cache) > STRIPS_KEPT:
                self._cache.popitem(last=False)
        return strip.apply_offsets(scroll_x, line_no)

    def on_click(self, event: events.Click) -> None:
        index = (event.y + self.scroll_offset.y) // CARD_HEIGHT
        if 0 <= index < len(self.pieces):
            self.post_message(self.Clicked(self.stage.key, index, event.chain))


class ColumnHeader(Static):
    """Stage name, count and WIP limit; over the limit shows as a warning."""

    DEFAULT_CSS = """
    ColumnHeader { height: 1; width: 1fr; padding: 0 1; background: $boost; text-style: bold; }
    ColumnHeader.-over { background: $error 40%; }
    ColumnHeader.-focused { background: $accent 40%; }
    """

    def show(self, stage: Stage, shown: int, total: int) -> None:
        limit = f"/{stage.wip}" if stage.wip else ""
        count = f"{shown} of {total}" if shown != total else f"{total}{limit}"
        if shown != total and stage.wip:
            count += f" (max {stage.wip})"
        over = bool(stage.wip) and total > stage.wip
        self.set_class(over, "-over")
        label = (stage.name, count, over)
        if label != getattr(self, "_label", None):  # an update re-lays out the screen
            self._label = label
            self.update(Content.assemble(stage.name, " ", (count, "dim" if not over else "bold")))


class StageColumn(Vertical):
    """One stage: its header and its cards."""

    DEFAULT_CSS = """
    StageColumn { width: 24; height: 1fr; border-right: vkey $panel; }
    """

    def __init__(self, stage: Stage, workflow: Workflow) -> None:
        super().__init__(id=f"col-{stage.key}")
        self.stage = stage
        self.workflow = workflow

    def compose(self) -> ComposeResult:
        yield ColumnHeader()
        yield CardList(self.stage, self.workflow)

    @property
    def header(self) -> ColumnHeader:
        return self.query_one(ColumnHeader)

    @property
    def cards(self) -> CardList:
        return self.query_one(CardList)

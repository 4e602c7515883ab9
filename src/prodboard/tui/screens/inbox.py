"""The inbox: a person's alerts, newest last, to work through one by one.

Each row is read or unread; ``enter`` opens its piece and marks it read, a key
toggles it, another marks everything read. A filter by inbox kind and "unread
only" narrow the list, grouping puts the alerts of one piece on one row, and the
pane under the table shows the focused row whole, wrapped. The marks are saved
through the app's writer (``SaveRequested``); the screen shows them at once. Alerts
that arrive while it is open are added as rows (``take``), the cursor kept on its item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from prodboard.domain import timefmt
from prodboard.domain.inbox_kinds import INBOX_KINDS
from prodboard.domain.text import clean, one_line
from prodboard.services.alerts import Alert, Inbox, by_piece
from prodboard.tui.bindings import hint
from prodboard.tui.host import host
from prodboard.tui.messages import FocusPiece, SaveRequested

STYLE = {"error": "bold red", "warning": "yellow", "information": ""}
KINDS = (None, *INBOX_KINDS)  # what the kind key steps through; None shows every kind
UNREAD_MARK = "●"
BOX_WIDTH = 140  # the inbox's max-width in app.tcss
WHEN_WIDTH = 16  # "Dec 01 12:30 EST" (today's leave the day out): the column's least


@dataclass(frozen=True)
class Row:
    """One row: an alert, or (grouped) the alerts about one piece."""

    piece_id: int | None
    alerts: tuple[Alert, ...]

    @property
    def event_ids(self) -> list[int]:
        return [i for a in self.alerts for i in a.event_ids]


def row_key(row: Row, grouped: bool) -> tuple[str, int | None]:
    """What stays the same as a row grows: grouped, its piece (an alert about several
    pieces is in several rows); else its first event (a growing burst keeps it)."""
    if grouped and row.piece_id is not None:
        return ("piece", row.piece_id)
    return ("alert", row.alerts[0].first_id)


def rows_of(inbox: Inbox, kind: str | None, unread_only: bool, grouped: bool) -> list[Row]:
    """The rows the table shows, oldest first."""
    alerts = [a for a in inbox.alerts if (kind is None or a.inbox_kind == kind)
              and not (unread_only and inbox.is_read(a))]
    if grouped:
        return [Row(pid, tuple(group)) for pid, group in by_piece(alerts)]
    return [Row(a.piece_ids[0] if a.piece_ids else None, (a,)) for a in alerts]


class InboxScreen(ModalScreen[None]):
    """The alerts after the read cursor, read and unread; nothing is marked read by
    opening it."""

    # The table takes what is left and scrolls; the pane and the hint stay on screen
    # at 80x24.
    DEFAULT_CSS = """
    InboxScreen #inbox-table { height: 1fr; }
    InboxScreen #inbox-detail { height: auto; max-height: 7; border-top: solid $primary; }
    InboxScreen #inbox-hint { width: 100%; height: auto; }
    """

    BINDINGS = [
        Binding("escape,i,q", "close", "Close", id="inbox-close"),
        Binding("enter", "open", "Open and mark read", id="inbox-open"),
        Binding("r", "toggle_read", "Read / unread", id="inbox-toggle-read"),
        Binding("a", "all_read", "Mark all read", id="inbox-all-read"),
        Binding("f", "next_kind", "Filter by kind", id="inbox-kind"),
        Binding("u", "unread_only", "Unread only", id="inbox-unread-only"),
        Binding("p", "group", "Group by piece", id="inbox-group"),
    ]

    def __init__(self, inbox: Inbox, on_unread: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.inbox = inbox
        self.on_unread = on_unread  # the app's header count, kept as items are read
        self.kind: str | None = None
        self.unread_only = False
        self.grouped = False
        self.rows: list[Row] = []
        self.marks = 0  # read marks asked for: a reload waits until they are saved

    def compose(self) -> ComposeResult:
        with Vertical(classes="form help", id="inbox-box"):
            yield Label(self._title(), classes="form-title", id="inbox-title")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="inbox-table")
            with VerticalScroll(id="inbox-detail", can_focus=False):
                yield Static(id="inbox-text", markup=False)
            keys = (("inbox-open", "open, mark read"), ("inbox-toggle-read", "read/unread"),
                    ("inbox-all-read", "all read"), ("inbox-kind", "kind"),
                    ("inbox-unread-only", "unread only"), ("inbox-group", "by piece"),
                    ("inbox-close", "close"))
            default = {b.id: b.key.split(",")[0] for b in self.BINDINGS if isinstance(b, Binding)}
            shown = " · ".join(f"{hint(self.app, i, default[i])}: {what}" for i, what in keys)
            yield Label(Content(shown), classes="dim", id="inbox-hint")

    def on_mount(self) -> None:
        self.refill(newest=True)
        self.query_one(DataTable).focus()

    def on_resize(self) -> None:
        self.refill()  # the text column follows the width

    # -- what is shown ------------------------------------------------------------------
    def _title(self) -> Content:
        box = self.inbox
        parts = [f"Inbox — {box.unread} unread of {len(box.alerts)}"]
        if self.kind is not None:
            parts.append(f"kind: {self.kind}")
        if self.unread_only:
            parts.append("unread only")
        if self.grouped:
            parts.append("by piece")
        return Content(" · ".join(parts))

    def refill(self, newest: bool = False) -> None:
        """Rebuild the rows (after a filter, a grouping or a mark), keeping the cursor
        on the same row where it can."""
        table = self.query_one(DataTable)
        at = table.cursor_row
        focused = self._focused()
        self.rows = rows_of(self.inbox, self.kind, self.unread_only, self.grouped)
        zone, now = host(self).zone, host(self).session.board.clock()
        # a zone without a short name is an offset ("UTC-03:00"): wider, shown whole
        whens = [timefmt.clock_time(row.alerts[-1].at, zone, now) for row in self.rows]
        when_width = max([WHEN_WIDTH, *(len(w) for w in whens)])
        table.clear(columns=True)
        table.add_column(" ", key="mark", width=1)
        table.add_column("When", key="when", width=when_width)
        table.add_column("#", key="piece", width=4)
        table.add_column("Who", key="who", width=10)
        # The text gets what the other columns, the cell padding, the border and the
        # scrollbar leave; the pane below shows it whole.
        width = max(20, min(self.app.size.width, BOX_WIDTH) - 31 - when_width)
        table.add_column("What", key="what", width=width)
        for row, when in zip(self.rows, whens, strict=True):
            table.add_row(*self._cells(row, when, width))
        if not self.rows:
            empty = ("Nothing new. You are up to date." if not self.inbox.alerts
                     else "Nothing here with this filter.")
            table.add_row(Text(""), Text(""), Text(""), Text(""), Text(empty))
        target = len(self.rows) - 1 if newest else min(at, len(self.rows) - 1)
        if focused is not None and not newest:  # the same item, wherever it is now
            keys = [row_key(row, self.grouped) for row in self.rows]
            key = row_key(focused, self.grouped)
            target = keys.index(key) if key in keys else target
        table.move_cursor(row=max(0, target))
        self.query_one("#inbox-title", Label).update(self._title())
        self._show_detail()

    def _cells(self, row: Row, when: str, width: int) -> tuple[Text, ...]:
        box = self.inbox
        last = row.alerts[-1]
        unread = sum(1 for a in row.alerts if not box.is_read(a))
        who = ", ".join(dict.fromkeys(a.actor for a in row.alerts))
        what = one_line(last.text)
        if len(row.alerts) > 1:
            what = f"{len(row.alerts)} alerts, {unread} unread: {what}"
        style = STYLE.get(last.severity, "") if unread else "dim"
        cell = Text(what, style, no_wrap=True, overflow="ellipsis")
        cell.truncate(width, overflow="ellipsis")
        return (Text(UNREAD_MARK if unread else " ", "bold"), Text(when),
                Text(str(row.piece_id or "")),
                Text(one_line(who), no_wrap=True, overflow="ellipsis"), cell)

    def _focused(self) -> Row | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _show_detail(self) -> None:
        row = self._focused()
        text = Text()
        zone, now = host(self).zone, host(self).session.board.clock()
        for alert in row.alerts if row is not None else ():
            if text:
                text.append("\n")
            read = "read" if self.inbox.is_read(alert) else "unread"
            at = timefmt.when(alert.at, zone, now)
            text.append(f"@{one_line(alert.actor)} · {alert.inbox_kind} · {read} · {at}\n", "dim")
            text.append(clean(alert.text), STYLE.get(alert.severity, ""))
            for written in alert.written:  # what the line had to shorten, whole
                if written.split(": ", 1)[-1] not in alert.text:
                    text.append("\n" + clean(written))
        self.query_one("#inbox-text", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    # -- marks ---------------------------------------------------------------------------
    def _mark(self, event_ids: Sequence[int], read: bool) -> bool:
        """Save a read mark and show it; False (the app says why) on a read-only or
        lost board, where nothing changes."""
        if not event_ids:
            return True
        if not host(self).writable():
            return False
        ids = list(event_ids)
        self.marks += 1
        # to the app itself: enter closes this screen right after
        self.app.post_message(SaveRequested(lambda board: board.mark_items(ids, read=read)))
        self._show(self.inbox.with_read(ids, read))
        return True

    def _show(self, inbox: Inbox) -> None:
        """Take the inbox with new marks; the header's count follows."""
        self.inbox = inbox
        if self.on_unread is not None:
            self.on_unread(inbox.unread)

    def take(self, fresh: Inbox, cursor: int) -> None:
        """Show the inbox read again since this screen's cursor, new alerts and all;
        ``cursor`` is the read cursor now stored (a mark-all-read saved since)."""
        below = {i for a in fresh.alerts for i in a.event_ids if i <= cursor}
        self._show(fresh.with_read(below))
        self.refill()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        """Open the row's piece and mark the row read (nothing else)."""
        row = self._focused()
        if row is None:
            return
        if not host(self).session.store.readonly:  # read-only: open it, keep no mark
            self._mark(row.event_ids, True)
        self.dismiss()
        if row.piece_id is not None:  # to the app itself: this screen is closing
            self.app.post_message(FocusPiece(row.piece_id))

    def action_toggle_read(self) -> None:
        row = self._focused()
        if row is None:
            return
        read = not all(self.inbox.is_read(a) for a in row.alerts)
        if self._mark(row.event_ids, read):
            self.refill()

    def action_all_read(self) -> None:
        box = self.inbox
        if box.last_event_id <= box.read_cursor or not host(self).writable():
            return
        last = box.last_event_id
        self.marks += 1
        self.app.post_message(SaveRequested(lambda board: board.mark_read(last)))
        self._show(box.with_read(i for a in box.alerts for i in a.event_ids))
        self.refill()

    # -- views ---------------------------------------------------------------------------
    def action_next_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self.refill(newest=True)

    def action_unread_only(self) -> None:
        self.unread_only = not self.unread_only
        self.refill(newest=True)

    def action_group(self) -> None:
        self.grouped = not self.grouped
        self.refill(newest=True)

    def action_close(self) -> None:
        self.dismiss()

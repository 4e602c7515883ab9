"""The Calendar screen: the month or the week by publish date, the unscheduled tray,
and rescheduling by key.

It reads the board's own pieces (the app's ``BoardState``) with the board's filter, so
other people's changes arrive here as they do on the board. A reschedule is an
ordinary edit through ``Commands.edit`` with the version the screen showed: one
event, the optimistic-version check, the alerts of any edit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from prodboard.domain import calendar as cal
from prodboard.domain.clock import EARLIEST, LATEST
from prodboard.domain.values import PieceView
from prodboard.errors import BadInput
from prodboard.services.commands import Commands
from prodboard.tui.bindings import hint
from prodboard.tui.host import Host, host
from prodboard.tui.messages import PieceSaved, SaveRequested, WriteFailed
from prodboard.tui.screens.piece import PieceScreen
from prodboard.tui.widgets.calendar_view import CalendarData, day_text, month_text, tray_text, week_text

MONTH, WEEK = "month", "week"
MONTH_MIN_WIDTH, MONTH_MIN_HEIGHT = 120, 36  # below this the calendar opens on the week
SIDE_WIDTH, NARROW_SIDE_WIDTH = 36, 28


class _Scroll(VerticalScroll, can_focus=False):
    """Scrolls to what the screen shows; never takes the keys (the arrows move days)."""


class CalendarScreen(Screen[None]):
    """The editorial calendar over the board."""

    DEFAULT_CSS = """
    CalendarScreen #cal-title { height: 1; padding: 0 1; background: $panel; }
    CalendarScreen #cal-body { height: 1fr; }
    CalendarScreen #cal-main { width: 1fr; height: 1fr; }
    CalendarScreen #cal-side { width: 36; height: 1fr; padding: 0 1; border-left: solid $panel; }
    CalendarScreen #cal-day { height: auto; margin-bottom: 1; }
    CalendarScreen #cal-tray-scroll { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "day(-1)", "Day ←", id="cal-left", show=False),
        Binding("right", "day(1)", "Day →", id="cal-right", show=False),
        Binding("up", "day(-7)", "Week ↑", id="cal-up", show=False),
        Binding("down", "day(7)", "Week ↓", id="cal-down", show=False),
        Binding("left_square_bracket,pageup", "page(-1)", "‹ Prev", id="cal-prev"),
        Binding("right_square_bracket,pagedown", "page(1)", "Next ›", id="cal-next"),
        Binding("t", "today", "Today", id="cal-today"),
        Binding("v", "toggle_view", "Month/week", id="cal-view"),
        Binding("j", "piece(1)", "Next piece of the day", id="cal-next-piece", show=False),
        Binding("k", "piece(-1)", "Previous piece of the day", id="cal-prev-piece", show=False),
        Binding("enter", "open", "Open", id="cal-open"),
        Binding("shift+right", "reschedule(1)", "One day later", id="cal-later", show=False),
        Binding("shift+left", "reschedule(-1)", "One day earlier", id="cal-earlier", show=False),
        Binding("shift+down", "reschedule(7)", "One week later", id="cal-week-later", show=False),
        Binding("shift+up", "reschedule(-7)", "One week earlier", id="cal-week-earlier",
                show=False),
        Binding("u", "tray", "Tray", id="cal-tray"),
        Binding("s", "place", "Place", id="cal-place"),
        Binding("slash", "app.filter", "Filter", id="cal-filter"),
        Binding("question_mark", "app.help", "Help", id="cal-help", show=False),
        Binding("escape,q", "close", "Back", id="cal-close"),
    ]

    def __init__(self, view: str | None = None, cursor: date | None = None) -> None:
        super().__init__()
        self.view = view
        self.cursor = cursor
        self.index = 0
        self.tray_index = 0
        self.in_tray = False
        self.data: CalendarData | None = None
        self._dirty = False
        self._follow: tuple[int, str] | None = None  # an entry the focus follows after a move
        self._pending: tuple[str, str, bool] | None = None  # the date change being saved
        # Pieces of the stages the board holds only in part (paged), read for a span.
        self._dated: tuple[tuple[date, date], list[PieceView]] | None = None
        self._reading: tuple[date, date] | None = None

    @property
    def _app(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        yield Static(id="cal-title")
        with Horizontal(id="cal-body"):
            with _Scroll(id="cal-main"):
                yield Static(id="cal-grid")
            with Vertical(id="cal-side"):
                yield Static(id="cal-day")
                with _Scroll(id="cal-tray-scroll"):
                    yield Static(id="cal-tray")
        yield Footer()

    def on_mount(self) -> None:
        today = self.today()
        self.cursor = self.cursor or today
        if self.view is None:
            big = self.app.size.width >= MONTH_MIN_WIDTH and self.app.size.height >= MONTH_MIN_HEIGHT
            self.view = MONTH if big else WEEK
        self.paint()

    def on_resize(self) -> None:
        self.call_after_refresh(self.paint)

    def on_screen_resume(self) -> None:
        self.paint()  # a piece opened from here may have changed

    # -- what is shown --------------------------------------------------------------
    def today(self) -> date:
        return self._app.session.board.clock().date()

    def span(self) -> tuple[date, date]:
        """The first and last day on screen."""
        assert self.cursor is not None
        if self.view == MONTH:
            weeks = cal.month_weeks(self.cursor)
            return weeks[0][0], weeks[-1][-1]
        days = cal.week_days(self.cursor)
        return days[0], days[-1]

    def pieces(self) -> list[PieceView]:
        """The board's pieces that pass its filter (archived ones have left the board),
        with those of paged stages dated in the span, read from the database (the
        board's own copy of a piece wins)."""
        model = self._app.model
        pieces = list(model.pieces.values())
        if model.paged:
            span = self.span()
            if self._dated is not None and self._dated[0] == span:
                pieces += [p for p in self._dated[1]
                           if p.id not in model.pieces and p.id not in model.left]
            elif self._reading != span:
                self._reading = span
                self._read_dated(span, list(model.paged))
        if not model.filter.active:
            return pieces
        return [p for p in pieces if model.filter.matches(p)]

    @work(thread=True, exclusive=True, group="calendar-dated", exit_on_error=False)
    def _read_dated(self, span: tuple[date, date], stages: list[str]) -> None:
        start, end = span
        hi = end + timedelta(days=cal.STAGE_LEAD_DAYS)  # a stage date leads its publication
        found = self._app.session.queries.dated_between(stages, start.isoformat(), hi.isoformat())
        self.app.call_from_thread(self._got_dated, span, found)

    def _got_dated(self, span: tuple[date, date], found: list[PieceView]) -> None:
        self._dated = (span, found)
        if span == self._reading:
            self._reading = None
        self.paint()

    def compute(self) -> CalendarData:
        assert self.cursor is not None
        wf = self._app.wf
        pieces = self.pieces()
        start, end = self.span()
        days = cal.entries_between(pieces, wf, start, end)
        today = self.today()
        data = CalendarData(today, self.cursor, days, cal.warnings_by_day(days, wf, today),
                            cal.unscheduled(pieces, wf))
        entries = days.get(self.cursor, [])
        if self._follow is not None:
            want, self._follow = self._follow, None
            for i, e in enumerate(entries):
                if (e.piece.id, e.kind) == want:
                    self.index = i
        self.index = max(0, min(self.index, len(entries) - 1))
        self.tray_index = max(0, min(self.tray_index, len(data.tray) - 1))
        data.index, data.tray_index, data.in_tray = self.index, self.tray_index, self.in_tray
        return data

    def paint(self) -> None:
        """Recompute the visible days from the board and draw them."""
        if self.cursor is None or not self.is_attached:
            return
        self._dirty = False
        wf = self._app.wf
        data = self.data = self.compute()
        main = self.query_one("#cal-main", _Scroll)
        side = self.query_one("#cal-side", Vertical)
        wanted = SIDE_WIDTH if self.app.size.width >= MONTH_MIN_WIDTH else NARROW_SIDE_WIDTH
        if side.styles.width is None or side.styles.width.value != wanted:
            side.styles.width = wanted
            self.call_after_refresh(self.paint)  # again, once the new widths are laid out
        width = max(10, main.size.width or (self.app.size.width - SIDE_WIDTH))
        height = max(6, main.size.height or (self.app.size.height - 2))
        side_width = max(10, (side.size.width or SIDE_WIDTH) - 3)
        grid = self.query_one("#cal-grid", Static)
        if self.view == MONTH:
            grid.update(month_text(data, wf, width, height))
            self.query_one("#cal-day", Static).update(day_text(data, wf, side_width))
            self.query_one("#cal-day", Static).display = True
        else:
            text, line = week_text(data, wf, width - 1)
            grid.update(text)
            self.query_one("#cal-day", Static).display = False
            main.scroll_to(y=max(0, line - 1), animate=False)
        self.query_one("#cal-tray", Static).update(
            tray_text(data, wf, side_width, hint(self.app, "cal-place", "s")))
        self.query_one("#cal-title", Static).update(self._title())

    def _title(self) -> Text:
        assert self.cursor is not None
        start, end = self.span()
        if self.view == MONTH:
            span = self.cursor.strftime("%B %Y")
        else:
            span = f"week {self.cursor.isocalendar().week}: {start:%d %b} – {end:%d %b %Y}"
        title = Text.assemble(("Calendar ", "bold"), (span, "bold"))
        title.append(f"  ·  {self.view} view")
        flt = self._app.model.filter.describe()
        if flt:
            title.append("  ·  filter: ")
            title.append(flt, "bold")  # typed by the person: plain text
        if self._app.session.store.readonly:
            title.append("  READ-ONLY", "bold yellow")
        if getattr(self._app, "lost", None):
            title.append("  FILE LOST", "bold red")
        return title

    def board_changed(self) -> None:
        """The board's pieces or filter changed: repaint once this turn settles (a burst
        of changes repaints once)."""
        if not self._dirty:
            self._dirty = True
            self.call_later(self._repaint_if_dirty)

    def _repaint_if_dirty(self) -> None:
        if self._dirty:
            self.paint()

    # -- the focus ------------------------------------------------------------------
    def focused_entry(self) -> cal.Entry | None:
        if self.data is None or self.in_tray or self.cursor is None:
            return None
        entries = self.data.days.get(self.cursor, [])
        return entries[self.index] if 0 <= self.index < len(entries) else None

    def focused_piece(self) -> PieceView | None:
        if self.in_tray:
            tray = self.data.tray if self.data else []
            return tray[self.tray_index] if 0 <= self.tray_index < len(tray) else None
        entry = self.focused_entry()
        return entry.piece if entry else None

    def move_to(self, day: date) -> None:
        if not EARLIEST <= day.year <= LATEST:
            return  # the edge of the calendar: date arithmetic would overflow past it
        self.cursor = day
        self.index = 0
        self.paint()

    def action_day(self, delta: int) -> None:
        assert self.cursor is not None
        if EARLIEST < self.cursor.year < LATEST:
            self.move_to(self.cursor + timedelta(days=delta))

    def action_page(self, delta: int) -> None:
        assert self.cursor is not None
        if not EARLIEST < self.cursor.year < LATEST:
            return
        if self.view == MONTH:
            self.move_to(cal.add_months(self.cursor, delta))
        else:
            self.move_to(self.cursor + timedelta(days=7 * delta))

    def action_today(self) -> None:
        self.move_to(self.today())

    def action_toggle_view(self) -> None:
        self.view = WEEK if self.view == MONTH else MONTH
        self.paint()

    def action_piece(self, delta: int) -> None:
        if self.in_tray:
            self.tray_index += delta
        else:
            self.index += delta
        self.paint()

    def action_tray(self) -> None:
        self.in_tray = not self.in_tray
        self.paint()

    def action_open(self) -> None:
        piece = self.focused_piece()
        if piece is None:
            pick = hint(self.app, "cal-next-piece", "j")
            self.notify(f"No piece here: pick a day with pieces ({pick} picks one).",
                        severity="warning", markup=False)
            return
        self.app.push_screen(PieceScreen(piece.id))

    def action_close(self) -> None:
        self.dismiss()

    # -- rescheduling ---------------------------------------------------------------
    def action_reschedule(self, delta: int) -> None:
        """Move the focused piece's date (publish or due, whichever is focused)."""
        if self.in_tray:
            self.notify(f"The tray's pieces have no date: {hint(self.app, 'cal-place', 's')} "
                        "places one on the selected day.", markup=False)
            return
        if not self._app.writable():
            return
        entry = self.focused_entry()
        if entry is None:
            self.notify("No piece here: pick a day with pieces first.", severity="warning",
                        markup=False)
            return
        if entry.kind == cal.STAGE:
            self.notify("A stage's date follows the publish date: move the publish date.",
                        markup=False)
            return
        name = "publish_date" if entry.kind == cal.PUBLISH else "due"
        self._save(entry.piece, name, entry.day, delta, entry.kind)

    def action_place(self) -> None:
        """Give the focused tray piece the selected day as its publish date."""
        if not self.in_tray:
            self.notify(f"Open the tray first ({hint(self.app, 'cal-tray', 'u')}), pick a piece, "
                        "then place it on the selected day.", markup=False)
            return
        if not self._app.writable():
            return
        piece = self.focused_piece()
        if piece is None:
            self.notify("Nothing to place: every piece past the brief has a date.", markup=False)
            return
        assert self.cursor is not None
        self._save(piece, "publish_date", self.cursor, 0, cal.PUBLISH, place=True)

    def _save(self, seen: PieceView, name: str, day: date, delta: int, kind: str,
              place: bool = False) -> None:
        def job(board: Commands) -> PieceView:
            # The date as it is now (an earlier key press of mine may have moved it);
            # the version I saw refuses a change someone else made to the same date.
            fresh = board.q.piece(seen.id) or seen
            current = cal.parse_day(getattr(fresh, name)) if not place else None
            target = (current or day) + timedelta(days=delta)
            if not EARLIEST <= target.year <= LATEST:
                raise BadInput(f"{target.isoformat()} is out of range (years {EARLIEST}-{LATEST})")
            return board.edit(seen.id, {name: target.isoformat()}, base_version=seen.version)

        self._pending = (name, kind, place)
        self.post_message(SaveRequested(job, reply_to=self))

    def on_piece_saved(self, message: PieceSaved) -> None:
        """My date change landed (the app has shown it on the board already)."""
        if self._pending is None or not isinstance(message.result, PieceView):
            return
        name, kind, place = self._pending
        self._pending = None
        piece = message.result
        landed = cal.parse_day(getattr(piece, name))
        if place:
            self.notify(f"#{piece.id} placed on {piece.publish_date}", markup=False)
        elif landed is not None:
            self.cursor = landed  # the focus follows the piece to its new day
            self._follow = (piece.id, kind)
        self.paint()

    def on_write_failed(self, message: WriteFailed) -> None:
        # The app said why; someone else's date arrives through the feed and repaints.
        self._pending = None

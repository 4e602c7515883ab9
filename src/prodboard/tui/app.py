"""The board: a Textual kanban of the production stages, driven from the keyboard.

Changes travel as messages (tui/messages.py). A key press runs a core command in a
write worker, on one writer thread (writes never block the screen and run in the
order the keys were pressed); the worker posts PieceSaved or WriteFailed, and the
app paints once. The feed worker posts EventsArrived with what it read for other
people's changes; events of this app's own writes are skipped, as the board already
shows them. One ``Worker.StateChanged`` handler shows any unexpected error, from any
worker, as a toast and logs it; the board stays usable.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import tzinfo
from functools import partial
from typing import Any, ClassVar

from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.message_pump import MessagePump
from textual.notifications import Notification, Notify
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from prodboard.config.ui import UISettings, check_theme
from prodboard.config.zone import display_zone
from prodboard.domain import reviews, rules
from prodboard.domain.values import EventView, PieceView
from prodboard.domain.workflow import Workflow
from prodboard.errors import Conflict, ProdboardError
from prodboard.services.alerts import Inbox, UnreadTally, load_inbox
from prodboard.services.checks import CheckScheduler, raise_steps
from prodboard.services.commands import Commands
from prodboard.services.context import Workspace, open_board, personal_config_path
from prodboard.services.feed import ChangeFeed, FeedLost
from prodboard.settings import current as current_settings
from prodboard.storage.store import BoardLost, Unreachable
from prodboard.tui.bindings import hint, shown
from prodboard.tui.board_state import MINE, BoardState, Filter
from prodboard.tui.keymap import check, registry
from prodboard.tui.messages import (
    DecisionRequested,
    EventsArrived,
    FocusPiece,
    Job,
    LaunchNoticesAway,
    PieceSaved,
    SaveRequested,
    ShowFocus,
    WriteFailed,
)
from prodboard.tui.newcomer import guest_hint
from prodboard.tui.notify import Background
from prodboard.tui.paging import BoardPaging
from prodboard.tui.reads import OpenBurst, People, open_bursts, read_batch
from prodboard.tui.screens.board import BOARD_BINDINGS, BoardScreen
from prodboard.tui.screens.calendar import CalendarScreen
from prodboard.tui.screens.forms import (
    AssignForm,
    CommentForm,
    FilterForm,
    PieceForm,
    ReasonForm,
    assign_to_me,
)
from prodboard.tui.screens.help import HelpScreen
from prodboard.tui.screens.inbox import InboxScreen
from prodboard.tui.screens.metrics import MetricsScreen
from prodboard.tui.screens.piece import PieceScreen
from prodboard.tui.screens.settings import SettingsScreen, ThemeKeeper
from prodboard.tui.textual_private import drop_all, free_styles_caches, ready_toasts, show_notifications
from prodboard.tui.toasts import CAP, Toasts
from prodboard.tui.widgets.column import CardList, StageColumn
from prodboard.tui.widgets.topbar import TopBar

log = logging.getLogger(__name__)
# Time alerts raised per writer job (each its own transaction): a key pressed while a
# first look raises many waits for at most these few.
RAISES_PER_JOB = 8


class ProdboardApp(BoardPaging):
    """The production board for one person on one board database."""

    CSS_PATH = "app.tcss"
    TITLE = "prodboard"
    # On the app with priority, not on the board screen: it works from an open form
    # (modal screens hide the app's other bindings), which then saves what was typed
    # into the reopened board.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reopen", "Reopen the board file", id="reopen", show=False,
                priority=True),
    ]

    def __init__(self, session: Workspace, *, live: bool = True) -> None:
        super().__init__()
        self.session: Workspace = session  # replaced when a lost board file is reopened
        self.wf: Workflow = session.workflow
        self.ui = session.ui
        self.zone: tzinfo = display_zone(session.config_path)  # times are shown in it
        self.model: BoardState = BoardState(session.workflow)
        self.live = live
        self.focus_col = 0
        self.focus_ids: dict[str, int | None] = {s.key: None for s in self.wf.stages}
        self.focus_rows: dict[str, int] = {s.key: 0 for s in self.wf.stages}
        self.away: set[str] = set()
        self.board_name = ""
        # The one cursor is the feed's: the board was read at it, and events after it
        # are applied once. ``applied`` holds the ids of events this app's own writes
        # made and already painted: the feed worker skips them.
        self.feed: ChangeFeed | None = None
        self.applied: set[int] = set()
        self.people = People()  # the team as the feed last read it
        self.toasts = Toasts(self, self.ui)
        self.background = Background(self, lambda: self.session, lambda: self.ui.notify,
                                     lambda: self.people)
        self.unread = 0
        self.launch_notes: dict[str, Notification] = {}  # "demo", "summary": put away
        self.tally = UnreadTally()  # the header's count between reads of the inbox
        self.checks_timer: Timer | None = None  # the safety tick (check_interval)
        self.checks = CheckScheduler()  # looks on a thread, raises on the writer thread
        self._checking = False  # a look (or its raising) is under way
        self._check_again = False  # asked for one meanwhile: look again after it
        self.checks_due: Timer | None = None  # the next threshold, or a change, sooner
        self._checks_due_at = 0.0  # when checks_due fires (the event loop's clock)
        self.lost: str | None = None  # why the board file is gone; every write is refused
        # Why the server cannot be reached (the feed says so); writes are refused
        # until it is back. ``_outage_from``: the feed's delivered count when it went.
        self.reconnecting: str | None = None
        self._outage_from = 0
        self.connection_timer: Timer | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prodboard-write")

    # -- layout ------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return BoardScreen(self.wf, ready=self.start_board)

    def on_mount(self) -> None:
        # Textual applies the keymap on every screen's bindings, by binding id.
        self.set_keymap(self.ui.keys)
        if self.ui.theme:
            self.theme = self.ui.theme
        self.theme_keeper = ThemeKeeper(self, personal_config_path, lambda: self.ui, self._set_ui)
        for warning in self.ui.warnings:
            self.notify(warning, title="Personal config", severity="warning", timeout=20,
                        markup=False)

    def _refresh_notifications(self) -> None:
        """Textual's, with the toasts rewritten in slots kept mounted (no mount per toast)."""
        show_notifications(self)

    def on_show_focus(self, _: ShowFocus) -> None:
        if self.screen_stack and self.board_screen.is_mounted:  # not while shutting down
            self._show_focus()

    def start_board(self, announce: bool = True) -> None:
        """Load and paint the board, once its screen is mounted (again on reopen)."""
        q = self.session.queries
        cursor = q.last_event_id()  # read first: later events are re-applied, harmlessly
        self.board_name = q.board_name()
        self.read_board(q)  # a big stage: its first page (tui/paging.py reads on)
        people = q.people()
        self.people = People(people)  # the team as the feed will know it (again on reopen)
        self.away = {p.handle for p in people if p.away}
        self.topbar.set_info(self.board_name, self.session.user, self.session.store.readonly,
                             server=self.session.store.kind != "sqlite")
        self._size_columns()
        self.paint()
        if self.session.store.readonly and announce:
            self.notify("This board is read-only: you can look, but changes cannot be saved.",
                        title="Read-only", severity="warning", timeout=8, markup=False)
        if self.session.note and announce:
            self._launch_note("demo", self.session.note, "Demo board")
        guest = guest_hint(self.session.user, people, self.session.store.location)
        if guest and announce:
            self.notify(guest, title="Who you are", severity="warning", timeout=30, markup=False)
        ready_toasts(self.board_screen, CAP)  # an alert rewrites a slot, never mounts one
        self.start_live(cursor, announce)
        self.call_after_refresh(self._freeze)  # with what the first paint made, too

    @staticmethod
    def _freeze() -> None:
        # Thousands of long-lived piece values: keep them out of the collector's full
        # passes, which otherwise cost ~80 ms at random moments on a 10,000-piece board.
        gc.collect()
        gc.freeze()

    def on_resize(self) -> None:
        self._size_columns()

    def _size_columns(self) -> None:
        """Columns share the width, never narrower than 22 cells: on a small terminal
        the board scrolls sideways to the focused stage instead of crushing seven."""
        width = max(22, self.size.width // len(self.wf.stages))
        for col in self.query(StageColumn):
            col.styles.width = width

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.close()
        self._writer.shutdown(wait=False, cancel_futures=False)

    @property
    def board_screen(self) -> Screen[Any]:
        return self.screen_stack[0]

    @property
    def topbar(self) -> TopBar:
        return self.board_screen.query_one(TopBar)

    def column(self, key: str) -> StageColumn:
        return self.board_screen.query_one(f"#col-{key}", StageColumn)

    # -- painting ------------------------------------------------------------------
    @property
    def focus_stage(self) -> str:
        return self.wf.stages[self.focus_col].key

    def paint(self, stages: Iterable[str] | None = None) -> None:
        """Redraw the given stages (all by default), keeping each column's focus."""
        now = self.session.board.clock()
        keys = list(stages) if stages is not None else [s.key for s in self.wf.stages]
        for key in keys:
            col = self.column(key)
            pieces = self.model.columns[key]
            index = self.model.index_of(key, self.focus_ids[key])
            if index is None and pieces:
                # The focused piece left (moved or filtered): stay at the same row.
                index = min(self.focus_rows[key], len(pieces) - 1)
            self.focus_ids[key] = pieces[index].id if index is not None else None
            if index is not None:
                self.focus_rows[key] = index
            col.header.show(col.stage, self.model.shown(key), self.model.counts[key])
            col.header.set_class(key == self.focus_stage, "-focused")
            col.cards.set_pieces(pieces, index if key == self.focus_stage else None, now, self.away)
        self.topbar.set_filter(self.model.filter.describe())
        self._tell_calendar()

    def _tell_calendar(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, CalendarScreen):
                screen.board_changed()

    def current(self) -> PieceView | None:
        """The focused piece, if any."""
        pid = self.focus_ids[self.focus_stage]
        return self.model.pieces.get(pid) if pid is not None else None

    def focus_piece(self, piece_id: int) -> bool:
        """Put the focus on a piece (switching column, clearing a filter hiding it)."""
        if not self.hold_piece(piece_id):
            return False
        self.paint(self._move_focus(piece_id))
        self._show_focus()
        return True

    def _move_focus(self, piece_id: int) -> set[str]:
        """Point the focus at a known piece; returns the stages to repaint."""
        piece = self.model.pieces[piece_id]
        if self.model.index_of(piece.stage, piece_id) is None:
            self.model.set_filter(Filter())
        old = self.focus_stage
        self.focus_col = self.wf.index(piece.stage)
        self.focus_ids[piece.stage] = piece_id
        return {old, piece.stage}

    def _show_focus(self) -> None:
        col = self.column(self.focus_stage)
        col.scroll_visible(animate=False, immediate=True)
        index = self.model.index_of(self.focus_stage, self.focus_ids[self.focus_stage])
        col.cards.select(index)

    def on_focus_piece(self, message: FocusPiece) -> None:
        self.focus_piece(message.piece_id)

    # -- writing -------------------------------------------------------------------
    def write(self, job: Job, *, reply_to: MessagePump | None = None, focus: bool = False,
              note: str | Callable[[Any], str] = "", show: bool = True) -> None:
        """Run ``job(commands)`` on the writer thread, in a worker that posts PieceSaved
        or WriteFailed (to the app, and to ``reply_to``: a form closes or shows why).

        ``focus``: the focus follows the saved piece (a moved card); ``note``: what to
        tell the person (or how, from the result). ``show=False``: a
        write whose events are news to this board too (time checks): not skipped in
        the feed. Anything else raised reaches ``on_worker_state_changed``.
        """

        self.run_worker(self._write(job, reply_to, focus, note, show), group="write",
                        exit_on_error=False)

    async def _write(self, job: Job, reply_to: MessagePump | None, focus: bool,
                     note: str | Callable[[Any], str], show: bool) -> bool:
        """``write``'s worker: True once the job is saved, else False (refusal posted)."""
        if self.lost is not None:  # the file is gone: nothing may look saved
            failed = WriteFailed(BoardLost(self.lost))
        elif self.reconnecting is not None:  # refused now rather than after a timeout
            failed = WriteFailed(Unreachable(
                f"the server cannot be reached ({self.reconnecting}); reconnecting… "
                "nothing was saved: try again once the notice is gone"))
        else:
            board = self.session.board  # the reopened board's, if it was reopened
            skip = self.applied if show and self.feed is not None else None
            try:
                result, emitted = await asyncio.get_running_loop().run_in_executor(
                    self._writer, _run, job, board, skip)
            except ProdboardError as exc:
                failed = WriteFailed(exc)
            else:
                pieces = _pieces(result)
                if skip is not None and self.feed is not None:
                    # Marked on the writer thread at commit (the feed may read them
                    # before this runs); those the feed has passed are done with.
                    skip.difference_update(i for i in emitted if i <= self.feed.cursor)
                said = note(result) if callable(note) else note
                saved = PieceSaved(result, pieces if show else [], note=said,
                                   focus=pieces[0].id if focus and pieces else None)
                self.post_message(saved)
                if reply_to is not None:
                    reply_to.post_message(PieceSaved(result, saved.pieces))
                return True
        self.post_message(failed)
        if reply_to is not None:
            reply_to.post_message(WriteFailed(failed.error))
        return False

    def on_save_requested(self, message: SaveRequested) -> None:
        self.write(message.job, reply_to=message.reply_to, note=message.note)

    def on_piece_saved(self, message: PieceSaved) -> None:
        """Show my own change: one paint, the focus following a moved card."""
        touched = self.model.update(message.pieces)
        self.recount_if_stale()
        if message.focus is not None and message.focus in self.model.pieces:
            touched |= self._move_focus(message.focus)
            self.paint(touched)
            self._show_focus()
        elif touched:
            self.paint(touched)
        saved = {p.id for p in message.pieces}
        for screen in self.screen_stack:
            if isinstance(screen, PieceScreen) and screen.piece_id in saved:
                screen.reload()
        if message.note:
            self.notify(message.note, markup=False)

    def on_write_failed(self, message: WriteFailed) -> None:
        exc = message.error
        if isinstance(exc, BoardLost):
            self.mark_lost()
        elif isinstance(exc, Conflict) and not self.live:
            # Without the live feed nothing else brings the change that won: read it now.
            self.run_worker(self.catch_up(), group="catch-up", exit_on_error=False)
        self.notify(exc.message, title=exc.title, severity="error", timeout=8, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's unexpected end, whatever its group: said, logged, survived."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, FeedLost):
            self.mark_lost()
            return
        if event.worker.group == "feed":
            message = error.message if isinstance(error, ProdboardError) else str(error)
            self.notify(f"Live updates stopped: {message}", title="Board", severity="error",
                        timeout=30, markup=False)
            return
        log.error("prodboard: %s worker failed", event.worker.group, exc_info=error)
        what = error.message if isinstance(error, ProdboardError) else (
            f"{type(error).__name__}: {error}")
        self.notify(f"Something went wrong ({what}); nothing more was changed. The board "
                    "is still usable.", title="Unexpected error", severity="error",
                    timeout=20, markup=False)

    # -- the feed ----------------------------------------------------------------------
    @property
    def feed_cursor(self) -> int:
        """The id of the last event the board shows (the feed's cursor)."""
        return self.feed.cursor if self.feed is not None else 0

    def start_live(self, cursor: int, announce: bool = True) -> None:
        """Start following changes after ``cursor`` (the board was read at that point)."""
        if self.feed is not None:
            self.feed.close()
        self.feed = None
        self.applied.clear()
        self.toasts.reset()
        self.load_unread(announce=announce)
        try:
            self.feed = ChangeFeed(self.session.store, cursor, poll_interval=current_settings().poll_interval)
        except FeedLost:
            self.mark_lost()
            return
        except ProdboardError as exc:
            self.notify(f"Live updates stopped: {exc.message}", title="Board", severity="error",
                        timeout=30, markup=False)
            return
        if not self.live:
            return
        self.follow_changes()
        if self.connection_timer is None:
            self.connection_timer = self.set_interval(0.2, self.watch_connection)
        if not self.session.store.readonly and self.checks_timer is None:
            self.checks_timer = self.set_interval(current_settings().check_interval, self.run_time_checks)
            self.call_later(self.run_time_checks)

    @work(exclusive=True, group="feed", exit_on_error=False)
    async def follow_changes(self) -> None:
        """Read what every batch of new events touches and post it, in order, for as
        long as the app runs."""
        feed = self.feed
        assert feed is not None
        bursts: dict[str, OpenBurst] = {}  # each actor's open burst
        async for batch in feed.batches():
            await self._deliver(batch, bursts)

    async def catch_up(self) -> None:
        """Read the feed once now and apply what it brings (a board without the live
        feed, in tests)."""
        if self.feed is not None:
            await self._deliver(await asyncio.to_thread(self.feed.poll), {})

    async def _deliver(self, batch: list[EventView], bursts: dict[str, OpenBurst]) -> None:
        fresh = [e for e in batch if e.id not in self.applied]
        self.applied.difference_update(e.id for e in batch)
        self.people.saw(batch)  # mine too: the team is read again after any person change
        if not fresh:
            self.tally.feed(batch, ())  # all mine, all painted already: they end bursts
            return
        grown = open_bursts(bursts, fresh, self.session.user, self.wf)
        reads = await asyncio.to_thread(read_batch, self.session, fresh, grown, self.people)
        self.tally.feed(batch, (i for alerts in reads.alerts.values() for a in alerts
                                for i in a.event_ids))
        self.post_message(EventsArrived(fresh, reads))

    def on_events_arrived(self, message: EventsArrived) -> None:
        """Update the touched cards (one paint), then tell me what concerns me."""
        reads = message.reads
        touched = self.model.update(reads.pieces)
        self.recount_if_stale()
        if reads.away is not None:
            self.away = reads.away
            self.paint()
        elif touched:
            self.paint(touched)
        self._tell_open_screens(message.events)
        me = self.session.user.lower()
        if any(e.actor.lower() != me for e in message.events):
            # Others' changes may move a threshold. Mine wait for the next look (one press
            # runs only its own queries, tests/tui/test_one_press.py), also when the feed
            # brought my event back before my write's result marked it applied.
            self.run_time_checks_soon()
        for actor, alerts in reads.alerts.items():
            if not isinstance(self.screen, InboxScreen):  # there, they are new rows
                self.toasts.show_burst(actor, reads.bursts[actor], alerts)
        self.background.arrived(reads.bursts, reads.alerts)
        if self.unread != self.tally.count:  # counted by _deliver, in feed order
            self.unread = self.tally.count
            self.topbar.set_unread(self.unread)
        if reads.alerts:
            self._refresh_open_inbox()

    def _tell_open_screens(self, events: list[EventView]) -> None:
        mine = self.session.user
        for screen in self.screen_stack:
            if isinstance(screen, MetricsScreen):
                screen.board_changed()
            elif isinstance(screen, PieceScreen):
                if any(e.piece_id == screen.piece_id for e in events):
                    screen.reload_later()
            elif isinstance(screen, PieceForm) and screen.piece is not None:
                others = {e.actor for e in events
                          if e.piece_id == screen.piece.id and e.actor != mine}
                if others:
                    self.notify(
                        f"{', '.join(sorted(others))} changed #{screen.piece.id} while you edit it; "
                        "saving merges your fields unless you both changed the same ones.",
                        title="Changed under you", severity="warning", timeout=10, markup=False)

    def watch_connection(self) -> None:
        """Show the feed's view of the server: a notice while it cannot be reached,
        and how many changes the feed caught up on once it is back."""
        feed = self.feed
        if feed is None:
            return
        if feed.unreachable is not None and self.reconnecting is None:
            self.reconnecting = feed.unreachable
            self._outage_from = feed.delivered
            self.topbar.set_reconnecting(True)
            self.notify(f"The server cannot be reached: reconnecting… Nothing saves until "
                        f"it is back ({feed.unreachable}).", title="Reconnecting",
                        severity="warning", timeout=15, markup=False)
        elif feed.unreachable is None and self.reconnecting is not None:
            caught = feed.delivered - self._outage_from
            self.reconnecting = None
            self.topbar.set_reconnecting(False)
            changes = "1 change" if caught == 1 else f"{caught} changes"
            self.notify(f"Reconnected: caught up on {changes}.", title="Board", markup=False)

    # -- the unread count and the inbox ---------------------------------------------------
    # The inbox is read when the board opens and when the inbox opens; between, each
    # batch's alerts add to the tally (their recipients were fixed when written).
    def _set_unread(self, count: int, upto: int | None = None) -> None:
        """The count the inbox itself read (up to event ``upto``) or shows: the tally
        goes on from it."""
        self.unread = count
        self.tally.reset(count, upto)
        self.topbar.set_unread(count)

    def load_unread(self, announce: bool = False) -> None:
        inbox = load_inbox(self.session, self.session.user)
        self._set_unread(inbox.unread, inbox.last_event_id)
        if announce and inbox.unread:
            self._launch_note("summary", f"{inbox.summary}  ({hint(self, 'inbox', 'i')}: inbox)",
                              f"{inbox.unread} unread")

    def _launch_note(self, kind: str, text: str, title: str) -> None:
        """A notice shown at launch that opening the inbox puts away."""
        note = Notification(text, title=title, timeout=12, markup=False)
        self.launch_notes[kind] = note
        self.post_message(Notify(note))

    def action_inbox(self) -> None:
        """Open the inbox; it marks nothing by itself and keeps the header's count.
        The launch notices and the alert toasts go: the inbox holds every alert, and
        at 80x24 they would cover its key hint."""
        inbox = load_inbox(self.session, self.session.user)
        self._set_unread(inbox.unread, inbox.last_event_id)
        self.toasts.clear()
        self.on_launch_notices_away(LaunchNoticesAway(("demo", "summary")))
        self.push_screen(InboxScreen(inbox, on_unread=self._set_unread))

    def on_launch_notices_away(self, message: LaunchNoticesAway) -> None:
        drop_all(self, [self.launch_notes.pop(k) for k in message.kinds if k in self.launch_notes])

    def _refresh_open_inbox(self) -> None:
        """Add the alerts just arrived to the open inbox, read off the event loop once
        the read marks it asked for are saved (else it would show them undone); the
        newest reload replaces one still running."""
        screen = next((s for s in self.screen_stack if isinstance(s, InboxScreen)), None)
        if screen is None:
            return
        box, marks = screen.inbox, screen.marks

        def read() -> tuple[Inbox, int]:
            fresh = load_inbox(self.session, box.handle, since=box.read_cursor)
            return fresh, self.session.queries.read_cursor(box.handle)

        async def reload() -> None:
            await asyncio.get_running_loop().run_in_executor(self._writer, lambda: None)
            fresh, cursor = await asyncio.to_thread(read)
            if not screen.is_attached:
                return
            if screen.marks != marks:  # marked again meanwhile: read after that too
                self._refresh_open_inbox()
                return
            screen.take(fresh, cursor)
            self._set_unread(screen.inbox.unread, fresh.last_event_id)

        self.run_worker(reload(), group="inbox", exclusive=True, exit_on_error=False)

    # -- time-based alerts --------------------------------------------------------------
    def run_time_checks(self) -> None:
        """Raise overdue / due-soon / review-deadline / at-risk alerts once each; they
        reach every board, this one too, through the feed. The scheduler reads only
        what changed or fell due (its first look, the whole board, in pages), on a
        thread of its own, never the writer's: a key pressed meanwhile is saved at once.
        Then sleep until its next threshold (or the next tick, or a change). One look at
        a time: asked during one, it looks again once that one is done."""
        if self.lost is not None or self.reconnecting is not None:
            return
        if self._checking:
            self._check_again = True
            return
        self._checking = True
        self.run_worker(self._time_checks(), group="checks", exit_on_error=False)

    async def _time_checks(self) -> None:
        """Look in a thread, then raise what is due on the writer thread a few short
        transactions per job, so writes queued meanwhile go in between."""
        board = self.session.board
        try:
            try:
                alerts = await asyncio.to_thread(self.checks.look, board)
            except ProdboardError as exc:
                self.post_message(WriteFailed(exc))
                return
            steps = raise_steps(alerts)
            for start in range(0, len(steps), RAISES_PER_JOB):
                job = partial(self.checks.raise_due, steps=steps[start:start + RAISES_PER_JOB])
                if self.session.board is not board or not await self._write(
                        job, None, False, "", False):
                    return  # reopened, or refused: the scheduler starts over next time
        finally:
            self._checking = False
            if self._check_again:
                self._check_again = False
                self.call_later(self.run_time_checks)
        self._wake_at_next_due()

    def run_time_checks_soon(self, after: float = 0.3) -> None:
        """A change may move a threshold: look again shortly (a steady stream of
        changes does not put it off: a look already due sooner stands)."""
        if self.checks_timer is None:
            return  # read-only, or not live: no checks here
        at = asyncio.get_running_loop().time() + after
        if self.checks_due is not None:
            if self._checks_due_at <= at:
                return
            self.checks_due.stop()
        self._checks_due_at = at
        self.checks_due = self.set_timer(after, self._due_checks)

    def _due_checks(self) -> None:
        self.checks_due = None
        self.run_time_checks()

    def _wake_at_next_due(self) -> None:
        due = self.checks.wake_at
        if due is None:
            return
        wait = (due - self.session.board.clock()).total_seconds()
        if wait < current_settings().check_interval:  # else the tick comes first
            self.run_time_checks_soon(max(wait, 0.0) + 0.01)  # a timer may fire a hair early

    # -- a lost board file ------------------------------------------------------------
    def mark_lost(self) -> None:
        """The file at the board's path is not the one opened (deleted or replaced):
        refuse every write from now on, and say so in the header until reopened."""
        why = self.session.store.lost("nothing is saved until you reopen the board (ctrl+r)")
        if why is None:
            return  # a late refusal from a board since reopened: this one is fine
        first = self.lost is None
        self.lost = why
        self.topbar.set_lost(True)
        if first:
            self.notify(self.lost, title=self.lost_title(), severity="error", timeout=30,
                        markup=False)

    def lost_title(self) -> str:
        """A file is lost from its path; a board on a server has no file to speak of."""
        return "Board lost" if self.session.store.kind == "postgresql" else "Board file lost"

    def action_reopen(self) -> None:
        """Open the board file now at the path in place of the lost one; open forms keep
        what was typed and save to the reopened board."""
        if self.lost is None:
            self.notify("The board file is the one opened: nothing to reopen.", markup=False)
            return
        self.reopen_board()

    @work(exclusive=True, group="reopen", exit_on_error=False)
    async def reopen_board(self) -> None:
        old = self.session
        try:
            new = await asyncio.to_thread(open_board, old.store.location, old.user,
                                          config=old.config_path)
        except ProdboardError as exc:
            self.notify(f"Cannot reopen: {exc.message}", title=self.lost_title(),
                        severity="error", timeout=15, markup=False)
            return
        if [st.key for st in new.workflow.stages] != [st.key for st in self.wf.stages]:
            new.close()
            self.notify("The board at that path has other stages: quit and start prodboard "
                        "again to open it.", title=self.lost_title(), severity="error",
                        timeout=15, markup=False)
            return
        if self.feed is not None:
            self.feed.close()
        self.session, self.wf = new, new.workflow
        self.zone = display_zone(new.config_path)
        self.model = BoardState(new.workflow)
        self.lost = None
        self.reconnecting = None
        old.close()  # a job still queued on it is refused: its file is not at the path
        self.start_board(announce=False)
        self.clear_notifications()  # the "file lost" toasts no longer hold
        self.notify(f"Reopened {new.store.location}.", title="Board", markup=False)

    # -- actions: focus ------------------------------------------------------------
    def action_focus_column(self, delta: int) -> None:
        """Move to the next stage keeping the row: the card at the same index there
        (its last one when it has fewer), never the card it had the focus on before."""
        new = max(0, min(len(self.wf.stages) - 1, self.focus_col + delta))
        if new == self.focus_col:
            return
        old = self.focus_stage
        row = self.model.index_of(old, self.focus_ids[old])
        self.focus_col = new
        pieces = self.model.columns[self.focus_stage]
        if row is not None and pieces:
            index = min(row, len(pieces) - 1)
            self.focus_ids[self.focus_stage] = pieces[index].id
            self.focus_rows[self.focus_stage] = index
        self.paint({old, self.focus_stage})
        self._show_focus()

    def action_focus_card(self, delta: int) -> None:
        key = self.focus_stage
        pieces = self.model.columns[key]
        if not pieces:
            return
        index = self.model.index_of(key, self.focus_ids[key]) or 0
        index = max(0, min(len(pieces) - 1, index + delta))
        self.focus_ids[key] = pieces[index].id
        self.focus_rows[key] = index
        self.column(key).cards.select(index)

    def action_focus_edge(self, edge: int) -> None:
        pieces = self.model.columns[self.focus_stage]
        if pieces:
            self.action_focus_card(-len(pieces) if edge == 0 else len(pieces))

    @on(CardList.Clicked)
    def _clicked(self, event: CardList.Clicked) -> None:
        pieces = self.model.columns[event.stage]
        if event.index >= len(pieces):
            return
        was = self.current()
        self.focus_piece(pieces[event.index].id)
        if event.chain >= 2 or (was is not None and was.id == pieces[event.index].id):
            self.action_open_piece()

    # -- actions: changes ------------------------------------------------------------
    def writable(self) -> bool:
        """False (and says so) on a read-only or lost board, before any form opens."""
        if self.lost is not None:
            self.notify(self.lost, title=self.lost_title(), severity="error", markup=False)
            return False
        if self.session.store.readonly:
            self.notify("This board is read-only: changes cannot be saved.", title="Read-only",
                        severity="warning", markup=False)
            return False
        return True

    def _need_piece(self, change: bool = True) -> PieceView | None:
        if change and not self.writable():
            return None
        piece = self.current()
        if piece is None:
            self.notify("No piece here: move to a card first.", severity="warning", markup=False)
        return piece

    def action_move_piece(self, delta: int) -> None:
        piece = self._need_piece()
        if piece is not None:
            # The core picks the target from the stage the piece is in when the write
            # runs (my earlier presses may have moved it); the version I saw refuses a
            # move someone else made. The moved card keeps the focus.
            pid, seen = piece.id, piece.version
            self.write(lambda board: board.move_by(pid, delta, base_version=seen), focus=True)

    def action_reorder(self, delta: int) -> None:
        piece = self._need_piece()
        if piece is not None:
            pid = piece.id

            def job(board: Commands) -> list[PieceView]:
                # The neighbour swapped ranks too: read just the two, on the writer thread.
                moved = board.reorder(pid, delta)
                last = board.q.history(moved.id)[-1]
                swapped = last.data.get("swapped_with") if last.kind == "piece.reordered" else None
                return board.q.pieces(ids={moved.id, swapped or moved.id})

            self.write(job)

    def action_open_piece(self) -> None:
        piece = self._need_piece(change=False)
        if piece is not None:
            self.push_screen(PieceScreen(piece.id))

    def action_new_piece(self) -> None:
        if self.writable():
            self.push_screen(PieceForm(None, stage=self.focus_stage))

    def action_edit_piece(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.push_screen(PieceForm(piece))

    def action_comment(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.push_screen(CommentForm(piece))

    def action_assign(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.push_screen(AssignForm(piece, self.session.queries.people()))

    def action_assign_me(self) -> None:
        piece = self._need_piece()
        if piece is None:
            return
        if piece.owner == self.session.user:
            self.notify(f"#{piece.id} is yours already.", markup=False)
            return
        self.write(assign_to_me(piece), note=f"#{piece.id} is assigned to you.")

    def action_approve(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.approve_piece(piece)

    def action_request_changes(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.request_changes_on(piece)

    def action_override_move(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.override_move(piece)

    def on_decision_requested(self, message: DecisionRequested) -> None:
        """The piece screen's y / x / o: the same decisions as the board's keys."""
        decide = {"approve": self.approve_piece, "request-changes": self.request_changes_on,
                  "override": self.override_move}[message.decision]
        decide(message.piece)

    def approve_piece(self, piece: PieceView) -> None:
        pid, me = piece.id, self.session.user
        self.write(lambda board: board.approve(pid),
                   note=lambda approved: reviews.decided_text(approved, me))

    def request_changes_on(self, piece: PieceView) -> None:
        """Ask for the note, once the rules allow this person to send the piece back."""
        people = self.session.queries.people()
        me = self.session.user
        refusal = reviews.changes_refusal(  # a track of its own, or the single approval
            piece, self.wf, next((p for p in people if p.handle == me), None),
            {p.handle for p in people if p.delegate == me}, self.session.board.clock())
        if refusal:
            self.notify(refusal, title="Refused", severity="error", markup=False)
            return
        pid = piece.id
        self.push_screen(ReasonForm(
            "Request changes", "What needs changing?", piece,
            lambda board, note: board.request_changes(pid, note), blank="Say what needs changing.",
        ))

    def override_move(self, piece: PieceView) -> None:
        """Ask for a reason and move past the gate, after checking there is a gate to
        override and the person may."""
        index = self.wf.index(piece.stage) + 1
        if index >= len(self.wf.stages):
            self.notify("Already in the last stage.", severity="warning", markup=False)
            return
        target = self.wf.stages[index]
        failed = rules.gate_checks(piece, self.wf, target.key)
        if not failed:
            self.notify(f"No gate blocks #{piece.id}: move it with {hint(self, 'move-right', 'shift+→')}.",
                        markup=False)
            return
        me = self.session.queries.person(self.session.user)
        if not rules.can_override(me, self.wf):
            self.notify(f"Only {' or '.join(self.wf.override_roles)} may override a gate; "
                        + "; ".join(g.reason() for g in failed), title="Not allowed",
                        severity="error", markup=False)
            return
        pid, key = piece.id, target.key
        self.push_screen(ReasonForm(
            f"Override the gate: move to {target.name}", "Why? (recorded and announced)", piece,
            lambda board, reason: board.move(pid, key, override=reason),
            blank="Give a reason: it is recorded and announced.",
        ))

    def action_watch(self) -> None:
        piece = self._need_piece()
        if piece is None:
            return
        pid = piece.id

        def job(board: Commands) -> bool:
            on_now = board.actor in board.q.watchers(pid)
            board.watch(pid, not on_now)
            return not on_now

        self.write(job, note=lambda on_now: ("Watching" if on_now else "Stopped watching")
                   + f" #{pid}")

    def action_filter(self) -> None:
        self.push_screen(FilterForm(self.model.filter.describe()), self._set_filter)

    def _set_filter(self, query: str | None) -> None:
        if query is None:
            return
        try:
            review = self.wf.gate_stage("approval")
            flt = Filter.parse(query, me=self.session.user, review_stage=review.key if review else "")
        except ProdboardError as exc:  # say so, and give back what was typed
            self.notify(exc.message, title="Filter", severity="error", markup=False)
            self.push_screen(FilterForm(query), self._set_filter)
            return
        self.model.set_filter(flt)
        self.scan_filter(flt)
        self.paint()
        self._show_focus()

    def action_clear_filter(self) -> None:
        if self.model.filter.active:
            self._set_filter("")

    def action_my_work(self) -> None:
        """Add ``mine`` to the filter (pieces I own, pieces waiting on my review), or
        take it out; the filter's other terms stay."""
        words = self.model.filter.describe().split()
        self._set_filter(" ".join([w for w in words if w != MINE] if MINE in words
                                  else [*words, MINE]))

    def action_help(self, first: str = "") -> None:
        """Every screen's keys; ``first``: the screen it was asked from comes first."""
        sections = registry()
        self.push_screen(HelpScreen(sorted(sections, key=lambda s: s.title != first)))

    def action_calendar(self) -> None:
        self.push_screen(CalendarScreen())

    def action_metrics(self) -> None:
        self.push_screen(MetricsScreen(self.session))

    def action_settings(self) -> None:
        me = self.session.queries.person(self.session.user)
        self.push_screen(SettingsScreen(personal_config_path(), self.ui, self.theme,
                                        sorted(self.available_themes),
                                        me.alert_level if me else None, self.session.user))

    def on_settings_screen_saved(self, message: SettingsScreen.Saved) -> None:
        self._set_ui(message.ui)
        if message.ui.theme:
            self.theme = message.ui.theme

    def _set_ui(self, ui: UISettings) -> None:
        self.ui = ui
        self.toasts.ui = ui

    def action_jump(self) -> None:
        piece = self.toasts.jump_target()
        if piece is None or not self.focus_piece(piece):
            self.notify("No alert to jump to.", markup=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, then the actions of the board or the piece screen, each
        with the key that runs it now (remapped or not)."""
        yield from super().get_system_commands(screen)
        if screen is self.screen_stack[0]:
            for binding in BOARD_BINDINGS:
                if binding.id in _NOT_IN_PALETTE:
                    continue
                yield SystemCommand(binding.description, f"key: {shown(self, binding)}",
                                    lambda action=binding.action: self.run_action(action))
            yield SystemCommand("Help", f"Every key  (key: {shown(self, HELP_BINDING)})",
                                self.action_help)
            if self.lost is not None:
                yield SystemCommand("Reopen the board file", "key: ctrl+r", self.action_reopen)
        elif isinstance(screen, PieceScreen | CalendarScreen):
            for item in type(screen).BINDINGS:
                if isinstance(item, Binding):
                    yield SystemCommand(item.description, f"key: {shown(self, item)}",
                                        lambda action=item.action: self.run_action(action, screen))


_NOT_IN_PALETTE = {"focus-left", "focus-right", "focus-up", "focus-down", "page-up", "page-down",
                   "first-card", "last-card", "quit", "help"}
HELP_BINDING = next(b for b in BOARD_BINDINGS if b.id == "help")


def _run(job: Job, board: Commands, skip: set[int] | None) -> tuple[object, tuple[int, ...]]:
    """On the writer thread: the command's result and the events it appended, which
    join ``skip`` (the events the feed must not bring back) as soon as they commit."""
    board.emitted = ()
    result = job(board)
    if skip is not None:
        skip.update(board.emitted)
    return result, board.emitted


def _pieces(result: object) -> list[PieceView]:
    """The piece states a command returned (one, a list, or none)."""
    if isinstance(result, PieceView):
        return [result]
    if isinstance(result, list | tuple):
        return [p for p in result if isinstance(p, PieceView)]
    return []


def make_app(session: Workspace, *, live: bool = True) -> ProdboardApp:
    """The one factory for the CLI and the tests. A keymap or theme the board cannot
    honour is a config error (one line) before anything is drawn."""
    check(session.ui, ProdboardApp)
    free_styles_caches()
    app = ProdboardApp(session, live=live)
    check_theme(session.ui, app.available_themes)
    return app

"""The live board: other people's changes arrive, update only the cards they touch,
and become toasts and inbox entries for the person they concern.

The change feed (core/feed.py) runs in an async worker: its watcher waits in its own
thread and every database read runs in a thread, so the board never blocks on it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.notifications import Notification, Notify
from textual.timer import Timer
from textual.widgets._toast import Toast
from textual.worker import Worker, WorkerState

from prodboard.domain.values import EventView, PieceView
from prodboard.errors import ProdboardError
from prodboard.services.alerts import BURST_SECONDS, Alert, alerts_in, load_inbox
from prodboard.services.feed import ChangeFeed, FeedLost
from prodboard.settings import current as current_settings
from prodboard.tui.bindings import hint as key_hint

if TYPE_CHECKING:
    from prodboard.tui.app import ProdboardApp

SEVERITY = {"information": "information", "warning": "warning", "error": "error"}


@dataclass
class _Burst:
    """One actor's recent events, the alerts they made, the toasts showing them, and
    when the burst started (a steady stream becomes one toast every few seconds)."""

    events: list[EventView]
    alerts: list[Alert]
    notes: list[Notification]
    at: float


class LiveBoard:
    """Mixed into the app: the feed worker, toasts, the unread count, time checks.

    Methods annotate ``self`` as the app they are mixed into.
    """

    feed_cursor: int = 0
    unread: int = 0
    feed: ChangeFeed | None = None
    last_alert_piece: int | None = None
    bursts: dict[str, _Burst]
    unread_timer: Timer | None = None
    lost: str | None = None  # why the board file is gone; every write is refused meanwhile
    checks_timer: Timer | None = None

    def start_live(self: ProdboardApp, cursor: int, announce: bool = True) -> None:  # type: ignore[misc]
        """Start following changes after ``cursor`` (the board was read at that point)."""
        self.feed_cursor = cursor
        self.bursts = {}
        self.load_unread(announce=announce)
        if not self.live:
            return
        self.follow_changes()
        if not self.session.store.readonly and self.checks_timer is None:
            self.checks_timer = self.set_interval(current_settings().check_interval,
                                                  self.run_time_checks)
            self.call_later(self.run_time_checks)

    # -- the feed --------------------------------------------------------------------
    @work(exclusive=True, group="feed", exit_on_error=False)
    async def follow_changes(self: ProdboardApp) -> None:
        """Apply every batch of new events, in order, for as long as the app runs."""
        interval = current_settings().poll_interval
        feed = ChangeFeed(self.session.store, self.feed_cursor, poll_interval=interval)
        self.feed = feed
        try:
            async for batch in feed.batches():
                await self.apply_events(batch)
        finally:
            feed.close()

    def on_worker_state_changed(self: ProdboardApp, event: Worker.StateChanged) -> None:  # type: ignore[misc]
        if event.worker.group == "feed" and event.state == WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, FeedLost):
                self.mark_lost()
                return
            message = error.message if isinstance(error, ProdboardError) else str(error)
            self.notify(f"Live updates stopped: {message}", title="Board", severity="error",
                        timeout=30, markup=False)

    async def apply_events(self: ProdboardApp, events: list[EventView]) -> None:  # type: ignore[misc]
        """Update the touched cards, then tell me what concerns me. Idempotent: events
        at or before the cursor are ignored."""
        events = [e for e in events if e.id > self.feed_cursor]
        if not events:
            return
        self.feed_cursor = events[-1].id
        q = self.session.queries
        ids = {e.piece_id for e in events if e.piece_id is not None}
        people_changed = any(e.kind.startswith("person.") for e in events)
        now = time.monotonic()
        # One actor's events within the burst window merge with their open toast, even
        # across feed batches (the watcher delivers a 40-card import in several).
        groups: dict[str, list[EventView]] = {}
        for e in events:
            groups.setdefault(e.actor, []).append(e)
        merged = {
            actor: ([*self.bursts[actor].events, *evs]
                    if actor in self.bursts and now - self.bursts[actor].at < BURST_SECONDS
                    else evs)
            for actor, evs in groups.items()
        }

        def read() -> tuple[list[PieceView], dict[str, list[Alert]], set[str] | None]:
            pieces = q.pieces(ids=ids, archived=None) if ids else []
            away = {p.handle for p in q.people() if p.away} if people_changed else None
            alerts = {actor: alerts_in(q, self.session.user, evs) for actor, evs in merged.items()}
            return pieces, alerts, away

        pieces, alerts_by_actor, away = await asyncio.to_thread(read)
        if away is not None:
            self.away = away
            self.paint()
        self.refresh_pieces(pieces)
        self._tell_open_screens(events)
        shown = False
        for actor, alerts in alerts_by_actor.items():
            self._show_burst(actor, merged[actor], alerts, now)
            shown = shown or bool(alerts)
        if shown:
            self.count_unread_soon()

    def count_unread_soon(self: ProdboardApp) -> None:  # type: ignore[misc]
        """Recount the unread alerts once a stream of events settles (the count reads
        every unread event, so it is not redone for each batch)."""
        if self.unread_timer is not None:
            self.unread_timer.stop()
        self.unread_timer = self.set_timer(0.3, self.count_unread)

    @work(exclusive=True, group="unread", exit_on_error=False)
    async def count_unread(self: ProdboardApp) -> None:
        """The header counts what the inbox will show, grouped the same way."""
        inbox = await asyncio.to_thread(load_inbox, self.session.queries, self.session.user)
        self.unread = inbox.unread
        self.topbar.set_unread(self.unread)

    def _show_burst(self: ProdboardApp, actor: str, events: list[EventView],  # type: ignore[misc]
                    alerts: list[Alert], now: float) -> None:
        """Replace the actor's open toasts with the alerts of the whole burst."""
        previous = self.bursts.get(actor)
        if previous is None or not previous.events or previous.events[0] is not events[0]:
            notes = [self.toast(alert) for alert in alerts]
            self.bursts[actor] = _Burst(events, alerts, notes, now)
            return
        alive = [n for n in previous.notes if n in self._notifications]
        if len(alive) == len(previous.notes) == len(alerts) == 1:
            notes = [self.retext(alive[0], alerts[0])]  # in place: no re-mount, no re-layout
        else:
            for note in previous.notes:  # the new toast's Notify refreshes the rack once
                self._unnotify(note, refresh=False)
            notes = [self.toast(alert) for alert in alerts]
        # a burst spans at most BURST_SECONDS from its start
        self.bursts[actor] = _Burst(events, alerts, notes, previous.at)

    def retext(self: ProdboardApp, note: Notification, alert: Alert) -> Notification:  # type: ignore[misc]
        """Show a grown burst in the toast already on screen."""
        note.message, note.title, note.severity = self._toast_parts(alert)
        for toast in self.screen.query(Toast):
            if toast._notification is note:  # Textual keeps the toast's notification here
                toast.refresh(layout=True)
        return note

    def _tell_open_screens(self: ProdboardApp, events: list[EventView]) -> None:  # type: ignore[misc]
        from prodboard.tui.screens.forms import PieceForm
        from prodboard.tui.screens.piece import PieceScreen

        mine = self.session.user
        for screen in self.screen_stack:
            if isinstance(screen, PieceScreen):
                if any(e.piece_id == screen.piece_id for e in events):
                    screen.reload()
            elif isinstance(screen, PieceForm) and screen.piece is not None:
                others = {e.actor for e in events
                          if e.piece_id == screen.piece.id and e.actor != mine}
                if others:
                    self.notify(
                        f"{', '.join(sorted(others))} changed #{screen.piece.id} while you edit it; "
                        "saving merges your fields unless you both changed the same ones.",
                        title="Changed under you", severity="warning", timeout=10, markup=False)

    def toast(self: ProdboardApp, alert: Alert) -> Notification:  # type: ignore[misc]
        """Show one alert; ``g`` jumps to its piece."""
        message, title, severity = self._toast_parts(alert)
        prefs = self.ui.notify  # the person's [notify]: the inbox keeps the alert either way
        note = Notification(message, title=title, severity=severity, timeout=prefs.toast_seconds,
                            markup=False)
        if prefs.toasts:
            self.post_message(Notify(note))
        return note

    def _toast_parts(self: ProdboardApp, alert: Alert) -> tuple[str, str, Any]:  # type: ignore[misc]
        hint = f"  ({key_hint(self, 'jump', 'g')}: go to it)" if alert.piece_id is not None else ""
        if alert.piece_id is not None:
            self.last_alert_piece = alert.piece_id
        title = f"@{alert.actor}" if alert.actor else "prodboard"
        return alert.text + hint, title, SEVERITY.get(alert.severity, "information")

    # -- a lost board file ------------------------------------------------------------
    def mark_lost(self: ProdboardApp) -> None:  # type: ignore[misc]
        """The file at the board's path is not the one opened (deleted or replaced):
        refuse every write from now on, and say so in the header until reopened."""
        why = self.session.store.lost("nothing is saved until you reopen the board (ctrl+r)")
        if why is None:
            return  # a late refusal from a board since reopened: this one is fine
        first = self.lost is None
        self.lost = why
        self.topbar.set_lost(True)
        if first:
            self.notify(self.lost, title="Board file lost", severity="error", timeout=30,
                        markup=False)

    def action_reopen(self: ProdboardApp) -> None:  # type: ignore[misc]
        """Open the board file now at the path in place of the lost one; open forms keep
        what was typed and save to the reopened board."""
        if self.lost is None:
            self.notify("The board file is the one opened: nothing to reopen.", markup=False)
            return
        self.reopen_board()

    @work(exclusive=True, group="reopen", exit_on_error=False)
    async def reopen_board(self: ProdboardApp) -> None:
        from prodboard.services.context import open_board

        old = self.session
        try:
            new = await asyncio.to_thread(open_board, old.store.location, old.user,
                                          config=old.config_path)
        except ProdboardError as exc:
            self.notify(f"Cannot reopen: {exc.message}", title="Board file lost",
                        severity="error", timeout=15, markup=False)
            return
        if [st.key for st in new.workflow.stages] != [st.key for st in self.wf.stages]:
            new.close()
            self.notify("The board at that path has other stages: quit and start prodboard "
                        "again to open it.", title="Board file lost", severity="error",
                        timeout=15, markup=False)
            return
        if self.feed is not None:
            self.feed.close()
        self.session, self.wf = new, new.workflow
        self.model = type(self.model)(new.workflow)
        self.lost = None
        old.close()  # a job still queued on it is refused: its file is not at the path
        self.start_board(announce=False)
        self.clear_notifications()  # the "file lost" toasts no longer hold
        self.notify(f"Reopened {new.store.location}.", title="Board", markup=False)

    # -- the inbox -------------------------------------------------------------------
    def load_unread(self: ProdboardApp, announce: bool = False) -> None:  # type: ignore[misc]
        inbox = load_inbox(self.session, self.session.user)
        self.unread = inbox.unread
        self.topbar.set_unread(self.unread)
        if announce and inbox.unread:
            self.notify(f"{inbox.summary}  ({key_hint(self, 'inbox', 'i')}: inbox)",
                        title=f"{inbox.unread} unread", timeout=12, markup=False)

    def action_inbox(self: ProdboardApp) -> None:  # type: ignore[misc]
        from prodboard.tui.screens.inbox import InboxScreen

        inbox = load_inbox(self.session, self.session.user)
        # One count: the header shows the inbox's own figure while it is open, and
        # drops to what is still unread once it closes.
        self.unread = inbox.unread
        self.topbar.set_unread(inbox.unread)
        self.push_screen(InboxScreen(inbox), lambda _: self._inbox_closed())
        if (inbox.last_event_id > inbox.read_cursor and not self.session.store.readonly
                and self.lost is None):
            board = self.session.board
            self.write(lambda: board.mark_read(inbox.last_event_id))

    def _inbox_closed(self: ProdboardApp) -> None:  # type: ignore[misc]
        """Recount once the read mark is saved: the writer thread runs jobs in order."""
        self.write(lambda: None, self._recount)

    def _recount(self: ProdboardApp, _: Any = None) -> None:  # type: ignore[misc]
        self.count_unread()

    # -- time-based alerts --------------------------------------------------------------
    def run_time_checks(self: ProdboardApp) -> None:  # type: ignore[misc]
        """Raise overdue / due-soon / review-deadline / at-risk alerts once each, on the
        writer thread; they reach every board through the feed."""
        from prodboard.services.checks import run_checks

        if self.lost is not None:
            return
        board = self.session.board
        self.write(lambda: run_checks(board))

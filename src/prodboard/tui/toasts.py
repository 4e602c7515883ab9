"""Alerts as toasts: one toast per burst, rewritten in place while the burst grows,
at most ``CAP`` on screen.

Which events make one burst is the core's rule (``alerts.bursts``, by event time):
the feed worker carries an actor's open burst over to the next batch exactly when
``alerts.continues`` says so, and this module only shows what it is handed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.notifications import Notification

from prodboard.config.ui import UISettings
from prodboard.domain.text import clean
from prodboard.domain.values import EventView
from prodboard.services.alerts import Alert
from prodboard.tui.bindings import hint as key_hint
from prodboard.tui.textual_private import (
    drop_all,
    drop_quietly,
    notify_now,
    refresh_toast,
    showing,
)

SEVERITY = {"information": "information", "warning": "warning", "error": "error"}


@dataclass
class Burst:
    """One actor's burst of events, the alerts they made, and the toasts showing them."""

    events: list[EventView]
    alerts: list[Alert]
    notes: list[Notification]


def continued(before: list[EventView], now: list[EventView]) -> bool:
    """Whether ``now`` is a burst grown from ``before`` (it starts inside it)."""
    return bool(now) and any(ev is now[0] for ev in before)


CAP = 3  # toasts of alerts on screen at once, the "N more in the inbox" one included


class Toasts:
    """The toasts of one board app, and the pieces of the last alert (for ``g``).

    At most ``CAP`` alert toasts show at once, so at 80x24 the stack stays below the
    header and its unread count: past ``CAP - 1``, one last toast counts the rest
    ("4 more in the inbox"), rewritten in place as the count grows.
    """

    def __init__(self, app: App[Any], ui: UISettings) -> None:
        self.app = app
        self.ui = ui  # the person's [notify]: the inbox keeps every alert either way
        self.bursts: dict[str, Burst] = {}
        self.last_pieces: tuple[int, ...] = ()
        self._next = 0  # which of last_pieces ``g`` goes to next
        self.more: Notification | None = None
        self.in_more: set[int] = set()  # first event ids of the alerts it counts
        # Alert toasts posted and neither expired nor dropped. Not the app's list: it
        # holds the launch notices and every other notice too.
        self.posted: list[Notification] = []

    def reset(self) -> None:
        self.bursts = {}
        self.posted = []
        self.more, self.in_more = None, set()

    def clear(self) -> None:
        """Take every alert toast off the screen (the inbox is opening: it holds them)."""
        drop_all(self.app, self.posted)
        self.reset()

    def _post(self, note: Notification) -> None:
        self.posted = [n for n in self.posted if not n.has_expired]
        self.posted.append(note)
        notify_now(self.app, note)  # in the frame that repaints the changed cards

    def _drop(self, note: Notification) -> None:
        if note in self.posted:
            self.posted.remove(note)
        drop_quietly(self.app, note)

    def jump_target(self) -> int | None:
        """The piece ``g`` goes to: the last alert's pieces in turn, one per press."""
        if not self.last_pieces:
            return None
        piece = self.last_pieces[self._next % len(self.last_pieces)]
        self._next += 1
        return piece

    def show_burst(self, actor: str, events: list[EventView], alerts: list[Alert]) -> None:
        """Replace the actor's open toasts with the alerts of the whole burst."""
        previous = self.bursts.get(actor)
        if previous is None or not continued(previous.events, events):
            self.bursts[actor] = Burst(events, alerts, [self.toast(a) for a in alerts])
            return
        alive = [n for n in previous.notes if showing(self.app, n)]
        if len(alive) == len(previous.notes) == len(alerts) == 1:
            # in place: no re-mount; unchanged (it grew by events I do not hear): untouched,
            # as rewriting a toast re-lays the screen out
            same = alerts[0] == previous.alerts[0]
            notes = alive if same else [self.retext(alive[0], alerts[0])]
        else:
            for note in previous.notes:  # showing the new toast refreshes the rack once
                self._drop(note)
            notes = [self.toast(alert) for alert in alerts]
        self.bursts[actor] = Burst(events, alerts, notes)

    def _alive(self) -> int:
        """The alert toasts on screen or about to be (the "more" toast not counted)."""
        return sum(1 for n in self.posted if n is not self.more and not n.has_expired)

    def toast(self, alert: Alert) -> Notification:
        """Show one alert (``g`` jumps to its pieces), or count it in the last toast
        when the stack is full."""
        message, title, severity = self._parts(alert)
        prefs = self.ui.notify
        note = Notification(message, title=title, severity=severity,
                            timeout=prefs.toast_seconds, markup=False)
        if not prefs.toasts:
            return note
        if self.more is not None and (self.more.has_expired or self.more not in self.posted):
            self.more, self.in_more = None, set()
        if self.more is None and self._alive() < CAP - 1:
            self._post(note)
            return note
        self.in_more.add(alert.first_id)  # a burst that grows is still one
        text = (f"{len(self.in_more)} more in the inbox  "
                f"({key_hint(self.app, 'inbox', 'i')}: open it)")
        if self.more is None:
            self.more = Notification(text, title="Inbox", timeout=prefs.toast_seconds,
                                     markup=False)
            self._post(self.more)
        else:
            self.more.message = text
            refresh_toast(self.app, self.more)
        return note

    def retext(self, note: Notification, alert: Alert) -> Notification:
        """Show a grown burst in the toast already on screen."""
        note.message, note.title, note.severity = self._parts(alert)
        refresh_toast(self.app, note)
        return note

    def _parts(self, alert: Alert) -> tuple[str, str, Any]:
        hint = ""
        if alert.piece_ids:
            key = key_hint(self.app, "jump", "g")
            hint = (f"  ({key}: go to it)" if len(alert.piece_ids) == 1
                    else f"  ({key}: go to each in turn)")
            if alert.piece_ids != self.last_pieces:
                self.last_pieces, self._next = alert.piece_ids, 0
        title = f"@{alert.actor}" if alert.actor else "prodboard"
        return clean(alert.text) + hint, title, SEVERITY.get(alert.severity, "information")

"""Alerts as toasts: one toast per burst, rewritten in place while the burst grows.

Which events make one burst is the core's rule (``alerts.bursts``, by event time):
the feed worker carries an actor's open burst over to the next batch exactly when
``alerts.continues`` says so, and this module only shows what it is handed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.notifications import Notification, Notify

from prodboard.config.ui import UISettings
from prodboard.domain.values import EventView
from prodboard.services.alerts import Alert
from prodboard.tui.bindings import hint as key_hint
from prodboard.tui.textual_private import drop_quietly, refresh_toast, showing

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


class Toasts:
    """The toasts of one board app, and the piece of the last alert (for ``g``)."""

    def __init__(self, app: App[Any], ui: UISettings) -> None:
        self.app = app
        self.ui = ui  # the person's [notify]: the inbox keeps every alert either way
        self.bursts: dict[str, Burst] = {}
        self.last_piece: int | None = None

    def reset(self) -> None:
        self.bursts = {}

    def show_burst(self, actor: str, events: list[EventView], alerts: list[Alert]) -> None:
        """Replace the actor's open toasts with the alerts of the whole burst."""
        previous = self.bursts.get(actor)
        if previous is None or not continued(previous.events, events):
            self.bursts[actor] = Burst(events, alerts, [self.toast(a) for a in alerts])
            return
        alive = [n for n in previous.notes if showing(self.app, n)]
        if len(alive) == len(previous.notes) == len(alerts) == 1:
            notes = [self.retext(alive[0], alerts[0])]  # in place: no re-mount, no re-layout
        else:
            for note in previous.notes:  # the new toast's Notify refreshes the rack once
                drop_quietly(self.app, note)
            notes = [self.toast(alert) for alert in alerts]
        self.bursts[actor] = Burst(events, alerts, notes)

    def toast(self, alert: Alert) -> Notification:
        """Show one alert; ``g`` jumps to its piece."""
        message, title, severity = self._parts(alert)
        prefs = self.ui.notify
        note = Notification(message, title=title, severity=severity,
                            timeout=prefs.toast_seconds, markup=False)
        if prefs.toasts:
            self.app.post_message(Notify(note))
        return note

    def retext(self, note: Notification, alert: Alert) -> Notification:
        """Show a grown burst in the toast already on screen."""
        note.message, note.title, note.severity = self._parts(alert)
        refresh_toast(self.app, note)
        return note

    def _parts(self, alert: Alert) -> tuple[str, str, Any]:
        hint = ""
        if alert.piece_id is not None:
            hint = f"  ({key_hint(self.app, 'jump', 'g')}: go to it)"
            self.last_piece = alert.piece_id
        title = f"@{alert.actor}" if alert.actor else "prodboard"
        return alert.text + hint, title, SEVERITY.get(alert.severity, "information")

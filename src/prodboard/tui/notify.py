"""Alerts that reach a person whose terminal is in the background: the bell and a
desktop notification (OSC 777 and OSC 9), for the kinds they chose in ``[notify]``.

Only while the terminal has said the board lost focus (Textual's ``AppBlur``, from
the focus reports it turns on): a terminal that never reports focus leaves the app
focused, so it gets toasts only, and nobody looking at the board hears a bell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from textual.app import App

from prodboard.config.ui import Notify
from prodboard.domain.notify import BEL, desktop_escapes, kind_of
from prodboard.domain.values import EventView
from prodboard.services.alerts import Alert
from prodboard.services.context import Workspace
from prodboard.tui.reads import People
from prodboard.tui.textual_private import write_to_terminal

MOST_AT_ONCE = 3  # desktop notifications for one batch of changes; the rest wait in the inbox


class Background:
    """Decides, for each batch of alerts, what to write to the terminal."""

    def __init__(self, app: App[Any], session: Callable[[], Workspace],
                 prefs: Callable[[], Notify], people: Callable[[], People]) -> None:
        self.app = app
        self.session = session  # the board's workspace now (it changes on reopen)
        self.prefs = prefs  # the person's [notify] now (the settings screen changes it)
        self.people = people  # the feed's team (read for this batch's alerts already)
        self.seen = 0  # the last event id already considered: a growing burst rings once

    def arrived(self, bursts: Mapping[str, Sequence[EventView]],
                alerts: Mapping[str, Sequence[Alert]]) -> None:
        """The feed's alerts of one batch, by actor, with the events it added to each
        actor's open burst (``Reads.bursts``)."""
        fresh = {ev.id: ev for run in bursts.values() for ev in run if ev.id > self.seen}
        if not fresh:
            return
        self.seen = max(fresh)
        prefs = self.prefs()
        chosen = set(prefs.desktop)
        if self.app.app_focus or not chosen:
            return
        due = [alert for actor in alerts for alert in alerts[actor]
               if chosen & self._kinds(alert, fresh)]
        if not due:
            return
        out = BEL if prefs.bell else ""
        for alert in due[:MOST_AT_ONCE]:
            out += desktop_escapes(_title(alert), alert.text)
        write_to_terminal(self.app, out)

    def _kinds(self, alert: Alert, fresh: Mapping[int, EventView]) -> set[str]:
        session = self.session()
        stage = session.workflow.gate_stage("approval")
        review = stage.key if stage is not None else None
        # a burst's ids ascend and the fresh ones are the newest: they are at its end
        events = [fresh[i] for i in alert.event_ids[-len(fresh):] if i in fresh]
        return {kind for ev in events
                if (kind := kind_of(ev, session.user, self._my_roles(ev), review))}

    def _my_roles(self, event: EventView) -> tuple[str, ...]:
        """Mine, for "@editor" mentions."""
        if event.kind != "comment.added":
            return ()
        session = self.session()
        person = self.people().get(session).get(session.user)
        return person.roles if person else ()


def _title(alert: Alert) -> str:
    return f"prodboard: @{alert.actor}" if alert.actor else "prodboard"

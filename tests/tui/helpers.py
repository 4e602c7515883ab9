"""Helpers shared by the live-board tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.widgets._toast import Toast

from prodboard.domain.values import EventView
from prodboard.services.alerts import Alert
from prodboard.tui.app import ProdboardApp
from prodboard.tui.toasts import continued


def shown_toasts(screen: DOMNode) -> list[Toast]:
    """The toasts a person sees on ``screen``: the rack keeps spare ones mounted, hidden."""
    return [t for t in screen.query(Toast)
            if t.parent is not None and t.parent.display and t.parent.parent is not None
            and t.parent.parent.display]


def shown_alerts(app: ProdboardApp, *, time_alerts: bool = True) -> list[Alert]:
    """The alerts the app shows, as a person would count them: when a burst grows,
    its toast is rewritten, so the list holds the burst's latest alerts only.
    ``time_alerts=False`` leaves out the ones the board raises itself (alert.*)."""
    seen: list[Alert] = []
    toasts = app.toasts
    original = toasts.show_burst

    def show(actor: str, events: list[EventView], alerts: list[Alert]) -> None:
        previous = toasts.bursts.get(actor)
        if previous is not None and continued(previous.events, events):
            for old in previous.alerts:
                if old in seen:
                    seen.remove(old)
        seen.extend(a for a in alerts if time_alerts or not a.kind.startswith("alert."))
        original(actor, events, alerts)

    toasts.show_burst = show  # type: ignore[method-assign]
    return seen


async def until(pilot: Any, check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Let the app run until ``check()`` holds; fail after ``timeout`` seconds (a
    deadline for correctness, generous for a loaded machine: it costs nothing when
    the check holds sooner)."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        await pilot.pause(0.02)

"""The feed's open bursts (tui/reads.py, plain Python): my alert for a burst that
grows over many batches is kept up event by event, and is the alert the inbox's
rules make of the same events read at once, however the feed split them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import prodboard.services.alerts as alerts_module
from prodboard.domain.audience import AlertContext
from prodboard.domain.values import EventView, RecipientView
from prodboard.domain.workflow import default_workflow
from prodboard.services.alerts import Alert, alerts_for
from prodboard.storage.queries import Stored
from prodboard.tui.reads import OpenBurst, add_heard, open_bursts

WF = default_workflow()
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def stream() -> tuple[list[EventView], Stored]:
    """Ben writes every 0.2 s (his burst never closes), Ana twice with a pause, and
    chloe herself; chloe hears the comments on her piece 7 and Ana's moves."""
    events: list[EventView] = []
    stored: Stored = {}
    for n in range(60):
        at = START + timedelta(seconds=0.2 * n + (5 if n >= 40 else 0))  # one pause
        eid = n + 1
        if n % 3 == 0:
            ev = EventView(eid, at.isoformat(), "ben", "comment.added", 7,
                           {"title": "Launch", "body": f"note {n}"})
            stored[eid] = {"chloe": RecipientView("chloe", "owner", "information")}
        elif n % 3 == 1:
            ev = EventView(eid, at.isoformat(), "ben", "piece.edited", n % 5 + 1,
                           {"title": f"T{n}", "changes": {"title": [f"T{n}", f"U{n}"]}})
            stored[eid] = {}
        elif n % 10 == 2:
            ev = EventView(eid, at.isoformat(), "chloe", "piece.edited", 7,
                           {"title": "Launch", "changes": {"due": [None, "2026-04-01"]}})
            stored[eid] = {}
        else:
            ev = EventView(eid, at.isoformat(), "ana", "piece.moved", 7,
                           {"title": "Launch", "changes": {"stage": ["draft", "review"]}})
            stored[eid] = {"chloe": RecipientView("chloe", "owner", "warning")}
        events.append(ev)
    return events, stored


def by_actor(events: list[EventView], stored: Stored) -> dict[str, list[Alert]]:
    """The rules on every event at once, one actor at a time (the feed keeps each
    actor's burst apart)."""
    ctx = AlertContext(WF, stored=stored)
    actors = dict.fromkeys(ev.actor for ev in events if ev.actor != "chloe")
    return {a: alerts_for("chloe", [ev for ev in events if ev.actor == a], ctx) for a in actors}


def fed(events: list[EventView], stored: Stored, size: int) -> dict[str, list[Alert]]:
    """Each actor's alerts as the feed last showed them, in batches of ``size``."""
    bursts: dict[str, OpenBurst] = {}
    shown: dict[str, list[Alert]] = {}
    for i in range(0, len(events), size):
        batch = events[i:i + size]
        grown = open_bursts(bursts, batch, "chloe", WF)
        rows = {ev.id: stored[ev.id] for ev in batch}
        for actor, alerts in add_heard(grown, AlertContext(WF, stored=rows)).items():
            earlier = [a for a in shown.get(actor, []) if a.last_id < alerts[0].first_id] \
                if alerts else shown.get(actor, [])
            shown[actor] = earlier + alerts
    return shown


@pytest.mark.parametrize("size", [1, 2, 7, 60])
def test_a_burst_fed_in_batches_is_the_burst_read_at_once(size: int) -> None:
    events, stored = stream()
    whole = by_actor(events, stored)
    assert [len(whole["ben"]), len(whole["ana"])] == [2, 2]  # the pause splits both
    assert whole["ben"][0].text.startswith("ben commented 14 times on 'Launch'")
    assert fed(events, stored, size) == whole


def test_each_event_is_gone_over_once_however_long_the_burst(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked: list[int] = []
    hears = alerts_module.hears

    def counting(handle: str, event: EventView, ctx: AlertContext) -> bool:
        looked.append(event.id)
        return hears(handle, event, ctx)

    monkeypatch.setattr(alerts_module, "hears", counting)
    events, stored = stream()
    fed(events, stored, 1)
    others = [ev.id for ev in events if ev.actor != "chloe"]
    assert sorted(looked) == others  # once each: a batch adds its events, no rerun

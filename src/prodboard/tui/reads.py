"""What the feed worker reads for a batch of events, on a thread, before the app paints.

Plain Python (no Textual): the pieces the events touch, the people away when a person
changed, and each actor's alerts for their open burst. A batch costs two reads, its
pieces and the recipient rows of its new events: who hears an event is the row stored
with it, and the people are read once, then again only after a ``person.*`` event.
A burst carries over from one batch to the next exactly when the core's
``alerts.continues`` says so: bursts are grouped by event time, once, by the same rule
the inbox uses, so a toast and the inbox agree however the feed happened to split the
events into batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from prodboard.domain.audience import AlertContext
from prodboard.domain.values import EventView, PersonView
from prodboard.domain.workflow import Workflow
from prodboard.services.alerts import Alert, BurstSummary, continues, read_recipients
from prodboard.services.context import Workspace
from prodboard.storage.queries import Stored
from prodboard.tui.messages import Reads


@dataclass
class OpenBurst:
    """One actor's burst as the feed has seen it so far: its first and last events and
    my alert for it, kept up event by event (``BurstSummary``), so a burst that never
    closes (one person writing steadily) costs each batch only its new events."""

    first: EventView
    last: EventView
    summary: BurstSummary
    new: list[EventView] = field(default_factory=list)  # what the batch being read adds


@dataclass
class Grown:
    """The bursts a batch adds to, for one actor: the one it continues or starts, and
    any it starts after that (a batch may span a pause)."""

    bursts: list[OpenBurst]

    @property
    def events(self) -> list[EventView]:
        """The first burst's first event, then the batch's events: what the toasts
        compare with the last batch to see that a burst grew."""
        head = self.bursts[0]
        events = [ev for burst in self.bursts for ev in burst.new]
        return events if events[0] is head.first else [head.first, *events]


def open_bursts(previous: dict[str, OpenBurst], events: Sequence[EventView],
                me: str, wf: Workflow) -> dict[str, Grown]:
    """The bursts ``events`` grow, by actor (mine are left out: they never alert me).
    ``previous`` (each actor's open burst) is updated in place; what the events add to
    my alerts is ``add_heard``'s, once their recipients are read."""
    mine = me.lower()
    grown: dict[str, Grown] = {}
    for ev in events:
        if ev.actor.lower() == mine:
            continue
        burst = previous.get(ev.actor)
        if burst is None or not continues(burst.last, ev):
            burst = previous[ev.actor] = OpenBurst(ev, ev, BurstSummary(wf, me))
        touched = grown.setdefault(ev.actor, Grown([]))
        if not touched.bursts or touched.bursts[-1] is not burst:
            touched.bursts.append(burst)
            burst.new = []  # an earlier batch's events are in its summary already
        burst.last = ev
        burst.new.append(ev)
    return grown


def add_heard(grown: dict[str, Grown], ctx: AlertContext) -> dict[str, list[Alert]]:
    """Add the batch's events I hear (``ctx`` holds their recipient rows) to their
    bursts; my alerts for each burst they grew, by actor."""
    alerts: dict[str, list[Alert]] = {}
    for actor, touched in grown.items():
        alerts[actor] = []
        for burst in touched.bursts:
            for ev in burst.new:
                burst.summary.hear(ev, ctx)
            if burst.summary:
                alerts[actor].append(burst.summary.alert())
    return alerts


class People:
    """The board's people as the feed last read them. Every change to a person is a
    ``person.*`` event, so the feed's batches say when to read them again."""

    def __init__(self, known: Sequence[PersonView] | None = None) -> None:
        """``known``: the people the board was just read with (read again if None)."""
        self._known: dict[str, PersonView] | None = (
            None if known is None else {p.handle: p for p in known})

    def saw(self, events: Sequence[EventView]) -> bool:
        """Note a batch (mine included); True when a person changed in it."""
        changed = any(e.kind.startswith("person.") for e in events)
        if changed:
            self._known = None
        return changed

    def get(self, session: Workspace) -> dict[str, PersonView]:
        """Blocking when they must be read again."""
        known = self._known
        if known is None:
            known = self._known = {p.handle: p for p in session.queries.people()}
        return known


def read_batch(session: Workspace, events: Sequence[EventView],
               grown: dict[str, Grown], people: People) -> Reads:
    """Blocking: read what ``events`` touch (``grown`` from ``open_bursts``; ``people``
    has seen the batch), and add to each burst's alert what the batch brings: only
    the new events' recipient rows are read, and nothing earlier is gone over."""
    q = session.queries
    ids = {e.piece_id for e in events if e.piece_id is not None}
    # A reorder swaps ranks with a neighbour, whose own row changes without an event.
    ids |= {int(e.data["swapped_with"]) for e in events if e.data.get("swapped_with")}
    pieces = q.pieces(ids=ids, archived=None) if ids else []
    people_changed = any(e.kind.startswith("person.") for e in events)
    team = people.get(session) if grown or people_changed else {}
    away = {h for h, p in team.items() if p.away} if people_changed else None
    rows: Stored = {}  # every actor's new rows in one read
    read_recipients(q, session.user, (ev for g in grown.values() for b in g.bursts
                                      for ev in b.new), rows)
    alerts = add_heard(grown, AlertContext(q.wf, people=team, stored=rows))
    return Reads(pieces=pieces, alerts=alerts,
                 bursts={actor: g.events for actor, g in grown.items()}, away=away)

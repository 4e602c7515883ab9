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

from prodboard.domain.values import EventView, PersonView
from prodboard.services.alerts import alerts_in, bursts, continues, read_recipients
from prodboard.services.context import Workspace
from prodboard.storage.queries import Stored
from prodboard.tui.messages import Reads


def open_bursts(previous: dict[str, list[EventView]], events: Sequence[EventView],
                me: str) -> dict[str, list[EventView]]:
    """Each actor's burst as it stands after ``events`` (mine are left out: they never
    alert me). ``previous`` is updated in place."""
    mine = me.lower()
    grown: dict[str, list[EventView]] = {}
    for ev in events:
        if ev.actor.lower() == mine:
            continue
        run = grown.get(ev.actor)
        if run is None:
            before = previous.get(ev.actor)
            # only the burst still open carries over (an earlier one in it has ended)
            run = [*bursts(before)[-1]] if before and continues(before[-1], ev) else []
            grown[ev.actor] = run
        run.append(ev)
    previous.update(grown)
    return grown


def forget_closed(cache: Stored, bursts: dict[str, list[EventView]]) -> None:
    """Keep the cached recipient rows of the open bursts' events only."""
    open_ids = {ev.id for run in bursts.values() for ev in run}
    for i in [i for i in cache if i not in open_ids]:
        del cache[i]


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
               grown: dict[str, list[EventView]], cache: Stored, people: People) -> Reads:
    """Blocking: read what ``events`` touch (``grown`` from ``open_bursts``; ``people``
    has seen the batch). ``cache`` keeps the recipient rows of the open bursts, so a
    long burst is not re-read with every batch that grows it."""
    q = session.queries
    ids = {e.piece_id for e in events if e.piece_id is not None}
    # A reorder swaps ranks with a neighbour, whose own row changes without an event.
    ids |= {int(e.data["swapped_with"]) for e in events if e.data.get("swapped_with")}
    pieces = q.pieces(ids=ids, archived=None) if ids else []
    people_changed = any(e.kind.startswith("person.") for e in events)
    team = people.get(session) if grown or people_changed else {}
    away = {h for h, p in team.items() if p.away} if people_changed else None
    # every actor's new rows in one read; alerts_in then finds them all in the cache
    read_recipients(q, session.user, (ev for run in grown.values() for ev in run), cache)
    alerts = {actor: alerts_in(q, session.user, run, cache, people=team)
              for actor, run in grown.items()}
    return Reads(pieces=pieces, alerts=alerts, bursts=grown, away=away)

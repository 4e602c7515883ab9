"""The figures of one board: its history replayed once, then kept up to date.

One implementation for the CLI's ``report`` and the board's Metrics screen.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from prodboard.config.metrics import MetricsSettings, load_metrics
from prodboard.domain import replay_state
from prodboard.domain.health import Health, Kpi, health, kpis
from prodboard.domain.metrics import EVERYTHING, Period, Report, Scope, compute, weeks_to
from prodboard.domain.piece_figures import Memo
from prodboard.domain.replay import TRACKED, Replay
from prodboard.domain.track_metrics import with_tracks
from prodboard.errors import Busy, StoreError
from prodboard.services.context import Workspace
from prodboard.storage.history import (
    MEASURED,
    measured_events,
    people_rows,
    piece_rows,
    track_rows,
)
from prodboard.storage.replay_cache import Cached, read_cache, write_cache

REGROUPING = ("piece.edited", "piece.assigned")
CACHE_KEY = "figures"
# Rewrite the cache once this many events were replayed past it: replaying a few
# hundred costs less than writing the whole replay down again.
CACHE_EVERY = 500


@dataclass
class Figures:
    """A board's replayed history and its measuring settings."""

    ws: Workspace
    settings: MetricsSettings = field(default_factory=MetricsSettings)
    replay: Replay | None = None
    # Reports of periods that ended before today: new events (which happen now) change
    # them only by editing a piece's format, owner, channels or cost.
    past: dict[tuple[Period, Scope], Report] = field(default_factory=dict)
    # Each piece's share of the periods asked for lately: a refresh works out again
    # only the shares of the pieces its events touched (domain/piece_figures.py).
    memo: Memo = field(default_factory=Memo)
    # The screen replays new events in one thread while a key recomputes in another.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def open(ws: Workspace, *, replay: bool = True) -> Figures:
        """The board's figures; ``replay=False``: only the settings, ``load()`` later
        (after the caller checked its input, so bad input writes no cache)."""
        figures = Figures(ws, load_metrics(ws.config_path))
        if replay:
            figures.load()
        return figures

    def fingerprint(self) -> str:
        """What a cached replay must have been made with to be this board's replay."""
        made_with = repr((replay_state.FORMAT, MEASURED, TRACKED, self.ws.workflow,
                          str(self.settings.timezone)))
        return hashlib.sha256(made_with.encode()).hexdigest()

    def load(self, *, cache: bool = True) -> None:
        """The replay of the whole history: the cached one (when it was made the same
        way) and the events after it; the cache is rewritten when it fell behind."""
        with no_collection():
            self._load(cache)

    def _load(self, cache: bool) -> None:
        store = self.ws.store
        fingerprint = self.fingerprint()
        cached = read_cache(store, CACHE_KEY) if cache else None
        replay = None
        if cached is not None and cached.fingerprint == fingerprint:
            try:
                replay = replay_state.load(self.ws.workflow, json.loads(cached.state))
            except (ValueError, KeyError, TypeError, IndexError):
                replay = None  # unreadable: replay from the start and rewrite it
        self.memo, self.past = Memo(), {}
        if replay is None:
            self.replay = Replay(self.ws.workflow)
            self.replay.add(measured_events(store), piece_rows(store), people_rows(store))
        else:
            self.replay = replay
            replay.add((), {}, people_rows(store))  # people added since, as a full replay has
        behind = self._refresh() if replay is not None else None
        if cache and (behind is None or behind >= CACHE_EVERY):
            # Only a head start for the next run: a board busy past the timeout (or
            # whose file went meanwhile, which the next read says) does not stop this one.
            with contextlib.suppress(Busy, StoreError):
                self.save()

    def save(self) -> bool:
        """Write the replay down (False: a read-only board, nothing written)."""
        assert self.replay is not None
        state = json.dumps(replay_state.dump(self.replay), separators=(",", ":"))
        return write_cache(self.ws.store, CACHE_KEY,
                           Cached(self.replay.cursor, self.fingerprint(), state))

    def refresh(self) -> int:
        """Replay what happened since the last replay (only the new events; the rows of
        pieces first seen in them). Returns how many events were applied."""
        with self.lock:
            return self._refresh()

    def _refresh(self) -> int:
        assert self.replay is not None
        events = list(measured_events(self.ws.store, self.replay.cursor))
        if not events:
            return 0
        new = sorted({e.piece_id for e in events
                      if e.piece_id is not None and e.piece_id not in self.replay.pieces})
        rows = piece_rows(self.ws.store, new) if new else {}
        people = people_rows(self.ws.store) if any(e.kind.startswith("person.") for e in events) else ()
        if any(e.kind in REGROUPING for e in events):
            self.past.clear()
        return self.replay.add(events, rows, people)

    def now(self) -> datetime:
        return self.ws.board.clock()

    def today(self) -> date:
        return self.now().astimezone(self.settings.timezone).date()

    def report(self, period: Period, scope: Scope = EVERYTHING) -> Report:
        assert self.replay is not None
        tracks = track_rows(self.ws.store)
        with self.lock, no_collection():
            report = compute(self.replay, period, self.now(), self.settings.timezone, scope,
                             self.memo)
            return with_tracks(report, tracks, self.replay, self.settings.timezone)

    def tiles(self, period: Period, scope: Scope = EVERYTHING) -> tuple[Report, tuple[Kpi, ...]]:
        """The period's report and its KPIs against the period before."""
        current = self.report(period, scope)
        before = period.previous()
        previous = self.past.get((before, scope))
        if previous is None:
            previous = self.report(before, scope)
            if before.until < self.today():
                self.past[(before, scope)] = previous
        return current, kpis(current, previous, self.settings.targets)

    def health(self, month: Period, scope: Scope = EVERYTHING) -> Health:
        assert self.replay is not None
        tracks = track_rows(self.ws.store)
        with self.lock, no_collection():
            return health(self.replay, month, self.now(), self.settings.timezone,
                          self.settings.targets, scope, tracks=tracks, memo=self.memo)

    def default_period(self, weeks: int = 12) -> Period:
        return weeks_to(self.today(), weeks)


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """The cyclic collector off while a replay is built or its figures worked out: they
    make some 100,000 objects, none of them garbage, and the collector's passes over
    them (and the replay's million) cost half the time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()

"""The change feed: every new event, in order, exactly once, soon after its commit.

Backend-neutral: it knows the contract of ``storage/backend.py`` and nothing of
files, pragmas or servers.

- the backend's wake-up source says "there may be new events" (SQLite: a file
  watcher confirmed by ``PRAGMA data_version``; PostgreSQL: LISTEN/NOTIFY). It is
  only a wake-up call; its ``probe()`` token lets a wake-up that changed nothing
  skip the read;
- then ``events WHERE id > cursor ORDER BY id`` is read, a page at a time, and the
  cursor advances. Every backend hands out event ids in commit order, so this never
  skips nor repeats (why, per backend: ``storage/backend.py``);
- a fallback poll every ``poll_interval`` seconds reads regardless. Wake-ups can be
  missed (network shares, inotify limits, a dropped connection), so the poll is the
  ground truth and the wake-up source only makes it fast.

A board deleted or replaced under the feed (``Backend.lost``) raises ``FeedLost``
instead of following a ghost.

Nothing here imports Textual. ``ChangeFeed.batches()`` is for an async worker (the
wake-up source waits in its own thread, reads run in ``asyncio.to_thread``);
``follow_events`` is the blocking form for ``prodboard log --follow``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from typing import NoReturn

from prodboard.domain.values import EventView
from prodboard.domain.workflow import default_workflow
from prodboard.errors import Busy, ProdboardError, StoreError
from prodboard.settings import current as current_settings
from prodboard.storage.backend import Backend, Unreachable
from prodboard.storage.queries import Queries

DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_PAGE_SIZE = 1000
_FOLLOWING = "changes are no longer followed: reopen the board"


class FeedLost(ProdboardError):
    """The board was deleted or replaced while the feed followed it."""

    exit_code = 1


def watcher_wanted() -> bool:
    """False when PRODBOARD_WATCH=0 (or false/no/off): poll only."""
    return current_settings().watch


@dataclass(frozen=True)
class _Read:
    """What one check found; accepted (cursor advanced) only once it is delivered."""

    version: int | None
    events: list[EventView]
    full: bool  # a whole page came back: more may be waiting
    reached: bool = True  # False: the server was not asked, or could not be reached
    outage: str | None = None  # why the server could not be reached


class ChangeFeed:
    """Tells one subscriber every event after ``cursor``, in order, exactly once.

    One feed serves one subscriber: ``batches()`` (async), ``follow()`` (blocking)
    or ``poll()`` calls. ``close()`` ends whichever is running, from any thread.
    In a Textual app (the core never imports Textual; this is the intended use)::

        @work(exclusive=True, group="feed", exit_on_error=False)
        async def follow_changes(self) -> None:
            async for batch in self.feed.batches():
                alerts = await asyncio.to_thread(alerts_in, queries, me, batch)
                self.post_message(BoardChanged(batch, alerts))

    Construct it off the event loop or accept one small blocking open (the wake-up
    source's connection).
    """

    def __init__(
        self,
        store: Backend,
        cursor: int = 0,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        use_watcher: bool = True,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self.store = store
        self.poll_interval = float(poll_interval)
        self.use_watcher = use_watcher and watcher_wanted()
        self.page_size = page_size
        self._queries = Queries(store, default_workflow())  # events_since needs no workflow
        self._cursor = int(cursor)
        self._data_version: int | None = None  # None: the next check reads whatever it finds
        self._lock = threading.Lock()  # one check at a time on the probe; cursor updates
        self._closed = threading.Event()
        self._on_close: list[Callable[[], None]] = []
        self._own_error: str | None = None
        self.unreachable: str | None = None  # why the last read could not reach the server
        self.delivered = 0  # how many events this feed has delivered (counts a catch-up)
        self._check_lost()
        try:
            self._wake = store.wake_source()
        except StoreError as exc:
            self._lost_or(exc)
        # The board the store opened (its connections hold it): one swapped in since,
        # even while the source was opening, is not ours.
        try:
            self._check_lost()
        except FeedLost:
            self._wake.close()
            raise

    # -- public ----------------------------------------------------------------
    @property
    def cursor(self) -> int:
        """The id of the last event delivered (or the starting cursor)."""
        return self._cursor

    @property
    def watcher_error(self) -> str | None:
        """Why the fast wake-up is not running, if it failed (the poll carries on)."""
        return self._own_error or self._wake.error

    def poll(self) -> list[EventView]:
        """One synchronous check: the events committed since the cursor (at most one
        page), now delivered. Raises FeedLost when the board went away."""
        return self._accept(self._read(force=True))

    def close(self) -> None:
        """Stop the running ``batches()`` / ``follow()`` and release the wake-up
        source. Safe from any thread, and more than once."""
        if self._closed.is_set():
            return
        self._closed.set()
        for stop in list(self._on_close):
            with contextlib.suppress(RuntimeError):  # the subscriber's loop is closed
                stop()
        with self._lock:  # waits for a check in flight (milliseconds)
            self._wake.close()

    def __enter__(self) -> ChangeFeed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def batches(self) -> AsyncGenerator[list[EventView], None]:
        """Yield one non-empty, ordered list of new events per wake-up, until close().

        Never blocks the event loop: the wake-up source waits in its own thread and
        each check runs in ``asyncio.to_thread``. The first check runs at once, so
        events already after the cursor come first. Raises FeedLost if the board goes
        away. Cancelling the task running this (a Textual worker) stops it cleanly; a
        batch being read when that happens is not counted as delivered.
        """
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        stop_hints = threading.Event()

        def on_close() -> None:
            stop_hints.set()
            loop.call_soon_threadsafe(wake.set)

        self._on_close.append(on_close)
        hinter: asyncio.Task[None] | None = None
        if self.use_watcher and not self._closed.is_set():
            hinter = asyncio.create_task(self._wake_on_hints(wake, stop_hints))
        try:
            force = True
            next_poll = loop.time()
            while not self._closed.is_set():
                if not force:
                    delay = next_poll - loop.time()
                    if delay > 0 and not wake.is_set():
                        # asyncio.timeout, not wait_for: on 3.11 wait_for drops a
                        # cancellation that lands as the wake-up does (the task then
                        # waited out the poll interval instead of ending)
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(delay):
                                await wake.wait()
                    if self._closed.is_set():
                        break
                    wake.clear()  # a commit during the read below wakes the next round
                    force = loop.time() >= next_poll
                if force:
                    next_poll = loop.time() + self.poll_interval
                read = await asyncio.to_thread(self._read, force)
                if self._closed.is_set():
                    break  # not delivered, so the cursor stays where it was
                batch = self._accept(read)
                force = read.full
                if batch:
                    yield batch
        finally:
            stop_hints.set()
            self._on_close.remove(on_close)
            if hinter is not None:
                _, pending = await asyncio.wait({hinter}, timeout=2)
                for task in pending:
                    task.cancel()

    def follow(self) -> Iterator[list[EventView]]:
        """Blocking form of ``batches()``: yield each non-empty batch until close().

        Ctrl-C raises KeyboardInterrupt out of the wait; FeedLost is raised if the
        board goes away.
        """
        stop_hints = threading.Event()
        on_close = stop_hints.set
        self._on_close.append(on_close)
        hints = self._wake.hints_sync(stop_hints, self.poll_interval) if self.use_watcher else None
        try:
            force = True
            next_poll = time.monotonic()
            while not self._closed.is_set():
                if force:
                    next_poll = time.monotonic() + self.poll_interval
                read = self._read(force)
                if self._closed.is_set():
                    break
                batch = self._accept(read)
                if batch:
                    yield batch
                if read.full:
                    continue  # force stays True: read the next page now
                if hints is not None:
                    changed = next(hints, None)
                    if changed is None:  # stopped by close(), or the source failed
                        hints = None
                        continue
                    force = not changed or time.monotonic() >= next_poll
                else:
                    self._closed.wait(max(0.0, next_poll - time.monotonic()))
                    force = True
        finally:
            stop_hints.set()
            self._on_close.remove(on_close)
            if hints is not None and hasattr(hints, "close"):
                hints.close()

    # -- waking --------------------------------------------------------------------
    async def _wake_on_hints(self, wake: asyncio.Event, stop: threading.Event) -> None:
        """Set ``wake`` on every hint of the source. A source that fails (or ends)
        leaves the poll alone in charge."""
        try:
            async for _ in self._wake.hints(stop):
                wake.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever broke it, the poll carries on
            self._own_error = f"{type(exc).__name__}: {exc}"

    # -- checking ------------------------------------------------------------------
    def _check_lost(self) -> None:
        why = self.store.lost(_FOLLOWING)
        if why is not None:
            raise FeedLost(why)

    def _lost_or(self, error: Exception) -> NoReturn:
        """Raise FeedLost if the board went away (the likely cause), else ``error``."""
        self._check_lost()
        raise error

    def _read(self, force: bool) -> _Read:
        """Check once (blocking): the events after the cursor, if the source's probe
        says something was committed or ``force`` (the poll) asks regardless."""
        with self._lock:
            if self._closed.is_set():
                return _Read(None, [], False, reached=False)
            self._check_lost()
            try:
                version = self._wake.probe()
            except StoreError as exc:
                self._lost_or(exc)
            if not force and version is not None and version == self._data_version:
                return _Read(version, [], False, reached=False)
            try:
                events = self._queries.events_since(self._cursor, limit=self.page_size)
            except Busy:
                # A reader's snapshot saw a checkpoint land mid-read: that checkpoint
                # wakes the source again, so the next wake (or the poll) reads again.
                return _Read(None, [], False, reached=False)
            except Unreachable as exc:
                # The server is away: the cursor stays, and the next wake-up (the
                # source's reconnect) or poll reads everything after it.
                return _Read(None, [], False, reached=False, outage=exc.message)
            except StoreError as exc:
                self._lost_or(exc)
            # A board swapped in during the read must not pass for ours.
            self._check_lost()
            return _Read(version, events, len(events) >= self.page_size)

    def _accept(self, read: _Read) -> list[EventView]:
        """Deliver a read: advance the cursor past it (dropping anything another
        check already delivered) and remember the probe token it answered.

        ``unreachable`` changes here, with the cursor, so a subscriber that sees it
        cleared also sees ``delivered`` count the events caught up on."""
        with self._lock:
            if read.outage is not None:
                self.unreachable = read.outage
            elif read.reached:
                self.unreachable = None
            fresh = [ev for ev in read.events if ev.id > self._cursor]
            if fresh:
                self._cursor = fresh[-1].id
                self.delivered += len(fresh)
            if read.version is not None and not read.full:
                self._data_version = read.version
            return fresh


def follow_events(
    store: Backend,
    cursor: int,
    *,
    poll_interval: float | None = None,
    use_watcher: bool = True,
) -> Iterator[list[EventView]]:
    """Blocking: yield every batch of events after ``cursor`` as they are committed,
    forever (until Ctrl-C or FeedLost). For ``prodboard log --follow``; the poll
    interval defaults to PRODBOARD_POLL_INTERVAL."""
    if poll_interval is None:
        poll_interval = current_settings().poll_interval
    feed = ChangeFeed(store, cursor, poll_interval=poll_interval, use_watcher=use_watcher)
    try:
        yield from feed.follow()
    finally:
        feed.close()

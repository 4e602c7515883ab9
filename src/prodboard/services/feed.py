"""The change feed: every new event, in order, exactly once, soon after its commit.

How it notices (measured in ENGINEERING-NOTES, "Noticing other people's changes"):

- a watchfiles watcher on the database's *directory*, filtered to the board's own
  file names (a WAL commit touches only ``board.db-wal``; the -wal file comes and
  goes), with a 10 ms step. It is only a wake-up call;
- ``PRAGMA data_version`` on one dedicated autocommit connection confirms that some
  other connection committed (one probe costs microseconds);
- then ``events WHERE id > cursor ORDER BY id`` is read and the cursor advances.
  SQLite hands out event ids in commit order, so this never skips nor repeats;
- a fallback poll every ``poll_interval`` seconds reads regardless. File events can
  be missed (network shares, inotify limits, a watcher that failed to start), so
  the poll is the ground truth and the watcher only makes it fast.

The file at the board's path is compared with the one opened at the start: a board
deleted or replaced under the feed raises ``FeedLost`` instead of following a ghost.

Nothing here imports Textual. ``ChangeFeed.batches()`` is for an async worker (the
watcher waits in its own thread, reads run in ``asyncio.to_thread``);
``follow_events`` is the blocking form for ``prodboard log --follow``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from prodboard.domain.values import EventView
from prodboard.domain.workflow import default_workflow
from prodboard.errors import Busy, ProdboardError, StoreError
from prodboard.settings import current as current_settings
from prodboard.storage.queries import Queries
from prodboard.storage.store import Snapshot, Store

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_STEP_MS = 10
DEFAULT_DEBOUNCE_MS = 50
DEFAULT_PAGE_SIZE = 1000


class FeedLost(ProdboardError):
    """The board file was deleted or replaced while the feed followed it."""

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

    Construct it off the event loop or accept one small blocking open (the probe).
    """

    def __init__(
        self,
        store: Store,
        cursor: int = 0,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        use_watcher: bool = True,
        step_ms: int = DEFAULT_STEP_MS,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self.store = store
        self.poll_interval = float(poll_interval)
        self.use_watcher = use_watcher and watcher_wanted()
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.page_size = page_size
        self.watcher_error: str | None = None  # why the watcher is not running, if it failed
        self._queries = Queries(store, default_workflow())  # events_since needs no workflow
        self._names = frozenset(store.watched_names())
        self._cursor = int(cursor)
        self._data_version: int | None = None  # None: the next check reads whatever it finds
        self._lock = threading.Lock()  # one check at a time on the probe; cursor updates
        self._closed = threading.Event()
        self._on_close: list[Callable[[], None]] = []
        try:
            self._probe = store.probe_connection()
        except sqlite3.Error as exc:
            if store.file_identity() is None:
                raise self._lost() from exc
            raise StoreError(f"cannot open {store.path}: {exc}") from exc
        # The file the store opened (its pooled connections, and now the probe, hold it
        # open, so its inode cannot be reused): a board swapped in since is not ours.
        self._identity = store.identity
        if self._identity is None or store.file_identity() != self._identity:
            self._probe.close()
            raise self._lost()
        # A reader's snapshot probe never sees data_version move: every wake-up reads.
        self._probe_moves = not isinstance(self._probe, Snapshot)

    # -- public ----------------------------------------------------------------
    @property
    def cursor(self) -> int:
        """The id of the last event delivered (or the starting cursor)."""
        return self._cursor

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def poll(self) -> list[EventView]:
        """One synchronous check: the events committed since the cursor (at most one
        page), now delivered. Raises FeedLost when the board file went away."""
        return self._accept(self._read(force=True))

    def close(self) -> None:
        """Stop the running ``batches()`` / ``follow()`` and release the probe
        connection. Safe from any thread, and more than once."""
        if self._closed.is_set():
            return
        self._closed.set()
        for stop in list(self._on_close):
            try:
                stop()
            except RuntimeError:  # the subscriber's event loop is already closed
                pass
        with self._lock:  # waits for a check in flight (milliseconds)
            self._probe.close()

    def __enter__(self) -> ChangeFeed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def batches(self) -> AsyncGenerator[list[EventView], None]:
        """Yield one non-empty, ordered list of new events per wake-up, until close().

        Never blocks the event loop: the watcher waits in its own thread and each
        check runs in ``asyncio.to_thread``. The first check runs at once, so events
        already after the cursor come first. Raises FeedLost if the file goes away.
        Cancelling the task running this (a Textual worker) stops it cleanly; a batch
        being read when that happens is not counted as delivered.
        """
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        stop_watcher = threading.Event()

        def on_close() -> None:
            stop_watcher.set()
            loop.call_soon_threadsafe(wake.set)

        self._on_close.append(on_close)
        watcher: asyncio.Task[None] | None = None
        if self.use_watcher and not self._closed.is_set():
            watcher = asyncio.create_task(self._wake_on_files(wake, stop_watcher))
        try:
            force = True
            next_poll = loop.time()
            while not self._closed.is_set():
                if not force:
                    delay = next_poll - loop.time()
                    if delay > 0 and not wake.is_set():
                        try:
                            await asyncio.wait_for(wake.wait(), delay)
                        except TimeoutError:
                            pass
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
            stop_watcher.set()
            self._on_close.remove(on_close)
            if watcher is not None:
                _, pending = await asyncio.wait({watcher}, timeout=2)
                for task in pending:
                    task.cancel()

    def follow(self) -> Iterator[list[EventView]]:
        """Blocking form of ``batches()``: yield each non-empty batch until close().

        Ctrl-C raises KeyboardInterrupt out of the wait (watchfiles checks signals
        every step); FeedLost is raised if the file goes away.
        """
        stop_watcher = threading.Event()
        on_close = stop_watcher.set
        self._on_close.append(on_close)
        changes = self._watch_sync(stop_watcher) if self.use_watcher else None
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
                if changes is not None:
                    try:
                        changed = next(changes)
                    except StopIteration:  # stopped by close()
                        break
                    except Exception as exc:  # noqa: BLE001 - any watcher failure: poll on
                        self._watcher_failed(exc)
                        changes = None
                        continue
                    force = not changed or time.monotonic() >= next_poll
                else:
                    self._closed.wait(max(0.0, next_poll - time.monotonic()))
                    force = True
        finally:
            stop_watcher.set()
            self._on_close.remove(on_close)
            if changes is not None:
                changes.close()

    # -- watching ------------------------------------------------------------------
    def _is_ours(self, _change: Any, path: str) -> bool:
        return os.path.basename(path) in self._names

    def _watcher_failed(self, exc: BaseException) -> None:
        self.watcher_error = f"{type(exc).__name__}: {exc}"
        log.warning("prodboard: file watcher stopped (%s); polling every %g s",
                    self.watcher_error, self.poll_interval)

    async def _wake_on_files(self, wake: asyncio.Event, stop: threading.Event) -> None:
        """Set ``wake`` whenever one of the board's files changes (awatch waits in
        its own thread). A watcher that fails leaves the poll alone in charge."""
        try:
            from watchfiles import awatch

            async for _ in awatch(
                self.store.real_path.parent,
                watch_filter=self._is_ours,
                step=self.step_ms,
                debounce=self.debounce_ms,
                # awatch only calls is_set() (from its thread) and set(): a
                # threading.Event serves, and close() can set it from any thread.
                stop_event=cast(asyncio.Event, stop),
                recursive=False,
            ):
                wake.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - inotify limits, directory gone, ...
            self._watcher_failed(exc)

    def _watch_sync(self, stop: threading.Event) -> Generator[set[Any], None, None] | None:
        try:
            from watchfiles import watch
        except ImportError as exc:  # pragma: no cover - a declared dependency
            self._watcher_failed(exc)
            return None
        return watch(
            self.store.real_path.parent,
            watch_filter=self._is_ours,
            step=self.step_ms,
            debounce=self.debounce_ms,
            stop_event=stop,
            rust_timeout=max(1, int(self.poll_interval * 1000)),
            yield_on_timeout=True,  # an empty set: time for the fallback poll
            recursive=False,
        )

    # -- checking ------------------------------------------------------------------
    def _lost(self) -> FeedLost:
        now = self.store.file_identity()
        what = "deleted" if now is None else "replaced by another file"
        return FeedLost(
            f"the board file {self.store.path} was {what} while open; "
            "changes are no longer followed: reopen the board"
        )

    def _check_identity(self) -> None:
        if self.store.file_identity() != self._identity:
            raise self._lost()

    def _lost_or(self, error: Exception) -> NoReturn:
        """Raise FeedLost if the file went away (the likely cause), else ``error``."""
        if self.store.file_identity() != self._identity:
            raise self._lost() from error
        raise error

    def _read(self, force: bool) -> _Read:
        """Check once (blocking): the events after the cursor, if data_version says
        something was committed or ``force`` (the poll) asks regardless."""
        with self._lock:
            if self._closed.is_set():
                return _Read(None, [], False)
            self._check_identity()
            try:
                row = self._probe.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error as exc:
                self._lost_or(StoreError(f"cannot read {self.store.path}: {exc}"))
            version = int(row[0]) if self._probe_moves else None
            if not force and version is not None and version == self._data_version:
                return _Read(version, [], False)
            try:
                events = self._queries.events_since(self._cursor, limit=self.page_size)
            except Busy:
                # A reader's snapshot saw a checkpoint land mid-read: that checkpoint
                # touches the watched files, so the next wake (or the poll) reads again.
                return _Read(None, [], False)
            except StoreError as exc:
                self._lost_or(exc)
            # A file swapped in during the read must not pass for ours.
            self._check_identity()
            return _Read(version, events, len(events) >= self.page_size)

    def _accept(self, read: _Read) -> list[EventView]:
        """Deliver a read: advance the cursor past it (dropping anything another
        check already delivered) and remember the data_version it answered."""
        with self._lock:
            fresh = [ev for ev in read.events if ev.id > self._cursor]
            if fresh:
                self._cursor = fresh[-1].id
            if read.version is not None and not read.full:
                self._data_version = read.version
            return fresh


def follow_events(
    store: Store,
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

"""The SQLite wake-up source: a file watcher plus ``PRAGMA data_version``.

Measured in ENGINEERING-NOTES ("Noticing other people's changes"):

- a watchfiles watcher on the database's *directory*, filtered to the board's own
  file names (a WAL commit touches only ``board.db-wal``; the -wal file comes and
  goes), with a 3 ms step (each step takes the GIL for a moment: 3 ms keeps a
  board idle under 1 % of a core and the wake-up a few ms after the commit). It is
  only a wake-up call;
- ``PRAGMA data_version`` on one dedicated autocommit connection tells whether some
  other connection committed since the last probe (one probe costs microseconds).
  A reader's immutable snapshot never sees it move, so then every wake-up reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

from prodboard.errors import StoreError
from prodboard.storage.backend import StopFlag
from prodboard.storage.sqlite.engine import Snapshot, SQLiteStore

log = logging.getLogger(__name__)

DEFAULT_STEP_MS = 3
DEFAULT_DEBOUNCE_MS = 50


class FileWake:
    """Wake-ups for one feed on one SQLite board file."""

    def __init__(self, store: SQLiteStore, *, step_ms: int = DEFAULT_STEP_MS,
                 debounce_ms: int = DEFAULT_DEBOUNCE_MS) -> None:
        self.store = store
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.error: str | None = None
        self._names = frozenset(store.watched_names())
        try:
            self._probe = store.probe_connection()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {store.path}: {exc}") from exc
        # A reader's snapshot probe never sees data_version move: every wake-up reads.
        self._moves = not isinstance(self._probe, Snapshot)

    def probe(self) -> int | None:
        try:
            row = self._probe.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read {self.store.path}: {exc}") from exc
        return int(row[0]) if self._moves else None

    def _is_ours(self, _change: Any, path: str) -> bool:
        return os.path.basename(path) in self._names

    def _failed(self, exc: BaseException) -> None:
        self.error = f"{type(exc).__name__}: {exc}"
        log.warning("prodboard: file watcher stopped (%s); polling on", self.error)

    async def hints(self, stop: StopFlag) -> AsyncIterator[None]:
        """One hint per burst of changes to the board's files (awatch waits in its
        own thread). A watcher that fails ends the stream and leaves the poll."""
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
                yield None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - inotify limits, directory gone, ...
            self._failed(exc)

    def hints_sync(self, stop: StopFlag, timeout: float) -> Iterator[bool]:
        try:
            from watchfiles import watch

            changes = watch(
                self.store.real_path.parent,
                watch_filter=self._is_ours,
                step=self.step_ms,
                debounce=self.debounce_ms,
                stop_event=cast(Any, stop),
                rust_timeout=max(1, int(timeout * 1000)),
                yield_on_timeout=True,  # an empty set: time for the fallback poll
                recursive=False,
            )
            for changed in changes:
                yield bool(changed)
        except Exception as exc:  # noqa: BLE001 - any watcher failure: poll on
            self._failed(exc)

    def close(self) -> None:
        self._probe.close()

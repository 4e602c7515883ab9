"""The PostgreSQL wake-up source: LISTEN on the board's channel.

Writers NOTIFY ``prodboard_<board>`` with the new event's id from a trigger inside
their transaction (``schema.py``): delivered on commit, dropped on rollback. Each
feed LISTENs on its own autocommit connection that runs no other query, and takes
a notification only as a wake-up: the event table, read by cursor, is the truth.

When the connection drops (server restart, network), the source reconnects with
backoff (50 ms doubling to 2 s), LISTENs again and then wakes the feed once, which
reads everything after its cursor: what was committed meanwhile is caught up, and
nothing is delivered twice. ``error`` says "reconnecting…" while it is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator

import psycopg
from psycopg import sql

from prodboard.storage.backend import StopFlag
from prodboard.storage.postgres.engine import PostgresStore, translate

log = logging.getLogger(__name__)

_STEP_S = 0.2  # how often a wait looks at its stop flag
_BACKOFF_S = (0.05, 2.0)


class ListenWake:
    """Wake-ups for one feed on one PostgreSQL board."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.error: str | None = None
        self.reconnects = 0  # how many times the listener came back after a drop
        self._closed = threading.Event()
        self._users = 0  # waits running; the last one out closes a closed source
        self._mutex = threading.Lock()
        try:
            self._conn: psycopg.Connection[object] | None = self._connect()
        except psycopg.Error as exc:
            raise translate(store, exc, False) from exc

    def _connect(self) -> psycopg.Connection[object]:
        conn: psycopg.Connection[object] = psycopg.connect(
            self.store.address.dsn, autocommit=True, connect_timeout=5,
            application_name=f"prodboard listen {self.store.schema}"[:63],
        )
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.store.channel)))
        return conn

    def probe(self) -> None:
        """Nothing cheaper than the read itself: a notification is a real commit."""
        return None

    # -- waiting -------------------------------------------------------------------
    def _stopped(self, stop: StopFlag) -> bool:
        return stop.is_set() or self._closed.is_set()

    def _wait(self, timeout: float) -> bool:
        """True when at least one notification arrived within ``timeout`` (all that
        are waiting are consumed: one wake-up serves them all)."""
        assert self._conn is not None
        got = False
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            got = True
        if got:
            for _ in self._conn.notifies(timeout=0):
                pass
        return got

    def _reconnect(self, stop: StopFlag, exc: BaseException) -> bool:
        """Back off and reconnect until it works or the source stops."""
        delay = _BACKOFF_S[0]
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.error = f"reconnecting… ({str(exc).strip().splitlines()[0] if str(exc).strip() else exc})"
        log.warning("prodboard: listener lost its connection (%s)", self.error)
        while not self._stopped(stop):
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and not self._stopped(stop):
                time.sleep(min(_STEP_S, delay))
            try:
                self._conn = self._connect()
            except psycopg.Error as again:
                self.error = f"reconnecting… ({str(again).strip().splitlines()[0]})"
                delay = min(delay * 2, _BACKOFF_S[1])
                continue
            self.error = None
            self.reconnects += 1
            return True
        return False

    def hints_sync(self, stop: StopFlag, timeout: float) -> Iterator[bool]:
        with self._mutex:
            self._users += 1
        try:
            deadline = time.monotonic() + timeout
            while not self._stopped(stop):
                try:
                    if self._conn is None:
                        raise psycopg.OperationalError("not connected")
                    got = self._wait(max(0.0, min(_STEP_S, deadline - time.monotonic())))
                except psycopg.Error as exc:
                    if not self._reconnect(stop, exc):
                        return
                    got = True  # catch up on whatever was committed meanwhile
                if got:
                    yield True
                    deadline = time.monotonic() + timeout
                elif time.monotonic() >= deadline:
                    yield False
                    deadline = time.monotonic() + timeout
        finally:
            self._leave()

    async def hints(self, stop: StopFlag) -> AsyncIterator[None]:
        """The blocking waits run in a thread of their own; each hint is handed to
        the event loop."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bool] = asyncio.Queue()

        def run() -> None:
            try:
                for got in self.hints_sync(stop, 3600.0):
                    if got:
                        loop.call_soon_threadsafe(queue.put_nowait, True)
            except Exception as exc:  # noqa: BLE001 - any listener failure: the poll carries on
                self.error = f"{type(exc).__name__}: {exc}"
            finally:
                with contextlib.suppress(RuntimeError):  # the loop is already closed
                    loop.call_soon_threadsafe(queue.put_nowait, False)

        threading.Thread(target=run, name="prodboard-listen", daemon=True).start()
        while await queue.get():
            yield None

    # -- closing -------------------------------------------------------------------
    def _leave(self) -> None:
        with self._mutex:
            self._users -= 1
            last = self._users == 0
        if last and self._closed.is_set():
            self._close_now()

    def _close_now(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """From any thread: a wait in progress ends within ``_STEP_S`` and closes the
        connection on its way out; with none running it is closed now."""
        self._closed.set()
        with self._mutex:
            idle = self._users == 0
        if idle:
            self._close_now()

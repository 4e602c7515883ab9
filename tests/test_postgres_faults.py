"""Two boards open on one PostgreSQL board while another process writes; the server
ends the listeners' and the writer's connections mid-stream (``pg_terminate_backend``,
as an admin or a failover would). After reconnecting, every committed event reached
each board once, in order."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import PG_SERVER, new_pg_board
from sqlalchemy import event

from prodboard.services.context import Workspace, open_board
from prodboard.services.feed import ChangeFeed
from prodboard.storage.postgres.engine import PostgresStore
from prodboard.storage.store import remove_board

EVENTS = 60

# ben comments EVENTS times; a command cut off by the server is said to have saved
# nothing (Unreachable), so it is tried again. Every server process it connects to
# is written to the pid file, for the test to end.
WRITER = r"""
import sys, time
from sqlalchemy import event
from prodboard.storage.backend import Unreachable
from prodboard.services.context import open_board

url, pidfile, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = open_board(url, "ben")
pids = open(pidfile, "a")

@event.listens_for(s.store.engine, "connect")
def note(dbapi_conn, record):
    pids.write(f"{dbapi_conn.info.backend_pid}\n")
    pids.flush()

s.store.engine.dispose()  # connections made before the hook are not noted: none left
done = refused = 0
while done < n:
    try:
        s.board.comment(1, f"through the fault {done}")
        done += 1
    except Unreachable:
        refused += 1
        time.sleep(0.05)
    time.sleep(0.02)
s.close()
print(refused)
"""


@pytest.fixture
def demo_url() -> Iterator[str]:
    url = new_pg_board("faults")
    open_board(url, "ana", create=True, demo=True).close()
    yield url
    remove_board(url)


class Board:
    """One open board following the feed in a thread, as a running board does."""

    def __init__(self, url: str, user: str) -> None:
        self.session: Workspace = open_board(url, user)
        self.pids: list[int] = []
        store = self.session.store
        assert isinstance(store, PostgresStore)

        @event.listens_for(store.engine, "connect")
        def note(dbapi_conn: psycopg.Connection[object], record: object) -> None:
            self.pids.append(dbapi_conn.info.backend_pid)

        store.engine.dispose()
        self.start = self.session.queries.last_event_id()
        self.feed = ChangeFeed(store, self.start, poll_interval=30.0)  # LISTEN, not the poll
        self.got: list[int] = []
        self.error: BaseException | None = None  # what ended the following early
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()

    def _follow(self) -> None:
        try:
            for batch in self.feed.follow():
                self.got.extend(e.id for e in batch)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            self.error = exc

    def close(self) -> None:
        self.feed.close()
        self.thread.join(30)
        self.session.close()


def terminate(pids: list[int], schema: str) -> int:
    """End the given server processes and every listener of the board's channel."""
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid = ANY(%s) OR application_name = %s",
            (pids, f"prodboard listen {schema}"[:63])).fetchall()
    return sum(1 for (ended,) in rows if ended)


def reached(boards: list[Board], n: int) -> Callable[[], bool]:
    """Every board has had ``n`` events (or stopped following)."""
    return lambda: all(len(b.got) >= n or b.error is not None for b in boards)


def until(check: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_boards_get_every_event_once_through_cut_connections(
    demo_url: str, tmp_path: Path
) -> None:
    boards = [Board(demo_url, "chloe"), Board(demo_url, "hana")]
    schema = boards[0].session.store.details()["board_schema"]
    start = boards[0].start
    pidfile = tmp_path / "writer.pids"
    pidfile.touch()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, demo_url, str(pidfile), str(EVENTS)],
                              stdout=subprocess.PIPE, text=True)
    try:
        for share in (EVENTS // 3, 2 * EVENTS // 3):  # twice, mid-stream
            until(reached(boards, share))
            writer_pids = [int(p) for p in pidfile.read_text().split()]
            ended = terminate(writer_pids + [p for b in boards for p in b.pids], schema)
            assert ended >= 3  # the two listeners and the writer's connection at least
        out, _ = writer.communicate(timeout=300)
        assert writer.returncode == 0
        assert int(out.strip()) >= 1  # the writer was cut off, and retried
        check = open_board(demo_url, "ana")
        try:
            committed = [e.id for e in check.queries.events_since(start) if e.actor == "ben"]
        finally:
            check.close()
        assert len(committed) >= EVENTS
        until(reached(boards, len(committed)))
        time.sleep(0.3)  # anything late and twice would show now
        for b in boards:
            assert b.error is None
            assert b.got == committed  # every one, once, in commit order
            assert b.feed._wake.reconnects >= 2  # type: ignore[attr-defined]  # really cut
    finally:
        if writer.poll() is None:
            writer.kill()
        for b in boards:
            b.close()

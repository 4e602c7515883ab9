"""The SQLite engine: connections, pragmas, transactions, file identity, errors.

Connections use WAL, a busy timeout and foreign keys. pysqlite's own transaction
handling is switched off so that every writing transaction starts with
``BEGIN IMMEDIATE`` (a deferred BEGIN fails at once with "database is locked" when
its read lock must become a write lock, and pysqlite's default loses updates).
``BEGIN IMMEDIATE`` also makes one writer at a time per file, which is what keeps
event ids in commit order (see ``storage/backend.py``).

Every connection opens an escaped ``file:`` URI (a folder named ``team#1`` or
``100%`` is a path, not URI syntax), with ``mode=rw`` for writers so that SQLite
never creates a stray file, and ``mode=ro`` for readers. Readers never create
``-wal``/``-shm``: files they created would belong to them and lock the owner out
(see ``SQLiteStore._reader_uri``). Each write first checks that the file at the path
is still the one opened: a deleted or replaced board refuses writes instead of
committing to a ghost file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.pool import NullPool, QueuePool

from prodboard.errors import BadInput, Busy, StoreError
from prodboard.storage.backend import BackupCopy, BoardLost, WakeSource

# The board files this process holds open through a store, by (device, inode). Closing
# any other descriptor of such a file (a header check with open()) drops every POSIX
# lock SQLite holds on it in this process; another process closing then thinks it is
# the last and deletes the -wal and -shm under our connections (SQLite's "How To
# Corrupt An SQLite Database File", 2.2.1).
_OPEN_HERE: Counter[tuple[int, int]] = Counter()


def open_here(path: Path) -> bool:
    """True when a store of this process has the file at ``path`` open."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    return _OPEN_HERE[(st.st_dev, st.st_ino)] > 0


def is_read_only(path: Path) -> bool:
    """True when the file (or its directory, where WAL files go) is not writable.

    The mode bits are checked too: root can write anything, yet a file marked 0444
    is meant to be read only.
    """
    mode = path.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return True
    return not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)


def create_shared_file(path: Path) -> None:
    """Create an empty database file with group read/write, before SQLite opens it.

    SQLite creates files 0644 whatever the umask, and -wal/-shm copy the database
    file's mode, so this is the only way a second user in the group can write.
    """
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o664)
    os.close(fd)
    os.chmod(path, 0o664)


class FileLost(BoardLost):
    """The board file at the path was deleted or replaced while it was open."""


def lost_message(path: Path, now: tuple[int, int] | None, what_next: str) -> str:
    how = "deleted" if now is None else "replaced by another file"
    return f"the board file {path} was {how} while open; {what_next}"


def file_uri(path: Path, **params: str) -> str:
    """An SQLite ``file:`` URI for ``path``: every character that means something in a
    URI (``#``, ``?``, ``%``, spaces, non-ASCII) is percent-encoded."""
    uri = path.absolute().as_uri()
    return uri + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


class Snapshot(sqlite3.Connection):
    """A reader's connection opened with ``immutable=1`` (no -wal to read, and none
    may be created): it sees the database file as it was at ``signature``."""

    signature: tuple[int, ...] | None = None


def _signature(path: Path) -> tuple[int, ...] | None:
    """What changes when a checkpoint writes the database file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class SQLiteStore:
    """A board in one SQLite file: an engine plus the read and write transactions
    (the ``Backend`` contract of ``storage/backend.py``)."""

    kind = "sqlite"
    login: str | None = None  # a file has no login: who acts is --user or the OS login

    def __init__(self, path: Path, *, readonly: bool, busy_ms: int) -> None:
        self.path = path
        # SQLite follows a symlinked board to its real file and keeps -wal/-shm there.
        self.real_path = Path(os.path.realpath(path))
        self.readonly = readonly
        self.busy_ms = busy_ms
        self.location = str(path)
        self.identity = self.file_identity()  # the file this store belongs to
        self._held = self.identity
        if self._held is not None:
            _OPEN_HERE[self._held] += 1
        self.engine: Engine = self._make_engine()

    # -- connections -------------------------------------------------------
    def _reader_uri(self) -> tuple[str, bool]:
        """The URI a reader opens, and whether it is an immutable snapshot.

        A ``mode=ro`` connection creates ``-wal`` and ``-shm`` when they are missing
        and the folder is writable (then they belong to the reader and writers get
        "read-only" errors), and fails when the folder is not. So ``mode=ro`` is used
        only when both files exist (SQLite >= 3.22 reads them without writing). With
        no ``-wal`` nothing waits to be checkpointed, so the database file alone is
        the board: it is read with ``immutable=1`` and checked for change afterwards.
        """
        wal, shm = Path(f"{self.real_path}-wal"), Path(f"{self.real_path}-shm")
        if wal.exists() and shm.exists():
            return file_uri(self.path, mode="ro"), False
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(
                f"cannot read {self.path} without write access: {wal.name} holds changes "
                f"but {shm.name} is missing, and reading would create it; open the board "
                "once with write access"
            )
        return file_uri(self.path, mode="ro", immutable="1"), True

    def _open_reader(self, **kw: Any) -> sqlite3.Connection:
        uri, snapshot = self._reader_uri()
        before = _signature(self.path)
        if not snapshot:
            conn: sqlite3.Connection = sqlite3.connect(uri, uri=True, check_same_thread=False, **kw)
            return conn
        snap = sqlite3.connect(uri, uri=True, check_same_thread=False, factory=Snapshot, **kw)
        snap.signature = before
        return snap

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            raw = self._open_reader()
        else:
            # mode=rw: a board deleted under us is an error, never a new empty file.
            raw = sqlite3.connect(file_uri(self.path, mode="rw"), uri=True,
                                  check_same_thread=False)
        raw.isolation_level = None  # we emit BEGIN ourselves
        raw.execute(f"PRAGMA busy_timeout={self.busy_ms}")
        raw.execute("PRAGMA foreign_keys=ON")
        if not self.readonly:
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA journal_size_limit=8388608")
        return raw

    def _make_engine(self) -> Engine:
        # Pooled connections: opening one (and its pragmas) costs more than a commit.
        # A reader's connection is opened per transaction: whether it may use the -wal
        # is decided at each open, and a snapshot must not outlive its check.
        pool: dict[str, Any] = (
            {"poolclass": NullPool} if self.readonly
            else {"poolclass": QueuePool, "pool_size": 4, "max_overflow": 8}
        )
        engine = create_engine("sqlite+pysqlite://", creator=self._connect, **pool)

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    @contextmanager
    def write(self, *, shared: bool = False) -> Iterator[Connection]:
        """A writing transaction: BEGIN IMMEDIATE (one writer per file, so ``shared``
        changes nothing), committed on success."""
        if self.readonly:
            raise StoreError(f"{self.path} is read-only: changes cannot be saved")
        self.check_identity()
        with translate_errors(self), self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                # Under the write lock: a file swapped in before it was taken is
                # seen here, and nothing is committed to the ghost.
                self.check_identity()
                yield conn

    def check_identity(self) -> None:
        """Raise FileLost unless the file at the path is the one this store opened."""
        now = self.file_identity()
        if now != self.identity:
            raise FileLost(lost_message(self.path, now, "nothing was saved: reopen the board"))

    def event_id(self) -> None:
        return None  # AUTOINCREMENT under the one writer is already commit order

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A reading transaction (deferred BEGIN): one consistent snapshot."""
        with translate_errors(self), self.engine.connect() as conn:
            with conn.begin():
                yield conn
            raw = conn.connection.driver_connection
            if isinstance(raw, Snapshot) and _signature(self.path) != raw.signature:
                # A writer checkpointed into the file while it was read unlocked.
                raise Busy(f"{self.path} changed while it was being read; try again")

    def probe_connection(self) -> sqlite3.Connection:
        """A dedicated autocommit connection for ``PRAGMA data_version`` probes.

        It must stay out of any transaction, or data_version never changes. For a
        reader without a -wal it is a ``Snapshot``, whose data_version never moves.
        """
        if self.readonly:
            raw = self._open_reader(isolation_level=None)
        else:
            raw = sqlite3.connect(file_uri(self.path, mode="ro"), uri=True,
                                  check_same_thread=False, isolation_level=None)
        raw.execute(f"PRAGMA busy_timeout={self.busy_ms}")
        return raw

    def file_identity(self) -> tuple[int, int] | None:
        """(device, inode) of the file now at our path; None when it is gone."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino)

    def watched_names(self) -> set[str]:
        """The file names whose changes mean a commit may have happened (in the folder
        of ``real_path``, where SQLite puts them)."""
        name = self.real_path.name
        return {name, f"{name}-wal", f"{name}-shm", f"{name}-journal"}

    def schema_version(self) -> int:
        with self.read() as conn:
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())

    def wake_source(self) -> WakeSource:
        from prodboard.storage.sqlite.wake import FileWake

        return FileWake(self)

    def lost(self, what_next: str) -> str | None:
        now = self.file_identity()
        return None if now == self.identity else lost_message(self.path, now, what_next)

    # -- what info, backup, import and restore need --------------------------------------
    def details(self) -> dict[str, Any]:
        total = 0
        for suffix in ("", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                total += os.stat(f"{self.real_path}{suffix}").st_size
        wal = Path(f"{self.real_path}-wal")
        return {"path": str(self.path), "real_path": str(self.real_path), "bytes": total,
                "wal_bytes": wal.stat().st_size if wal.exists() else 0}

    def backup_to(self, target: Path, *, force: bool = False) -> BackupCopy:
        from prodboard.storage.sqlite.backup import backup_file

        return backup_file(self, target, force=force)

    def top_id(self, conn: Connection, table: str) -> int:
        top = int(conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one())
        # An AUTOINCREMENT table (event) never reuses an id: sqlite_sequence remembers.
        seq = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :t"),
                           {"t": table}).scalar()
        return max(top, int(seq or 0))

    def ids_written(self, conn: Connection, tables: Iterable[str]) -> None:
        # Nothing to do: SQLite's next id is past the largest in the table, and
        # AUTOINCREMENT moves sqlite_sequence past an id set by hand.
        return

    def clear_events(self, conn: Connection) -> None:
        from prodboard.storage.sqlite.schema import APPEND_ONLY, APPEND_ONLY_TRIGGERS

        for trigger in APPEND_ONLY_TRIGGERS:  # DDL is transactional in SQLite
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.exec_driver_sql("DELETE FROM event")
        for stmt in APPEND_ONLY:
            conn.exec_driver_sql(stmt)

    def close(self) -> None:
        self.engine.dispose()
        if self._held is not None:
            _OPEN_HERE[self._held] -= 1
            self._held = None


@contextmanager
def translate_errors(store: SQLiteStore) -> Iterator[None]:
    """Turn driver errors into one-line errors a person can act on."""
    try:
        yield
    except OperationalError as exc:
        raise _translate(store, exc) from exc
    except IntegrityError as exc:
        raise BadInput(f"the board refused the change: {exc.orig}") from exc
    except DatabaseError as exc:
        raise StoreError(f"{store.path} is not a prodboard database ({exc.orig})") from exc


def _translate(store: SQLiteStore, exc: OperationalError) -> Exception:
    msg = str(exc.orig)
    if "locked" in msg or "busy" in msg:
        return Busy(
            f"the board is busy: another process held the write lock for more than "
            f"{store.busy_ms / 1000:g} s; try again"
        )
    if "readonly" in msg or "read-only" in msg:
        return StoreError(f"{store.path} is read-only: changes cannot be saved")
    if "unable to open" in msg:
        return StoreError(f"cannot open {store.path}: {msg}")
    return StoreError(f"database error on {store.path}: {msg}")

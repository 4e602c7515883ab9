"""The SQLite store: every SQLite specific lives here.

Connections use WAL, a busy timeout and foreign keys. pysqlite's own transaction
handling is switched off so that every writing transaction starts with
``BEGIN IMMEDIATE`` (a deferred BEGIN fails at once with "database is locked" when
its read lock must become a write lock, and pysqlite's default loses updates).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool
from sqlmodel import SQLModel

from . import models
from .env import busy_timeout_ms
from .errors import BadInput, Busy, StoreError

SQLITE_HEADER = b"SQLite format 3\x00"
APP_ID = "prodboard"

_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS event_append_only_u BEFORE UPDATE ON event "
    "BEGIN SELECT RAISE(ABORT, 'the event table is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS event_append_only_d BEFORE DELETE ON event "
    "BEGIN SELECT RAISE(ABORT, 'the event table is append-only'); END",
)


def _migrate_1_to_2(conn: Connection) -> None:
    """Version 2 added watches and the raised-alert ledger."""
    SQLModel.metadata.create_all(conn, checkfirst=True)


# from-version -> step that brings the schema to from-version + 1
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migrate_1_to_2}


def _is_read_only(path: Path) -> bool:
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


class Store:
    """An open board database: an engine plus the read and write transactions."""

    def __init__(self, path: Path, *, readonly: bool, busy_ms: int) -> None:
        self.path = path
        self.readonly = readonly
        self.busy_ms = busy_ms
        self.engine: Engine = self._make_engine()

    # -- connections -------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            uri = f"file:{self.path}?mode=ro"
            raw = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            raw = sqlite3.connect(str(self.path), check_same_thread=False)
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
        engine = create_engine(
            "sqlite+pysqlite://", creator=self._connect, poolclass=QueuePool, pool_size=4,
            max_overflow=8,
        )

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A writing transaction: BEGIN IMMEDIATE, committed on success."""
        if self.readonly:
            raise StoreError(f"{self.path} is read-only: changes cannot be saved")
        with translate_errors(self):
            with self.engine.connect() as conn:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A reading transaction (deferred BEGIN): one consistent snapshot."""
        with translate_errors(self):
            with self.engine.connect() as conn:
                with conn.begin():
                    yield conn

    def probe_connection(self) -> sqlite3.Connection:
        """A dedicated autocommit connection for ``PRAGMA data_version`` probes.

        It must stay out of any transaction, or data_version never changes.
        """
        uri = f"file:{self.path}?mode=ro"
        raw = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
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
        """The file names whose changes mean a commit may have happened."""
        name = self.path.name
        return {name, f"{name}-wal", f"{name}-shm", f"{name}-journal"}

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def translate_errors(store: Store) -> Iterator[None]:
    """Turn driver errors into one-line errors a person can act on."""
    try:
        yield
    except OperationalError as exc:
        raise _translate(store, exc) from exc
    except IntegrityError as exc:
        raise BadInput(f"the board refused the change: {exc.orig}") from exc
    except DatabaseError as exc:
        raise StoreError(f"{store.path} is not a prodboard database ({exc.orig})") from exc


def _translate(store: Store, exc: OperationalError) -> Exception:
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


def open_store(
    path: Path,
    *,
    create: bool = False,
    busy_ms: int | None = None,
    board_name: str = "Content production",
) -> tuple[Store, bool]:
    """Open (or, with ``create``, make) the board at ``path``.

    Returns the store and whether it was just created. Raises StoreError with one
    clear line for every reason the file cannot be used.
    """
    path = Path(path).expanduser()
    if busy_ms is None:
        busy_ms = busy_timeout_ms()
    if not path.parent.is_dir():
        raise StoreError(f"directory {path.parent} does not exist")
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a board database")
    created = False
    if not path.exists():
        if not create:
            raise StoreError(f"no board at {path} (create one with: prodboard init)")
        try:
            create_shared_file(path)
        except OSError as exc:
            raise StoreError(f"cannot create {path}: {exc.strerror}") from exc
        created = True
    elif path.stat().st_size > 0:
        _check_header(path)
    else:
        created = create  # an empty file becomes a board only through init
    readonly = _is_read_only(path)
    store = Store(path, readonly=readonly, busy_ms=busy_ms)
    try:
        _prepare_schema(store, created=created)
        if created:
            with store.write() as conn:
                conn.execute(
                    models.META.insert(),
                    [{"key": "app", "value": APP_ID}, {"key": "board_name", "value": board_name}],
                )
    except BaseException:
        store.close()
        raise
    return store, created


def _check_header(path: Path) -> None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
    if head != SQLITE_HEADER:
        raise StoreError(f"{path} is not a prodboard database (not an SQLite file)")


def _prepare_schema(store: Store, *, created: bool) -> None:
    with store.read() as conn:
        version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        tables = set(inspect(conn).get_table_names())
    if version > models.SCHEMA_VERSION:
        raise StoreError(
            f"{store.path} was written by a newer prodboard (schema {version}; this "
            f"version reads up to {models.SCHEMA_VERSION}): upgrade prodboard"
        )
    if version < 0 or (0 < version < models.SCHEMA_VERSION and version not in MIGRATIONS):
        raise StoreError(f"{store.path} is not a prodboard database (schema version {version})")
    if version == 0:
        if tables or not created:
            raise StoreError(f"{store.path} is not a prodboard database")
        with store.write() as conn:
            SQLModel.metadata.create_all(conn)
            for stmt in _APPEND_ONLY:
                conn.exec_driver_sql(stmt)
            conn.exec_driver_sql(f"PRAGMA user_version={models.SCHEMA_VERSION}")
        return
    if "meta" not in tables:
        raise StoreError(f"{store.path} is not a prodboard database")
    if version < models.SCHEMA_VERSION:
        if store.readonly:
            raise StoreError(
                f"{store.path} has an older schema ({version}) and is read-only: "
                "open it once with write access to upgrade it"
            )
        with store.write() as conn:
            # Re-read inside the lock: another process may have migrated meanwhile.
            current = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
            if any(step not in MIGRATIONS for step in range(current, models.SCHEMA_VERSION)):
                raise StoreError(f"{store.path} is not a prodboard database (schema version {current})")
            for step in range(current, models.SCHEMA_VERSION):
                MIGRATIONS[step](conn)
            for stmt in _APPEND_ONLY:
                conn.exec_driver_sql(stmt)
            conn.exec_driver_sql(f"PRAGMA user_version={models.SCHEMA_VERSION}")


def meta_value(conn: Connection, key: str, default: str = "") -> str:
    row = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": key}).first()
    return row[0] if row else default


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)

"""The SQLite schema: creating a board file, its version, migrations, removal.

The version is ``PRAGMA user_version``. A newer one is refused; an older one is
migrated step by step in one ``BEGIN IMMEDIATE`` transaction (re-read under the
lock, so two processes opening an old board migrate it once). Triggers make the
event table append-only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from prodboard.errors import StoreError
from prodboard.settings import current as current_settings
from prodboard.storage import tables as models
from prodboard.storage.backend import too_new
from prodboard.storage.migrations import TABLE_STEPS, add_tables
from prodboard.storage.sqlite.engine import (
    SQLiteStore,
    create_shared_file,
    is_read_only,
    open_here,
)

SQLITE_HEADER = b"SQLite format 3\x00"
APP_ID = "prodboard"

APPEND_ONLY_TRIGGERS = ("event_append_only_u", "event_append_only_d")
APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS event_append_only_u BEFORE UPDATE ON event "
    "BEGIN SELECT RAISE(ABORT, 'the event table is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS event_append_only_d BEFORE DELETE ON event "
    "BEGIN SELECT RAISE(ABORT, 'the event table is append-only'); END",
)


def _migrate_2_to_3(conn: Connection) -> None:
    """Version 3 stores each event's recipients. The rows for existing events need the
    team's workflow (which roles a stage calls), which the store does not know, so
    the migration marks them pending and ``alerts.backfill_recipients`` writes them
    the first time a board opens with its config."""
    add_tables(conn)
    conn.execute(text("INSERT OR REPLACE INTO meta (key, value) VALUES ('recipients_backfill', "
                      "'pending')"))


# from-version -> step that brings the schema to from-version + 1 (1 -> 2 added
# watches and the raised-alert ledger)
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: add_tables, 2: _migrate_2_to_3, **TABLE_STEPS,
}


def open_sqlite(
    path: Path,
    *,
    create: bool = False,
    busy_ms: int | None = None,
    board_name: str = "Content production",
) -> tuple[SQLiteStore, bool]:
    """Open (or, with ``create``, make) the board at ``path``.

    Returns the store and whether it was just created. Raises StoreError with one
    clear line for every reason the file cannot be used.
    """
    path = Path(path).expanduser()
    if busy_ms is None:
        busy_ms = current_settings().busy_timeout_ms
    if not path.parent.is_dir():
        if not create:
            raise StoreError(f"no board at {path}: directory {path.parent} does not exist "
                             "(create a board with: prodboard init)")
        raise StoreError(f"directory {path.parent} does not exist")
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a board database")
    created = made_file = False
    if not path.exists():
        if not create:
            raise StoreError(f"no board at {path} (create one with: prodboard init)")
        try:
            create_shared_file(path)
        except OSError as exc:
            raise StoreError(f"cannot create {path}: {exc.strerror}") from exc
        created = made_file = True
    elif path.stat().st_size > 0:
        if not open_here(path):  # (else it was checked when this process opened it)
            _check_header(path)
    else:
        created = create  # an empty file becomes a board only through init
    readonly = is_read_only(path)
    store = SQLiteStore(path, readonly=readonly, busy_ms=busy_ms)
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
        if made_file:
            remove_file(path)  # a failed creation leaves no half-made board
        raise
    return store, created


def remove_file(path: Path) -> None:
    """Delete a board file with its -wal, -shm and -journal (after a failed init)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


def _check_header(path: Path) -> None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
    if head != SQLITE_HEADER:
        raise StoreError(f"{path} is not a prodboard database (not an SQLite file)")


def _prepare_schema(store: SQLiteStore, *, created: bool) -> None:
    with store.read() as conn:
        version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        tables = set(inspect(conn).get_table_names())
    if version > models.SCHEMA_VERSION:
        raise too_new(str(store.path), version, models.SCHEMA_VERSION)
    if version < 0 or (0 < version < models.SCHEMA_VERSION and version not in MIGRATIONS):
        raise StoreError(f"{store.path} is not a prodboard database (schema version {version})")
    if version == 0:
        if tables or not created:
            raise StoreError(f"{store.path} is not a prodboard database")
        with store.write() as conn:
            models.METADATA.create_all(conn)
            for stmt in APPEND_ONLY:
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
            for stmt in APPEND_ONLY:
                conn.exec_driver_sql(stmt)
            conn.exec_driver_sql(f"PRAGMA user_version={models.SCHEMA_VERSION}")

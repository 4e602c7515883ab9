"""The PostgreSQL schema of one board: creating it, its version, migrations, dropping.

A board is one PostgreSQL schema holding the same tables as an SQLite board file.
The version is the ``schema_version`` row of its ``meta`` table. A newer one is
refused; an older one is migrated step by step in one transaction under the
board's write lock (re-read under the lock, so two processes migrate it once).
Triggers make the event table append-only (no UPDATE, DELETE or TRUNCATE, whoever
asks short of dropping the trigger) and NOTIFY the board's channel with the new
event's id inside the writing transaction: PostgreSQL delivers it on commit and
drops it on rollback.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

from prodboard.errors import StoreError
from prodboard.settings import current as current_settings
from prodboard.storage import tables as models
from prodboard.storage.backend import meta_value, too_new
from prodboard.storage.migrations import TABLE_STEPS
from prodboard.storage.postgres.address import parse
from prodboard.storage.postgres.engine import PostgresStore, can_write, current_user, lock_key

APP_ID = "prodboard"

# from-version -> step that brings the schema to from-version + 1 (boards on
# PostgreSQL start at version 3)
MIGRATIONS: dict[int, Callable[[Connection], None]] = {**TABLE_STEPS}


def _triggers(channel: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the event table is append-only'; END $$",
        "CREATE OR REPLACE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
        "FOR EACH ROW EXECUTE FUNCTION event_append_only()",
        "CREATE OR REPLACE TRIGGER event_no_truncate BEFORE TRUNCATE ON event "
        "FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()",
        # The payload is only the id (payloads of 8000 bytes or more fail).
        "CREATE OR REPLACE FUNCTION event_notify() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_notify(TG_ARGV[0], NEW.id::text); RETURN NULL; END $$",
        "CREATE OR REPLACE TRIGGER event_notify AFTER INSERT ON event "
        f"FOR EACH ROW EXECUTE FUNCTION event_notify('{channel}')",
    ]


def _schema_oid(conn: Connection, schema: str) -> int | None:
    oid = conn.execute(text("SELECT oid FROM pg_namespace WHERE nspname = :s"), {"s": schema}).scalar()
    return None if oid is None else int(oid)


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', :v) "
                      "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"), {"v": str(version)})


def open_postgres(
    location: str,
    *,
    create: bool = False,
    busy_ms: int | None = None,
    board_name: str = "Content production",
    board: str | None = None,
) -> tuple[PostgresStore, bool]:
    """Open (or, with ``create``, make) the board at a ``postgresql://`` URL. Returns
    the store and whether it was just created; StoreError in one line otherwise."""
    address = parse(location, board)
    store = PostgresStore(address, busy_ms=current_settings().busy_timeout_ms if busy_ms is None else busy_ms)
    try:
        created = _prepare(store, create=create, board_name=board_name)
    except BaseException:
        store.close()
        raise
    return store, created


def _prepare(store: PostgresStore, *, create: bool, board_name: str) -> bool:
    where = f"{store.address.host}/{store.address.database}"
    with store.admin() as conn:
        oid = _schema_oid(conn, store.schema)
    created = False
    if oid is None:
        if not create:
            raise StoreError(f"no board {store.schema!r} on {where} "
                             "(create it with: prodboard init)")
        created = _create(store, board_name)
        with store.admin() as conn:
            oid = _schema_oid(conn, store.schema)
    assert oid is not None
    store.identity = oid
    with store.admin() as conn:
        if conn.execute(text("SELECT to_regclass('meta')")).scalar() is None:
            raise StoreError(f"schema {store.schema!r} on {where} is not a prodboard board")
        version = int(meta_value(conn, "schema_version", "0") or 0)
        store.readonly = not can_write(conn)
        store.login = current_user(conn)
    if version > models.SCHEMA_VERSION:
        raise too_new(store.location, version, models.SCHEMA_VERSION)
    if version < models.SCHEMA_VERSION:
        _migrate(store, version)
    return created


def _create(store: PostgresStore, board_name: str) -> bool:
    """The schema, tables, triggers and meta rows in one transaction. False when
    another process created the board first."""
    with store.admin() as conn:
        # Two inits at once: the second waits here, then finds the schema.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(0)})
        if _schema_oid(conn, store.schema) is not None:
            return False
        conn.exec_driver_sql(f'CREATE SCHEMA "{store.schema}"')
        models.METADATA.create_all(conn)
        for stmt in _triggers(store.channel):
            conn.exec_driver_sql(stmt)
        conn.execute(models.META.insert(), [
            {"key": "app", "value": APP_ID},
            {"key": "board_name", "value": board_name},
            {"key": "schema_version", "value": str(models.SCHEMA_VERSION)},
        ])
    return True


def _migrate(store: PostgresStore, version: int) -> None:
    if store.readonly:
        raise StoreError(f"{store.location} has an older schema ({version}) and you may only "
                         "read it: someone who may write opens it once to upgrade it")
    with store.write() as conn:
        # Re-read under the board's lock: another process may have migrated meanwhile.
        current = int(meta_value(conn, "schema_version", "0") or 0)
        steps = range(current, models.SCHEMA_VERSION)
        if any(step not in MIGRATIONS for step in steps):
            raise StoreError(f"{store.location} is not a prodboard board (schema version {current})")
        for step in steps:
            MIGRATIONS[step](conn)
        for stmt in _triggers(store.channel):
            conn.exec_driver_sql(stmt)
        _set_version(conn, models.SCHEMA_VERSION)


def drop_board(location: str, board: str | None = None) -> None:
    """Drop a board's schema with everything in it (after a failed init; tests)."""
    address = parse(location, board)
    store = PostgresStore(address, busy_ms=current_settings().busy_timeout_ms)
    try:
        with store.admin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{store.schema}" CASCADE')
    finally:
        store.close()

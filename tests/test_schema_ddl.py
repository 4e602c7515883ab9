"""The schema a board gets, on SQLite and PostgreSQL, against the one checked in.

``fixtures/schema_v7.json`` was written by the SQLModel declaration of the tables
(before they became SQLAlchemy Core tables): the SQL SQLite stored for every table,
index and trigger, and PostgreSQL's catalogue of the board's columns, indexes and
constraints. A fresh board, and a board migrated from every older schema version,
must have exactly that schema. A schema change is a new version: write the new
fixture on purpose with ``python tests/test_schema_ddl.py --write``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import new_pg_board

from prodboard.storage.postgres.address import parse
from prodboard.storage.store import open_store, remove_board
from prodboard.storage.tables import SCHEMA_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / f"schema_v{SCHEMA_VERSION}.json"

# The tables each schema version added (what a board of version N lacks is every
# table added after N); version 1 had the rest.
ADDED_IN = {
    2: ("watch", "raisedalert"),
    3: ("recipient",),
    4: ("reviewtrack",),
    5: ("import_source", "hook", "delivery", "hookattempt"),
    6: ("replaycache",),
    7: ("readitem",),
}
FIRST_PG_VERSION = 3  # boards on PostgreSQL start at version 3


def later_tables(version: int) -> list[str]:
    """The tables a board of ``version`` did not have yet, dependents first."""
    names = [t for v in sorted(ADDED_IN) if v > version for t in ADDED_IN[v]]
    return names[::-1]


def sqlite_schema(path: Path) -> dict[str, Any]:
    raw = sqlite3.connect(path)
    try:
        # By name: the order objects were made in is not the schema (a table's indexes
        # are made in no fixed order, a migrated file has its tables in another)
        rows = raw.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                           "ORDER BY type, name").fetchall()
        version = raw.execute("PRAGMA user_version").fetchone()[0]
    finally:
        raw.close()
    return {"user_version": version, "objects": [list(r) for r in rows]}


def pg_raw(url: str) -> psycopg.Connection[Any]:
    address = parse(url)
    return psycopg.connect(address.dsn, options=f"-c search_path={address.board}", autocommit=True)


def pg_schema(url: str) -> dict[str, Any]:
    """The board's columns, indexes and constraints as PostgreSQL's catalogue lists
    them, the board's own schema name written as BOARD."""
    board = parse(url).board
    queries = {
        "columns": "SELECT table_name, ordinal_position, column_name, data_type, is_nullable, "
                   "column_default, character_maximum_length, numeric_precision "
                   "FROM information_schema.columns WHERE table_schema = %(s)s "
                   "ORDER BY table_name, ordinal_position",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
                   "WHERE schemaname = %(s)s ORDER BY tablename, indexname",
        "constraints": "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                       "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                       "WHERE n.nspname = %(s)s ORDER BY 1, 2",
        "sequences": "SELECT sequence_name, data_type, start_value, increment "
                     "FROM information_schema.sequences WHERE sequence_schema = %(s)s "
                     "ORDER BY sequence_name",
    }
    with pg_raw(url) as conn:
        found = {name: [[_unnamed(v, board) for v in row] for row in conn.execute(sql, {"s": board})]
                 for name, sql in queries.items()}
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return {"schema_version": version[0] if version else None, **found}


def _unnamed(value: Any, board: str) -> Any:
    return value.replace(f'"{board}".', "BOARD.").replace(f"{board}.", "BOARD.") \
        if isinstance(value, str) else value


def declared() -> dict[str, Any]:
    """What the declaration itself says: the DDL it compiles to on PostgreSQL, and each
    column's Python side (its default fills a row an insert leaves it out of)."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from prodboard.storage import tables, transfer_tables  # noqa: F401  (every table)

    metadata = tables.PIECES.metadata
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    ddl: list[str] = []
    columns: dict[str, list[Any]] = {}
    for table in metadata.sorted_tables:
        ddl.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        ddl += [str(CreateIndex(ix).compile(dialect=dialect)) for ix in
                sorted(table.indexes, key=lambda ix: str(ix.name))]
        columns[table.name] = [[c.name, str(c.type.compile(dialect=sqlite.dialect())), c.nullable,
                                c.primary_key, _default(c.default)] for c in table.columns]
    return {"postgresql_ddl": ddl, "columns": columns}


def _default(default: Any) -> Any:
    if default is None:
        return None
    return ["factory", default.arg(None)] if default.is_callable else ["value", default.arg]


def fresh_sqlite(path: Path) -> dict[str, Any]:
    store, created = open_store(path, create=True)
    store.close()
    assert created
    return sqlite_schema(path)


def fresh_pg(url: str) -> dict[str, Any]:
    store, created = open_store(url, create=True)
    store.close()
    assert created
    return pg_schema(url)


def expected() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded


def test_the_tables_declare_the_checked_in_columns_and_ddl() -> None:
    assert declared() == expected()["declared"]


# -- SQLite ----------------------------------------------------------------------------------


def test_a_new_sqlite_board_has_the_checked_in_schema(tmp_path: Path) -> None:
    assert fresh_sqlite(tmp_path / "b.db") == expected()["sqlite"]


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_an_sqlite_board_of_every_older_version_migrates_to_that_schema(tmp_path: Path,
                                                                         version: int) -> None:
    path = tmp_path / "old.db"
    fresh_sqlite(path)
    raw = sqlite3.connect(path)
    for table in later_tables(version):
        raw.execute(f"DROP TABLE {table}")
    raw.execute(f"PRAGMA user_version={version}")
    raw.commit()
    raw.close()
    assert len(sqlite_schema(path)["objects"]) < len(expected()["sqlite"]["objects"])  # it was older
    open_store(path)[0].close()
    assert sqlite_schema(path) == expected()["sqlite"]


# -- PostgreSQL ------------------------------------------------------------------------------


def test_a_new_postgres_board_has_the_checked_in_schema(pg_board: str) -> None:
    assert fresh_pg(pg_board) == expected()["postgres"]


@pytest.mark.parametrize("version", range(FIRST_PG_VERSION, SCHEMA_VERSION))
def test_a_postgres_board_of_every_older_version_migrates_to_that_schema(pg_board: str,
                                                                         version: int) -> None:
    fresh_pg(pg_board)
    with pg_raw(pg_board) as conn:
        for table in later_tables(version):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(version),))
    assert len(pg_schema(pg_board)["columns"]) < len(expected()["postgres"]["columns"])
    open_store(pg_board)[0].close()
    assert pg_schema(pg_board) == expected()["postgres"]


def write_fixture() -> None:
    """The schema the code importable now makes, as the fixture (a schema change only)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        sqlite = fresh_sqlite(Path(scratch) / "b.db")
    url = new_pg_board("schema")
    try:
        postgres = fresh_pg(url)
    finally:
        remove_board(url)
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(_lines({"declared": declared(), "sqlite": sqlite, "postgres": postgres}) + "\n")
    print(f"wrote {FIXTURE}")


def _lines(value: Any, indent: str = "") -> str:
    """JSON with one row (a list of plain values) a line, so a change reads as a diff."""
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {_lines(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        return "[\n" + ",\n".join(inner + _lines(v, inner) for v in value) + f"\n{indent}]"
    return json.dumps(value)


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    write_fixture()

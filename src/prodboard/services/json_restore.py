"""Restoring a JSON export (services/transfer.py) into an empty board, row for row.

"Empty" means no pieces and no comments: a board just made with ``init``, whose only
history is its founding. Its team and founding events are replaced by the export's,
so the board becomes the exported one (same ids, same history, same read cursors).
Every row is checked against its table first (unknown or missing columns, wrong
types); the first bad one is one error naming the file, the table, the row and the
field, and nothing is written. Strings are cleaned like everything else stored.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Float, Integer, String, func, select

from prodboard.domain.text import clean, clean_line
from prodboard.errors import BadInput, Refused
from prodboard.services.commands import Commands
from prodboard.services.transfer import FORMAT_NAME, TABLES
from prodboard.storage import tables as m
from prodboard.storage.store import OWN_META


def is_export(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT_NAME


# What clean() would change: controls (not tab, newline), CR, DEL, C1, surrogates. Most
# strings hold none, and a search is ten times cheaper than clean() on them.
_DIRTY = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _clean_deep(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value) if _DIRTY.search(value) else value
    if isinstance(value, list):
        return [_clean_deep(v) for v in value]
    if isinstance(value, dict):
        return {_clean_deep(str(k)): _clean_deep(v) for k, v in value.items()}
    return value


# Columns that are one line of text wherever prodboard writes them.
ONE_LINE = {"people": ("handle", "display_name", "delegate"),
            "pieces": ("title", "format", "stage", "owner")}


def _check_value(column: Any, value: Any) -> str | None:
    """Why ``value`` cannot go in ``column``, or None."""
    if value is None:
        return None if column.nullable else "must not be empty (null)"
    kind = column.type
    if isinstance(kind, Boolean):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(kind, Integer):
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
        return None if ok else "must be a whole number"
    if isinstance(kind, Float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok and math.isfinite(value) else "must be a finite number"
    if isinstance(kind, JSON):
        return None if isinstance(value, list | dict) else "must be a list or an object"
    if isinstance(kind, String):
        return None if isinstance(value, str) else "must be text"
    return None


def check_rows(source: str, name: str, rows: Any, table: Any) -> list[dict[str, Any]]:
    """The rows of one table, checked and cleaned; BadInput names the first bad one."""
    if not isinstance(rows, list):
        raise BadInput(f"{source}: {name} must be a list")
    columns = {c.name: c for c in table.columns}
    out = []
    for n, row in enumerate(rows, 1):
        where = f"{source}: {name} row {n}"
        if not isinstance(row, dict):
            raise BadInput(f"{where}: must be an object")
        unknown = sorted(set(row) - set(columns))
        if unknown:
            raise BadInput(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(columns)})")
        for key, column in columns.items():
            if key not in row:
                raise BadInput(f"{where}: field {key!r} is missing")
            why = _check_value(column, row[key])
            if why:
                raise BadInput(f"{where}: {key}: {why} (got {str(row[key])[:40]!r})")
        cleaned = _clean_deep(row)
        for key in ONE_LINE.get(name, ()):
            if isinstance(cleaned.get(key), str):
                cleaned[key] = clean_line(cleaned[key])
        out.append(cleaned)
    return out


def check_export(source: str, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every table of an export, checked; BadInput on the first problem."""
    version = data.get("format_version")
    if version != 1:
        raise BadInput(f"{source}: export format version {version!r} is not one this "
                       "prodboard reads (1)")
    schema = data.get("schema")
    if not isinstance(schema, int) or schema > m.SCHEMA_VERSION:
        raise BadInput(f"{source}: written by a newer prodboard (schema {schema!r}; this "
                       f"version reads up to {m.SCHEMA_VERSION})")
    board = data.get("board")
    if not isinstance(board, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in board.items()):
        raise BadInput(f"{source}: board must be an object of text values")
    out = {"board": [{"key": k, "value": clean(v)} for k, v in sorted(board.items())]}
    for name, table in TABLES.items():
        out[name] = check_rows(source, name, data.get(name, []), table)
    return out


def target_is_empty(conn: Connection) -> bool:
    pieces = conn.execute(select(func.count()).select_from(m.PIECES)).scalar_one()
    comments = conn.execute(select(func.count()).select_from(m.COMMENTS)).scalar_one()
    return int(pieces) == 0 and int(comments) == 0


def restore(board: Commands, tables: dict[str, list[dict[str, Any]]], *, dry_run: bool) -> dict[str, int]:
    """Replace the empty board's contents with ``tables`` (its team too, so an admin's
    change); returns rows per table."""
    counts = {name: len(rows) for name, rows in tables.items() if name != "board"}
    with board.store.read() if dry_run else board.store.write() as conn:
        board._require_actor(conn)
        board._admin_check(conn, "restore a whole board over this one")
        if not target_is_empty(conn):
            raise Refused("a full restore needs an empty board (no pieces, no comments)")
        if dry_run:
            return counts
        # The founding events go: the export's history replaces them (past the
        # append-only guard, through the backend).
        for table in reversed(TABLES.values()):
            if table is m.EVENTS:
                board.store.clear_events(conn)
            else:
                conn.execute(table.delete())
        conn.execute(m.META.delete().where(m.META.c.key.not_in(OWN_META)))
        conn.execute(m.META.insert(), [r for r in tables["board"] if r["key"] not in OWN_META])
        for name, table in TABLES.items():
            rows = tables[name]
            if table is m.PEOPLE:  # a delegate may come later in the list: set it after
                rows = [{**r, "delegate": None} for r in rows]
            for i in range(0, len(rows), 500):
                conn.execute(table.insert(), rows[i:i + 500])
            if table is m.PEOPLE:
                for r in tables[name]:
                    if r["delegate"] is not None:
                        conn.execute(m.PEOPLE.update().where(m.PEOPLE.c.handle == r["handle"])
                                     .values(delegate=r["delegate"]))
        board.store.ids_written(conn, ("piece", "comment", "event"))
    return counts

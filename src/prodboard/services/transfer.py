"""Work out: the JSON export (everything, re-importable losslessly into an empty
board) and the CSV export (one row per piece, safe to open in a spreadsheet).

The JSON export is every row of every table the board's history lives in, read in
one transaction, in primary-key order, with stable formatting: exporting, restoring
into an empty board and exporting again gives the same bytes except ``exported_at``
(docs/transfer.md). Webhooks are not exported: they hold secrets.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from prodboard.domain.text import clean
from prodboard.errors import BadInput
from prodboard.services.transfer_fields import LISTS, PIECE_COLUMNS
from prodboard.storage import tables as m
from prodboard.storage import transfer_tables as t
from prodboard.storage.store import OWN_META, Store

FORMAT_NAME = "prodboard-export"
FORMAT_VERSION = 1

# name in the file -> table, in an order that satisfies the foreign keys on restore.
TABLES: dict[str, Any] = {
    "people": m.PEOPLE,
    "pieces": m.PIECES,
    "comments": m.COMMENTS,
    "watches": m.WATCHES,
    "read_cursors": m.READ_CURSORS,
    "events": m.EVENTS,
    "recipients": m.RECIPIENTS,
    "read_items": m.READ_ITEMS,
    "raised_alerts": m.RAISED,
    "import_sources": t.IMPORT_SOURCES,
}
# Which fields of the JSON file differ between two exports of the same board.
VOLATILE = ("exported_at",)
# Cells a spreadsheet would run as a formula (OWASP: also tab and carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _finite(value: Any) -> Any:
    """What a strict JSON reader accepts: an old board may hold a nan cost."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _rows(conn: Connection, table: Any) -> list[dict[str, Any]]:
    names = [c.name for c in table.columns]
    order = [table.c[c.name] for c in table.primary_key.columns]
    return [{k: _finite(v) for k, v in zip(names, row, strict=True)}
            for row in conn.execute(select(table).order_by(*order))]


def snapshot(store: Store) -> dict[str, Any]:
    """Everything on the board, read in one consistent transaction."""
    schema = store.schema_version()  # changes only when a board is opened by a newer prodboard
    with store.read() as conn:
        board = {k: v for k, v in conn.execute(select(m.META.c.key, m.META.c.value)
                                               .where(m.META.c.key.not_in(OWN_META))
                                               .order_by(m.META.c.key))}
        data: dict[str, Any] = {
            "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "schema": schema,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"), "board": board,
        }
        for name, table in TABLES.items():
            data[name] = _rows(conn, table)
    return data


def export_json(store: Store) -> str:
    """The JSON export as text: one row a line, so two exports diff line by line."""
    data = snapshot(store)
    out = ["{"]
    head = [k for k in data if k not in TABLES]
    for key in head:
        out.append(f" {json.dumps(key)}: {_dump(data[key])},")
    for i, name in enumerate(TABLES):
        rows = data[name]
        out.append(f" {json.dumps(name)}: [")
        out.extend(f"  {_dump(row)}{',' if j < len(rows) - 1 else ''}" for j, row in enumerate(rows))
        out.append(" ]" + ("," if i < len(TABLES) - 1 else ""))
    out.append("}")
    return "\n".join(out) + "\n"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


# -- CSV -----------------------------------------------------------------------------------
def _formula_like(cell: str) -> bool:
    # Quotes already in front count too, so that a cell really starting "'=" survives.
    return cell.lstrip("'").startswith(FORMULA_STARTS)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading ``'`` before ``=``, ``+``, ``-``,
    ``@``, tab or carriage return (the import takes it off again)."""
    return "'" + cell if _formula_like(cell) else cell


def unneutralise(cell: str) -> str:
    """The cell as it was before ``neutralise``."""
    return cell[1:] if cell.startswith("'") and _formula_like(cell[1:]) else cell


def csv_cell(field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if field == "checklist":
        return ", ".join(sorted(value))  # the ticked items
    if field in LISTS:
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if field != "rank" else repr(value)
    return clean(str(value))


def csv_rows(pieces: Iterable[dict[str, Any]]) -> Iterable[list[str]]:
    yield list(PIECE_COLUMNS)
    for piece in pieces:
        yield [neutralise(csv_cell(f, piece.get(f))) for f in PIECE_COLUMNS]


def export_csv(store: Store) -> str:
    """Every piece (archived ones too), one row each, every field, UTF-8."""
    with store.read() as conn:
        pieces = _rows(conn, m.PIECES)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows(csv_rows(pieces))
    return buf.getvalue()


def export(store: Store, fmt: str) -> str:
    if fmt == "json":
        return export_json(store)
    if fmt == "csv":
        return export_csv(store)
    raise BadInput(f"unknown export format {fmt!r} (json, csv)")

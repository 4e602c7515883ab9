"""Copy a board to another place (SQLite file ↔ PostgreSQL board), whole.

Every table's rows are copied with their ids from one read snapshot of the source,
in one write transaction of the target (``Backend.write()``): a copy is all there
or not at all. The event table is append-only by trigger on both backends, and
inserting is what it allows. After the copy, the target's rows are counted table by
table and its events checksummed, and both must equal the source's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, select

from prodboard.errors import Refused, StoreError
from prodboard.storage import tables as models
from prodboard.storage import transfer_tables as transfer
from prodboard.storage.backend import OWN_META, Backend, meta_value
from prodboard.storage.store import is_postgres_url, open_store, remove_board

# Parents before children (the foreign keys are checked as each insert runs).
TABLES: tuple[Table, ...] = (
    models.META, models.PEOPLE, models.PIECES, models.COMMENTS, models.EVENTS,
    models.RECIPIENTS, models.WATCHES, models.READ_CURSORS, models.READ_ITEMS, models.RAISED,
    models.TRACKS,
    transfer.IMPORT_SOURCES, transfer.HOOKS, transfer.DELIVERIES, transfer.ATTEMPTS,
)
_WITH_IDS = ("piece", "comment", "event", "hook", "hookattempt")  # ids the board hands out
_CONTENT = ("person", "piece", "event")  # a board holding any of these is not empty
_CHUNK = 1000


@dataclass(frozen=True)
class Copied:
    """What a copy moved: rows per table and the events' checksum (equal on both)."""

    target: str
    counts: dict[str, int]
    checksum: str


def event_checksum(conn: Connection) -> str:
    """SHA-256 over every event in id order (id, time, actor, kind, piece, data with
    sorted keys): the same on any backend when the histories are the same."""
    digest = hashlib.sha256()
    ev = models.EVENTS
    for row in conn.execute(select(ev).order_by(ev.c.id)):
        line = json.dumps([row.id, row.at, row.actor, row.kind, row.piece_id, row.data],
                          sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def counts(conn: Connection) -> dict[str, int]:
    return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in TABLES}


def _meta_rows(conn: Connection) -> list[dict[str, Any]]:
    meta = models.META
    return [dict(r._mapping) for r in conn.execute(select(meta))
            if r.key not in OWN_META]


def migrate(source: Backend, target: str,
            progress: Callable[[str, int], None] | None = None) -> Copied:
    """Copy the board ``source`` to ``target`` (a file path or a postgresql:// URL).

    Refused (nothing changed) when the target already holds a board with people,
    pieces or events. A target this call created is removed again if the copy fails.
    """
    with source.read() as conn:
        name = meta_value(conn, "board_name", "Content production")
        rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))]
                for t in TABLES if t.name != "meta"}
        rows["meta"] = _meta_rows(conn)
        want = counts(conn)
        checksum = event_checksum(conn)
    if not is_postgres_url(target) and Path(target).expanduser().resolve() == Path(
            source.location).expanduser().resolve():
        raise Refused(f"{target} is the board being copied: name another target")
    store, created = open_store(target if is_postgres_url(target) else Path(target).expanduser(),
                                create=True, board_name=name)
    try:
        _copy(store, rows, progress)
    except BaseException:
        store.close()
        if created:  # made by this call: nothing is left behind
            remove_board(target)
        raise
    try:
        with store.read() as conn:
            got, got_sum = counts(conn), event_checksum(conn)
    finally:
        store.close()
    want_meta = {k: v for k, v in want.items() if k != "meta"}
    got_meta = {k: v for k, v in got.items() if k != "meta"}
    if got_meta != want_meta or got_sum != checksum:
        raise StoreError(f"the copy at {target} does not match the source (rows "
                         f"{got_meta} vs {want_meta}; events checksum {got_sum[:12]} vs "
                         f"{checksum[:12]}): do not use it")
    return Copied(store.location, want_meta, checksum)


def _copy(store: Backend, rows: dict[str, list[dict[str, Any]]],
          progress: Callable[[str, int], None] | None) -> None:
    with store.write() as conn:
        found = {t: int(conn.execute(select(func.count()).select_from(
            next(x for x in TABLES if x.name == t))).scalar_one()) for t in _CONTENT}
        if any(found.values()):
            held = ", ".join(f"{t}: {n}" for t, n in found.items() if n)
            raise Refused(f"{store.location} already holds a board ({held}): a copy goes "
                          "only to a new or empty board, nothing was changed")
        for table in TABLES:
            batch = rows[table.name]
            if table.name == "meta":
                keys = [r["key"] for r in batch]
                conn.execute(table.delete().where(table.c.key.in_(keys)))
            if table.name == "person":  # delegates name people: set once all are in
                delegates = [(r["handle"], r["delegate"]) for r in batch if r["delegate"]]
                batch = [{**r, "delegate": None} for r in batch]
            for start in range(0, len(batch), _CHUNK):
                conn.execute(table.insert(), batch[start:start + _CHUNK])
                if progress is not None:
                    progress(table.name, min(start + _CHUNK, len(batch)))
            if table.name == "person":
                for handle, delegate in delegates:
                    conn.execute(table.update().where(table.c.handle == handle)
                                 .values(delegate=delegate))
        store.ids_written(conn, _WITH_IDS)  # the next ids come after the copied ones

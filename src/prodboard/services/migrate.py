"""Copy a board to another place (SQLite file ↔ PostgreSQL board), whole.

Every table's rows are copied with their ids from one read snapshot of the source,
in one write transaction of the target (``Backend.write()``): a copy is all there
or not at all. Rows travel in pages (``PAGE`` rows, streamed from the source by a
server-side cursor on PostgreSQL), so a big board is never held in memory whole.
The event table is append-only by trigger on both backends, and inserting is what
it allows. After the copy, the target's rows are counted table by table and its
events checksummed, and both must equal the source's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, Select, Table, func, select

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
PAGE = 1000  # rows per read from the source and per insert into the target


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
    for row in _stream(conn, select(ev).order_by(ev.c.id), PAGE):
        line = json.dumps([row.id, row.at, row.actor, row.kind, row.piece_id, row.data],
                          sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def counts(conn: Connection) -> dict[str, int]:
    return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in TABLES}


def _stream(conn: Connection, query: Select[Any], page: int) -> Iterator[Row[Any]]:
    """The rows of ``query``, fetched ``page`` at a time."""
    result = conn.execution_options(stream_results=True, yield_per=page).execute(query)
    for rows in result.partitions():
        yield from rows


def _pages(conn: Connection, table: Table, page: int) -> Iterator[list[dict[str, Any]]]:
    """``table``'s rows in primary-key order, ``page`` at a time (the meta rows less
    the backend's own)."""
    rows: list[dict[str, Any]] = []
    for row in _stream(conn, select(table).order_by(*table.primary_key.columns), page):
        if table.name == "meta" and row.key in OWN_META:
            continue
        rows.append(dict(row._mapping))
        if len(rows) == page:
            yield rows
            rows = []
    if rows:
        yield rows


def migrate(source: Backend, target: str,
            progress: Callable[[int, int], None] | None = None, *, page: int = PAGE) -> Copied:
    """Copy the board ``source`` to ``target`` (a file path or a postgresql:// URL).

    Refused (nothing changed) when the target already holds a board with people,
    pieces or events. A target this call created is removed again if the copy fails.
    ``progress(rows copied, rows in all)`` is called after each page.
    """
    if not is_postgres_url(target) and Path(target).expanduser().resolve() == Path(
            source.location).expanduser().resolve():
        raise Refused(f"{target} is the board being copied: name another target")
    with source.read() as src:  # one snapshot for the whole copy
        name = meta_value(src, "board_name", "Content production")
        want = counts(src)
        checksum = event_checksum(src)
        store, created = open_store(
            target if is_postgres_url(target) else Path(target).expanduser(),
            create=True, board_name=name)
        try:
            _copy(store, src, page, sum(n for t, n in want.items() if t != "meta"), progress)
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


def _copy(store: Backend, src: Connection, page: int, total: int,
          progress: Callable[[int, int], None] | None) -> None:
    with store.write() as conn:
        found = {t: int(conn.execute(select(func.count()).select_from(
            next(x for x in TABLES if x.name == t))).scalar_one()) for t in _CONTENT}
        if any(found.values()):
            held = ", ".join(f"{t}: {n}" for t, n in found.items() if n)
            raise Refused(f"{store.location} already holds a board ({held}): a copy goes "
                          "only to a new or empty board, nothing was changed")
        done = 0
        for table in TABLES:
            delegates: list[tuple[str, str]] = []
            for batch in _pages(src, table, page):
                if table.name == "meta":  # the new board's own settings give way
                    conn.execute(table.delete().where(table.c.key.in_([r["key"] for r in batch])))
                if table.name == "person":  # delegates name people: set once all are in
                    delegates += [(r["handle"], r["delegate"]) for r in batch if r["delegate"]]
                    batch = [{**r, "delegate": None} for r in batch]
                conn.execute(table.insert(), batch)
                done += len(batch) if table.name != "meta" else 0
                if progress is not None:
                    progress(done, total)
            for handle, delegate in delegates:
                conn.execute(table.update().where(table.c.handle == handle)
                             .values(delegate=delegate))
        store.ids_written(conn, _WITH_IDS)  # the next ids come after the copied ones

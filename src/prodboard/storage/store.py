"""Opening a board's backend: the one front door the services use.

``open_store`` takes where the board lives and returns a ``Backend``
(``storage/backend.py``): a file path opens the SQLite backend, a
``postgresql://`` URL the PostgreSQL one (imported only then). Everything else a
caller needs from storage is re-exported here under the names services and the
app already use.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

from prodboard.storage.backend import Backend, BoardLost, Unreachable, meta_value
from prodboard.storage.postgres.address import is_postgres_url
from prodboard.storage.sqlite.engine import FileLost, lost_message
from prodboard.storage.sqlite.schema import open_sqlite, remove_file

Store = Backend  # the type services hold: any backend

__all__ = ["Backend", "BoardLost", "FileLost", "Store", "Unreachable", "after_copy",
           "is_postgres_url",
           "lost_message", "meta_value", "open_store", "remove_board"]


def open_store(
    location: Path | str,
    *,
    create: bool = False,
    busy_ms: int | None = None,
    board_name: str = "Content production",
    board: str | None = None,
) -> tuple[Backend, bool]:
    """Open (or, with ``create``, make) the board at ``location``; returns the backend
    and whether it was just created. ``board`` picks one of the boards on a
    PostgreSQL server (else ``?board=`` in the URL, else ``prodboard``). Raises
    StoreError with one clear line for every reason the board cannot be used."""
    if is_postgres_url(location):
        from prodboard.storage.postgres.schema import open_postgres

        return open_postgres(str(location), create=create, busy_ms=busy_ms,
                             board_name=board_name, board=board)
    return open_sqlite(Path(location), create=create, busy_ms=busy_ms, board_name=board_name)


def remove_board(location: str | Path, board: str | None = None) -> None:
    """Delete a board that failed half-way through its creation (init, the demo)."""
    if is_postgres_url(location):
        from prodboard.storage.postgres.schema import drop_board

        drop_board(str(location), board)
        return
    remove_file(Path(location))


def after_copy(store: Backend, conn: Connection) -> None:
    """After rows were inserted with their ids (``prodboard migrate``): a PostgreSQL
    sequence does not move for explicit ids, so set each past the highest id. SQLite's
    AUTOINCREMENT follows explicit ids by itself."""
    if store.kind != "postgresql":
        return
    for table in ("piece", "comment", "event"):
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table}), 1), "
            f"(SELECT max(id) FROM {table}) IS NOT NULL)"))

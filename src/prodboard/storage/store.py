"""Opening a board's backend: the one front door the services use.

``open_store`` takes where the board lives and returns a ``Backend``
(``storage/backend.py``): a file path opens the SQLite backend, a
``postgresql://`` URL the PostgreSQL one (imported only then). Everything else a
caller needs from storage is re-exported here under the names services and the
app already use.
"""

from __future__ import annotations

from pathlib import Path

from prodboard.errors import Refused
from prodboard.storage.backend import OWN_META, Backend, BackupCopy, BoardLost, Unreachable, meta_value
from prodboard.storage.postgres.address import is_postgres_url
from prodboard.storage.sqlite.engine import FileLost, lost_message
from prodboard.storage.sqlite.schema import open_sqlite, remove_file

Store = Backend  # the type services hold: any backend

__all__ = ["OWN_META", "Backend", "BackupCopy", "BoardLost", "FileLost", "Store", "Unreachable",
           "is_postgres_url", "lost_message", "meta_value", "open_store", "remove_board",
           "restore_backup"]


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


def restore_backup(location: Path | str, source: Path, *, force: bool = False,
                   busy_ms: int = 5000) -> dict[str, int]:
    """Write a file made by ``backup`` over the board at ``location`` (made if missing),
    before this process opens it; returns rows per counted table."""
    if is_postgres_url(location):
        raise Refused("restore writes a backup file into an SQLite board; a board on a "
                      "PostgreSQL server is restored from a JSON export (`prodboard import "
                      "FILE` into an empty board) or with pg_restore")
    from prodboard.storage.sqlite.backup import restore_file

    return restore_file(Path(location), source, force=force, busy_ms=busy_ms)

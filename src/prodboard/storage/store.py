"""Opening a board's backend: the one front door the services use.

``open_store`` takes where the board lives and returns a ``Backend``
(``storage/backend.py``): an SQLite file path today. Everything else a caller needs
from storage is re-exported here under the names services and the app already use.
"""

from __future__ import annotations

from pathlib import Path

from prodboard.storage.backend import Backend, BoardLost, meta_value
from prodboard.storage.sqlite.engine import FileLost, lost_message
from prodboard.storage.sqlite.schema import open_sqlite, remove_file

Store = Backend  # the type services hold: any backend

__all__ = ["Backend", "BoardLost", "FileLost", "Store", "lost_message", "meta_value", "open_store",
           "remove_board"]


def open_store(
    path: Path,
    *,
    create: bool = False,
    busy_ms: int | None = None,
    board_name: str = "Content production",
) -> tuple[Backend, bool]:
    """Open (or, with ``create``, make) the board at ``path``; returns the backend and
    whether it was just created. Raises StoreError with one clear line for every
    reason the board cannot be used."""
    return open_sqlite(path, create=create, busy_ms=busy_ms, board_name=board_name)


def remove_board(location: str | Path) -> None:
    """Delete a board that failed half-way through its creation (init, the demo)."""
    remove_file(Path(location))

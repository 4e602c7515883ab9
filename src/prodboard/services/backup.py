"""Backups of a board that is always open, and restoring one: what a person is told.

The copying is the backend's (``Backend.backup_to``; for SQLite,
``storage/sqlite/backup.py``: the online backup API, verified before it is renamed
into place). A board on PostgreSQL refuses and points at ``prodboard export`` and
pg_dump (docs/transfer.md).
"""

from __future__ import annotations

from pathlib import Path

from prodboard.storage.backend import BackupCopy
from prodboard.storage.store import Store, restore_backup

PLURAL = {"person": "people", "piece": "pieces", "comment": "comments", "event": "events"}


def backup(store: Store, target: Path, *, force: bool = False) -> BackupCopy:
    """A verified, consistent copy of the open board at ``target``."""
    return store.backup_to(target, force=force)


def backup_summary(copy: BackupCopy) -> str:
    return (f"backed up to {copy.path} ({copy.bytes:,} bytes; schema {copy.schema}; "
            f"{counts_text(copy.counts)}); verified")


def restore(board: Path | str, source: Path, *, force: bool = False,
            busy_ms: int = 5000) -> dict[str, int]:
    """Write the backup at ``source`` over the board at ``board`` (made if missing)."""
    return restore_backup(board, source, force=force, busy_ms=busy_ms)


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {PLURAL[t]}" for t, n in counts.items())

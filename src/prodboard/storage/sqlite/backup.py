"""Backups of an SQLite board that is always open, and restoring one into the live file.

``backup_file`` copies through SQLite's online backup API: one read transaction over
the whole copy, so it is the board as of one commit, WAL included (a plain ``cp`` of
``board.db`` misses what is still in ``board.db-wal``). The copy is written beside
the target, checked (``PRAGMA integrity_check``, prodboard's schema, the same row
counts as the snapshot it was taken from), switched to a single-file journal, and
only then renamed into place.

``restore_file`` writes a backup into the live file through the same API, so every
open connection sees the restored board (replacing the file would leave them writing
to a ghost). It refuses while other processes have the board open, unless forced: a
process holds SQLite's shared lock on byte 128 of ``-shm`` (the "DMS" lock) for as
long as it has the board open in WAL mode.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

from prodboard.errors import BadInput, Refused, StoreError
from prodboard.storage import tables as m
from prodboard.storage.backend import BackupCopy
from prodboard.storage.sqlite.engine import SQLiteStore, create_shared_file, file_uri
from prodboard.storage.sqlite.schema import APP_ID, SQLITE_HEADER

COUNTED = ("person", "piece", "comment", "event")
DMS_BYTE = 128  # SQLite's unix VFS: the -shm byte every connection holds a read lock on


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in COUNTED}


def _check_copy(conn: sqlite3.Connection, what: str) -> int:
    """Raise unless ``conn`` holds an intact prodboard database; returns its schema."""
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        schema = int(conn.execute("PRAGMA user_version").fetchone()[0])
        app = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{what} is not a prodboard database ({exc})") from None
    if ok != "ok":
        raise StoreError(f"{what} failed the integrity check: {ok}")
    if app is None or app[0] != APP_ID:
        raise StoreError(f"{what} is not a prodboard database")
    if schema > m.SCHEMA_VERSION:
        raise StoreError(f"{what} was written by a newer prodboard (schema {schema})")
    return schema


def backup_file(store: SQLiteStore, target: Path, *, force: bool = False) -> BackupCopy:
    """A verified, consistent copy of the open board at ``target``."""
    target = target.expanduser()
    if target.is_dir():
        raise BadInput(f"{target} is a directory: name the backup file")
    if not target.parent.is_dir():
        raise BadInput(f"cannot write {target}: directory {target.parent} does not exist")
    if target.resolve() == store.real_path:
        raise BadInput(f"{target} is the board itself")
    if target.exists() and not force:
        raise BadInput(f"{target} exists (use --force to replace it)")
    tmp = target.with_name(f".{target.name}.part")
    tmp.unlink(missing_ok=True)
    # A read-only board is read the way its store reads it (no stray -wal/-shm).
    src = store._open_reader() if store.readonly else sqlite3.connect(
        file_uri(store.path, mode="ro"), uri=True)
    try:
        src.execute(f"PRAGMA busy_timeout={store.busy_ms}")
        dst = sqlite3.connect(tmp)
        try:
            src.isolation_level = None
            src.execute("BEGIN")  # one snapshot for the copy and the counts
            expected = _counts(src)
            src.backup(dst)
            src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            schema = _check_copy(dst, f"the backup {tmp}")
            got = _counts(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"backup of {store.path} failed: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    if got != expected:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"backup of {store.path} failed: the copy holds {got}, the board {expected}")
    os.replace(tmp, target)
    return BackupCopy(target, target.stat().st_size, got, schema)


def others_have_open(board: Path) -> bool:
    """True when some other process has the board open (it holds the -shm DMS lock).

    Must run in a process with no SQLite connection to the board: closing this file
    would drop that connection's POSIX locks.
    """
    shm = Path(f"{os.path.realpath(board)}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: assume it is in use
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, DMS_BYTE, os.SEEK_SET)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, DMS_BYTE, os.SEEK_SET)
        return False
    finally:
        os.close(fd)


def check_backup_file(source: Path) -> int:
    """The schema of a backup file, or an error saying why it cannot be restored."""
    if not source.is_file():
        raise BadInput(f"{source}: no such file")
    with open(source, "rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BadInput(f"{source} is not a prodboard backup (not an SQLite file)")
    conn = sqlite3.connect(file_uri(source, mode="ro"), uri=True)
    try:
        return _check_copy(conn, str(source))
    except StoreError as exc:
        raise BadInput(exc.message) from None
    finally:
        conn.close()


def restore_file(board: Path, source: Path, *, force: bool = False, busy_ms: int = 5000) -> dict[str, int]:
    """Write the backup at ``source`` over the board at ``board`` (made if missing);
    returns rows per counted table."""
    board = board.expanduser()
    check_backup_file(source)
    if board.exists() and board.stat().st_size > 0:
        try:
            check_backup_file(board)
        except BadInput:
            raise BadInput(f"{board} is not a prodboard board: restore will not overwrite it") from None
    if board.exists() and others_have_open(board) and not force:
        raise Refused(f"{board} is open in another prodboard (a board, log -f, hooks run): "
                      "close it first, or use --force (they then see the restored board)")
    if not board.exists():
        if not board.parent.is_dir():
            raise BadInput(f"directory {board.parent} does not exist")
        create_shared_file(board)
    src = sqlite3.connect(file_uri(source, mode="ro"), uri=True)
    dst = sqlite3.connect(file_uri(board, mode="rw"), uri=True)
    try:
        dst.execute(f"PRAGMA busy_timeout={busy_ms}")
        src.backup(dst)
        return _counts(dst)
    except sqlite3.Error as exc:
        raise StoreError(f"restore into {board} failed: {exc}") from None
    finally:
        src.close()
        dst.close()

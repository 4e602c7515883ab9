"""The contract a storage backend fulfils. Services, the CLI and the app use only this.

A backend is one open board. It gives:

- **Write transactions** (``write()``): one connection inside one transaction,
  committed when the block ends, rolled back when it raises. Every command runs in
  exactly one, and writes its state change and exactly one event in it (the
  commands in ``services/commands.py`` keep that rule; a backend keeps the
  transaction atomic and serialised, see *commit order* below).
- **Read transactions** (``read()``): one consistent snapshot for the block.
- **Schema version**: ``schema_version()`` reads it. ``open`` refuses a schema newer
  than ``tables.SCHEMA_VERSION`` and migrates an older one in one transaction.
- **A wake-up source** (``wake_source()``): "there may be new events". It is only
  ever a hint; the event table, read by cursor, is the truth, and the feed also
  polls on a timer, so a missed wake-up delays an event but never loses it.
- **Loss of the board** (``lost()``): a board deleted or replaced while open (an
  SQLite file unlinked or swapped; a PostgreSQL board schema dropped) is reported
  instead of followed or written to: writes raise ``BoardLost``, the feed
  ``FeedLost``.

**Commit-ordered event ids.** The change feed reads ``events WHERE id > cursor ORDER
BY id`` and moves its cursor to the last id it read. That never skips an event
only if no transaction can commit an id *lower* than one already visible to a
reader. A backend guarantees it by making ids increase in commit order:

- SQLite: every write transaction starts with ``BEGIN IMMEDIATE``, so there is one
  writer at a time per file; an id is assigned by ``AUTOINCREMENT`` inside that
  writer's transaction, and the next writer cannot start until it has committed,
  so id order is commit order.
- PostgreSQL: a sequence hands ids out at insert time, not commit time (T1 takes 1,
  T2 takes 2 and commits, a reader moves to 2, T1 commits 1: never read). So an
  event id is drawn only under the board's *event lock* (an advisory lock held to
  the end of the transaction): the next id is drawn only after the previous
  drawer committed. Writes that touch one piece (``write(shared=True)``) run side
  by side until their first event, each holding its piece's row; every other
  write holds the board alone, as on SQLite (postgres/engine.py).

**Row locks.** ``event_id()`` is the value a new event's id gets (None: the
backend's own autoincrement); commands read the piece they change ``FOR NO KEY
UPDATE``, which SQLite ignores (it has one writer) and PostgreSQL holds to commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection, text

from prodboard.errors import StoreError


class BoardLost(StoreError):
    """The board this backend opened is gone (file deleted or replaced, schema
    dropped): nothing more is written to it or read from it."""


class SchemaTooNew(StoreError):
    """The board was written by a newer prodboard."""


@runtime_checkable
class WakeSource(Protocol):
    """Says "there may be new events" soon after another connection commits.

    One source serves one feed. ``probe()`` runs under the feed's lock before each
    read, ``hints()``/``hints_sync()`` wait for commits. ``close()`` may be called
    from any thread and ends a running ``hints_sync``.
    """

    error: str | None  # why the fast wake-up is not running (the poll then carries on)

    def probe(self) -> int | None:
        """A cheap token that changes when some connection committed; None when the
        backend cannot tell (then every wake-up reads). Raises BoardLost when the
        board is gone, StoreError when it cannot be reached."""
        ...

    def hints(self, stop: StopFlag) -> AsyncIterator[None]:
        """An async iterator yielding once per wake-up hint, until ``stop`` is set.
        A failure ends it quietly (``error`` says why); the poll carries on."""
        ...

    def hints_sync(self, stop: StopFlag, timeout: float) -> Iterator[bool]:
        """Blocking: yield True after a hint, False when ``timeout`` seconds passed
        with none (time for the fallback poll); ends when ``stop`` is set."""
        ...

    def close(self) -> None: ...


class StopFlag(Protocol):
    """What the feed uses to stop a wake-up source (a ``threading.Event``)."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...


# meta keys a backend keeps for itself (PostgreSQL's schema version): never exported,
# never replaced by a restore
OWN_META = ("schema_version",)


@dataclass(frozen=True)
class BackupCopy:
    """A verified copy of a board: where, how big, rows per counted table, schema."""

    path: Path
    bytes: int
    counts: dict[str, int]
    schema: int


@runtime_checkable
class Backend(Protocol):
    """One open board on some database. See the module docstring for the rules."""

    kind: str  # "sqlite" or "postgresql"
    location: str  # what a person is shown: a file path, or a URL without password
    readonly: bool  # True when this process can only read (writes raise StoreError)
    busy_ms: int  # how long a writer waits for the write lock before Busy
    login: str | None  # the authenticated database user (PostgreSQL); None for a file

    def write(self, *, shared: bool = False) -> AbstractContextManager[Connection]:
        """A writing transaction, serialised with every other writer of the board;
        ``shared``: a change to one piece, which may run beside other such changes
        until it draws an event id (a backend with one writer ignores it)."""
        ...

    def event_id(self) -> Any:
        """The SQL value of a new event's id (drawn in commit order), or None when
        the table's own autoincrement gives that."""
        ...

    def read(self) -> AbstractContextManager[Connection]:
        """A reading transaction: one consistent snapshot."""
        ...

    def schema_version(self) -> int: ...

    def wake_source(self) -> WakeSource:
        """A new wake-up source for one feed (it may hold its own connection)."""
        ...

    def lost(self, what_next: str) -> str | None:
        """Why the board opened is gone, ending with ``what_next``; None while it is
        still there."""
        ...

    def details(self) -> dict[str, Any]:
        """What ``prodboard info`` shows about where the board lives, beyond ``kind``
        and ``location`` (a file's real path and size; a server's board schema)."""
        ...

    def backup_to(self, target: Path, *, force: bool = False) -> BackupCopy:
        """A consistent, verified copy of the open board at ``target``; a backend
        that cannot make one refuses with one line saying what to use instead."""
        ...

    def top_id(self, conn: Connection, table: str) -> int:
        """The highest id ``table`` (piece, comment, event) ever handed out, deleted
        rows included: an import that sets ids itself starts past it."""
        ...

    def ids_written(self, conn: Connection, tables: Iterable[str]) -> None:
        """After rows were inserted with ids set by the caller: the next id the
        board hands out itself comes after them."""
        ...

    def clear_events(self, conn: Connection) -> None:
        """Delete every event inside this write transaction, past the append-only
        guard, which stands again when the call returns. Only for a full restore
        into an empty board, whose founding events the export's history replaces."""
        ...

    def close(self) -> None: ...


def meta_value(conn: Connection, key: str, default: str = "") -> str:
    """A board-wide setting from the ``meta`` table (same SQL on every backend)."""
    row = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": key}).first()
    return str(row[0]) if row else default


def too_new(where: str, version: int, supported: int) -> SchemaTooNew:
    return SchemaTooNew(
        f"{where} was written by a newer prodboard (schema {version}; this "
        f"version reads up to {supported}): upgrade prodboard"
    )


class Unreachable(StoreError):
    """The database server cannot be reached right now (restarted, network down):
    nothing was saved; the same call may work once it is back."""

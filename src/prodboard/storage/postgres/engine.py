"""The PostgreSQL engine: connections, transactions, the per-board write lock, errors.

Driver: psycopg 3 through SQLAlchemy 2. Every connection opens with
``search_path`` set to the board's schema (``address.py``), so the same tables and
the same SQL serve every board on the server.

**Event ids in commit order.** A sequence hands ids out at insert time, not at
commit: T1 draws 1, T2 draws 2 and commits, a reader moves its cursor to 2, T1
commits 1, and ``id > cursor`` never reads it. So an event id is drawn only under
the board's *event lock* (``pg_advisory_xact_lock`` on ``event_key``), taken by the
id's own value (``event_id()``: the lock, then ``nextval``) and held until the
transaction ends. The lock is released only after the commit is visible to new
snapshots (PostgreSQL ends a transaction in the proc array before it releases its
locks), so the next drawer draws after the previous one is visible: a reader that
sees id n sees every id below it that will ever commit.

**Who waits for whom.** Every write first takes the *board lock* (``board_key``): a
change to one piece (``write(shared=True)``: edit, move, comment, …) takes it
shared and reads its piece ``FOR NO KEY UPDATE``, so such changes run side by side
up to their first event and queue only for the event lock, from the event's insert
to the commit; any other write (people, imports, reordering, raised alerts,
migrations) takes it exclusive and has the board to itself, as on SQLite. A shared
writer locks one piece row and then the event lock; nothing holding the event lock
waits for a row another writer holds, so they cannot deadlock. Other boards have
other keys (their commits do queue on NOTIFY's commit-time lock, one for the whole
server: docs/scaling.md). The alternative (recording ``pg_current_xact_id()`` and
reading only below the snapshot's xmin) would make every reader reason about
in-flight transactions; here readers stay ``id > cursor``.

Reads run in REPEATABLE READ, READ ONLY transactions: one snapshot per block, as
SQLite's deferred transactions give.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, create_engine, literal_column, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from prodboard.errors import BadInput, Busy, ProdboardError, Refused, StoreError
from prodboard.storage.backend import BackupCopy, BoardLost, Unreachable, WakeSource, meta_value
from prodboard.storage.postgres.address import Address

LOCK_CLASS = 0x70626F61  # "pboa": the high half of every board's (board) lock key
EVENT_CLASS = 0x70626F65  # "pboe": the high half of every board's event lock key
_LOST_CHECK_S = 1.0  # how stale a "still there" answer may be on the feed's hot path


def lock_key(schema_oid: int) -> int:
    """The board lock's advisory key: our class in the high 32 bits, the schema's OID
    (unique per database, and advisory locks are per database) in the low 32."""
    return (LOCK_CLASS << 32) | schema_oid


def event_key(schema_oid: int) -> int:
    """The event lock's advisory key: the id of a new event is drawn under it."""
    return (EVENT_CLASS << 32) | schema_oid


class PostgresStore:
    """A board in one schema of a PostgreSQL database (the ``Backend`` contract)."""

    kind = "postgresql"

    def __init__(self, address: Address, *, busy_ms: int) -> None:
        self.address = address
        self.location = address.shown
        self.schema = address.board
        self.channel = f"prodboard_{address.board}"  # the NOTIFY channel
        self.busy_ms = busy_ms
        self.readonly = False  # set by the schema check: SELECT only on the event table
        self.identity: int | None = None  # the schema's OID, set once it exists
        self.login: str | None = None  # current_user, set by the schema check
        self._checked = (0.0, True)  # (when, still there) of the last lost() look
        self.engine: Engine = create_engine(
            address.url,
            connect_args={"options": f"-c search_path={self.schema}", "connect_timeout": 5,
                          "application_name": "prodboard"},
            pool_size=4, max_overflow=8,
        )

    # -- transactions ------------------------------------------------------------
    @contextmanager
    def write(self, *, shared: bool = False) -> Iterator[Connection]:
        """A writing transaction: the board lock first (shared for a change to one
        piece, else exclusive), committed on success."""
        if self.readonly:
            raise StoreError(f"{self.location} is read-only for you (SELECT only): "
                             "changes cannot be saved")
        with translate_errors(self), self.engine.connect() as raw:
            # BEGIN travels with the lock in one round trip: the driver is put in
            # autocommit (so it sends no BEGIN of its own) and the two go as one
            # simple-protocol query; psycopg still sends COMMIT or ROLLBACK while a
            # transaction is open. Every value in it is an integer or a checked name.
            conn = raw.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin():
                cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                cur.execute(
                    f"BEGIN; SELECT set_config('lock_timeout', '{int(self.busy_ms)}ms', true), "
                    f"pg_advisory_xact_lock{'_shared' if shared else ''}"
                    f"({lock_key(self.identity or 0)}), "
                    f"(SELECT oid FROM pg_namespace WHERE nspname = '{self.schema}')")
                cur.nextset()
                found = cur.fetchone()[2]
                if self.identity is not None and found != self.identity:
                    raise BoardLost(self._lost_message(found, "nothing was saved: reopen the board"))
                yield conn

    def event_id(self) -> Any:
        # a scalar subquery: its FROM (the lock) runs before its select list (nextval)
        return literal_column(
            f"(SELECT nextval('{self.schema}.event_id_seq') "
            f"FROM (SELECT pg_advisory_xact_lock({event_key(self.identity or 0)})) AS held)")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with translate_errors(self), self.engine.connect() as raw:
            conn = raw.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn

    @contextmanager
    def admin(self) -> Iterator[Connection]:
        """A transaction outside the board's lock (creating or migrating the schema)."""
        with translate_errors(self), self.engine.connect() as conn, conn.begin():
            yield conn

    def schema_version(self) -> int:
        with self.read() as conn:
            return int(meta_value(conn, "schema_version", "0"))

    def wake_source(self) -> WakeSource:
        from prodboard.storage.postgres.wake import ListenWake

        return ListenWake(self)

    # -- the board going away ------------------------------------------------------
    def _lost_message(self, now: int | None, what_next: str) -> str:
        how = (f"dropped (its schema {self.schema} is gone from the server)" if now is None
               else f"replaced by another board (its schema {self.schema} was dropped and made "
               "again)")
        return f"the board {self.location} was {how} while open; {what_next}"

    def lost(self, what_next: str) -> str | None:
        """Whether the board's schema is still the one opened. Looked up at most once a
        second while it is there (the feed asks around every read); an unreachable
        server is not a lost board (the feed retries), so it answers None."""
        when, there = self._checked
        if there and time.monotonic() - when < _LOST_CHECK_S:
            return None
        try:
            with self.engine.connect() as conn:
                now = conn.execute(text("SELECT oid FROM pg_namespace WHERE nspname = :s"),
                                   {"s": self.schema}).scalar()
        except DBAPIError:
            return None
        self._checked = (time.monotonic(), now == self.identity)
        return None if now == self.identity else self._lost_message(now, what_next)

    # -- what info, backup, import and restore need --------------------------------------
    def details(self) -> dict[str, Any]:
        return {"host": self.address.host, "database": self.address.database,
                "board_schema": self.schema, "login": self.login}

    def backup_to(self, target: Path, *, force: bool = False) -> BackupCopy:
        raise Refused(f"backup copies an SQLite board file; {self.location} is on a PostgreSQL "
                      "server: use `prodboard export --format json --out FILE` (restored with "
                      "`prodboard import FILE` into an empty board), or pg_dump for the database")

    def top_id(self, conn: Connection, table: str) -> int:
        top, used = conn.execute(text(
            f"SELECT coalesce(max(id), 0), coalesce(pg_sequence_last_value("
            f"pg_get_serial_sequence('{table}', 'id')::regclass), 0) FROM {table}")).one()
        return max(int(top), int(used))

    def ids_written(self, conn: Connection, tables: Iterable[str]) -> None:
        # A sequence does not move when an id is given: set it past the largest one.
        for table in tables:
            top = self.top_id(conn, table)
            if top > 0:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :v)"),
                             {"v": top})

    def clear_events(self, conn: Connection) -> None:
        # DDL is transactional: the guard is off only inside this transaction.
        conn.exec_driver_sql("ALTER TABLE event DISABLE TRIGGER event_append_only")
        conn.exec_driver_sql("DELETE FROM event")
        conn.exec_driver_sql("ALTER TABLE event ENABLE TRIGGER event_append_only")

    def recheck(self) -> None:
        """Forget the last "still there": the next lost() asks the server."""
        self._checked = (0.0, True)

    def close(self) -> None:
        self.engine.dispose()


_GONE = ("57P01", "57P02", "57P03")  # admin_shutdown, crash_shutdown, cannot_connect_now


@contextmanager
def translate_errors(store: PostgresStore) -> Iterator[None]:
    """Turn driver errors into one-line errors a person can act on."""
    try:
        yield
    except IntegrityError as exc:
        raise BadInput(f"the board refused the change: {_first_line(exc.orig)}") from exc
    except DBAPIError as exc:
        raise translate(store, exc.orig, exc.connection_invalidated) from exc
    except psycopg.Error as exc:
        raise translate(store, exc, False) from exc


def _first_line(exc: object) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def translate(store: PostgresStore, exc: BaseException | None, dropped: bool) -> ProdboardError:
    code = getattr(exc, "sqlstate", None) or ""
    msg = _first_line(exc)
    where = f"{store.address.host}/{store.address.database}"
    if code == "40P01":  # cannot happen between prodboard writers (see above); an admin's
        return Busy(f"the board is busy: a write waited on another's lock ({msg}); try again")
    if code == "55P03":
        return Busy(f"the board is busy: another writer held its lock for more than "
                    f"{store.busy_ms / 1000:g} s; try again")
    if code == "42501":
        return StoreError(f"permission denied on {store.location}: {msg}")
    if code == "3D000":
        return StoreError(f"no database {store.address.database!r} on {store.address.host}: "
                          "create it first (createdb)")
    if code in ("28P01", "28000"):
        return StoreError(f"cannot log in to {where}: {msg}")
    if code in ("42P01", "3F000"):
        store.recheck()  # the schema may have been dropped: lost() looks again
        return BoardLost(f"the board {store.location} is missing its tables ({msg}); reopen it")
    if str(exc).startswith(("connection failed:", "failed to resolve host")):
        return _connect_failed(store, str(exc))
    if dropped or code.startswith("08") or code in _GONE or isinstance(exc, psycopg.OperationalError):
        return Unreachable(f"lost the connection to the PostgreSQL server {where} ({msg}): "
                           "nothing was saved; try again")
    return StoreError(f"database error on {store.location}: {msg}")


def _connect_failed(store: PostgresStore, message: str) -> StoreError:
    """One line for each reason a connection is refused at the door."""
    reason = message.splitlines()[0].rsplit(" failed: ", 1)[-1].replace("FATAL:", "").strip()
    host, database = store.address.host, store.address.database
    if "does not exist" in reason and reason.startswith("database"):
        return StoreError(f"no database {database!r} on {host}: create it first (createdb {database})")
    if "does not exist" in reason and reason.startswith("role"):
        return StoreError(f"cannot log in to {host}: {reason} (an admin creates it: see docs/postgres.md)")
    if "authentication failed" in reason or "password" in reason:
        return StoreError(f"cannot log in to {host}/{database}: {reason}")
    if "permission denied" in reason:
        return StoreError(f"cannot connect to {host}/{database}: {reason}")
    return Unreachable(f"cannot reach the PostgreSQL server {host} ({reason}): is it running? "
                       "Nothing was changed")


def current_user(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_user")).scalar_one())


def can_write(conn: Connection) -> bool:
    """Whether the connected role may append events (a reader has SELECT only)."""
    return bool(conn.execute(text("SELECT has_table_privilege('event', 'INSERT')")).scalar_one())

"""The SQLite store: opening errors, migrations, read-only files, locks, pragmas."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from prodboard.errors import BadInput, Busy, ProdboardError, StoreError
from prodboard.services.context import open_board
from prodboard.storage import tables as models
from prodboard.storage.sqlite.engine import SQLiteStore
from prodboard.storage.store import open_store

V1_TABLES = [models.META, models.PEOPLE, models.PIECES, models.COMMENTS, models.EVENTS,
             models.READ_CURSORS]


def one_line(exc: ProdboardError, code: int) -> str:
    """The error is one non-empty line with the expected exit code; returns it."""
    msg = str(exc)
    assert msg.strip() and "\n" not in msg, msg
    assert exc.exit_code == code
    return msg


def open_error(path: Path, **kw: object) -> str:
    with pytest.raises(StoreError) as info:
        open_store(path, **kw)  # type: ignore[arg-type]
    return one_line(info.value, 2)


def make_board(path: Path) -> int:
    """A board with one piece; returns the piece id. Closes every connection."""
    session = open_board(path, "ana", create=True)
    try:
        return session.board.create("First piece", tags=["seo"])
    finally:
        session.close()


def build_v1(path: Path) -> None:
    """A schema-1 board: every table but ``watch`` and ``raisedalert``, with content."""
    engine = create_engine(f"sqlite:///{path}")
    now = "2025-01-01T00:00:00+00:00"
    with engine.begin() as conn:
        for table in V1_TABLES:
            table.create(conn)
        conn.execute(models.META.insert(), [
            {"key": "app", "value": "prodboard"}, {"key": "board_name", "value": "Old board"},
        ])
        conn.execute(models.PEOPLE.insert().values(
            handle="ana", display_name="Ana", roles=["pm"], created_at=now))
        conn.execute(models.PIECES.insert().values(
            id=1, title="Old piece", stage="draft", stage_entered_at=now, created_at=now,
            updated_at=now))
        conn.execute(models.EVENTS.insert().values(
            at=now, actor="ana", kind="piece.created", piece_id=1,
            data={"title": "Old piece", "version": 1, "changes": {}}))
        conn.exec_driver_sql("PRAGMA user_version=1")
    engine.dispose()


# -- files that cannot be used ------------------------------------------------------------


def test_missing_directory(tmp_path: Path) -> None:
    msg = open_error(tmp_path / "nowhere" / "board.db", create=True)
    assert "does not exist" in msg and "nowhere" in msg
    assert not (tmp_path / "nowhere").exists()


def test_missing_file_without_create(db_path: Path) -> None:
    msg = open_error(db_path)
    assert "no board" in msg and "prodboard init" in msg
    assert not db_path.exists()  # nothing was created behind our back


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert "directory" in open_error(tmp_path)


def test_text_file_is_not_a_board(db_path: Path) -> None:
    db_path.write_text("name,stage\nhello,draft\n" * 100)
    msg = open_error(db_path)
    assert "not a prodboard database" in msg and "not an SQLite file" in msg
    assert db_path.read_text().startswith("name,stage")  # left untouched


def test_empty_file_without_create_is_not_a_board(db_path: Path) -> None:
    db_path.touch()
    assert "not a prodboard database" in open_error(db_path)


def test_other_sqlite_database_is_refused(db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    raw.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    raw.commit()
    raw.close()
    assert "not a prodboard database" in open_error(db_path, create=True)
    raw = sqlite3.connect(db_path)
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    raw.close()
    assert tables == {"invoices"}  # create=True did not add our tables to someone else's file


def test_sqlite_with_a_user_version_but_no_meta_is_refused(db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    raw.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    raw.execute("PRAGMA user_version=1")
    raw.commit()
    raw.close()
    assert "not a prodboard database" in open_error(db_path)


def test_newer_schema_is_refused(db_path: Path) -> None:
    make_board(db_path)
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version={models.SCHEMA_VERSION + 5}")
    raw.close()
    msg = open_error(db_path)
    assert "newer prodboard" in msg and str(models.SCHEMA_VERSION + 5) in msg
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == models.SCHEMA_VERSION + 5
    raw.close()


# -- migrations -----------------------------------------------------------------------------


def test_older_schema_is_migrated_in_place(db_path: Path) -> None:
    build_v1(db_path)
    inode = db_path.stat().st_ino
    session = open_board(db_path, "ana")
    try:
        assert not session.created
        with session.store.read() as conn:
            version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
            tables = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            triggers = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert version == models.SCHEMA_VERSION
        assert {"watch", "raisedalert"} <= tables
        assert {"event_append_only_u", "event_append_only_d"} <= triggers
        piece = session.queries.piece(1)
        assert piece is not None and piece.title == "Old piece"
        assert session.queries.board_name() == "Old board"
        assert session.board.watch(1) is True  # the new table works
        assert session.queries.watchers(1) == {"ana"}
    finally:
        session.close()
    assert db_path.stat().st_ino == inode  # in place, not a replaced file


def test_older_read_only_schema_cannot_be_migrated(db_path: Path) -> None:
    build_v1(db_path)
    db_path.chmod(0o444)
    msg = open_error(db_path)
    assert "older schema" in msg and "read-only" in msg


# -- read-only files --------------------------------------------------------------------------


def test_read_only_file_reads_but_refuses_writes(db_path: Path) -> None:
    pid = make_board(db_path)
    db_path.chmod(0o444)
    session = open_board(db_path, "ana")
    try:
        assert session.store.readonly
        assert [p.title for p in session.queries.pieces()] == ["First piece"]
        for attempt in (
            lambda: session.board.create("Another"),
            lambda: session.board.edit(pid, {"title": "Changed"}),
            lambda: session.board.comment(pid, "hello"),
        ):
            with pytest.raises(StoreError) as info:
                attempt()
            assert "read-only" in one_line(info.value, 2)
        assert [p.title for p in session.queries.pieces()] == ["First piece"]
    finally:
        session.close()


# -- locks --------------------------------------------------------------------------------------


def test_locked_board_raises_busy_not_a_traceback(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pid = make_board(db_path)
    monkeypatch.setenv("PRODBOARD_BUSY_TIMEOUT_MS", "200")
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        session = open_board(db_path, "ana")  # opening and reading work under the lock
        try:
            assert session.store.busy_ms == 200
            assert session.queries.piece(pid) is not None
            start = time.monotonic()
            with pytest.raises(Busy) as info:
                session.board.edit(pid, {"title": "Blocked"})
            elapsed = time.monotonic() - start
            msg = one_line(info.value, 1)
            assert "busy" in msg and "0.2 s" in msg
            # It waited for the lock (busy_timeout), then gave up rather than hang; the
            # upper bound is generous for a loaded machine (200 ms is checked above).
            assert 0.15 < elapsed < 60
        finally:
            session.close()
    finally:
        holder.rollback()
        holder.close()
    session = open_board(db_path, "ana")
    try:
        assert session.board.edit(pid, {"title": "Now it works"}).title == "Now it works"
    finally:
        session.close()


def test_busy_timeout_comes_from_the_environment(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_board(db_path)
    monkeypatch.setenv("PRODBOARD_BUSY_TIMEOUT_MS", "200")
    store, _ = open_store(db_path)
    try:
        assert store.busy_ms == 200
        assert isinstance(store, SQLiteStore)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 200
    finally:
        store.close()


def test_locked_board_on_the_command_line_exits_1(db_path: Path, cli: Any) -> None:
    make_board(db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = cli("add", "Blocked piece", env={"PRODBOARD_BUSY_TIMEOUT_MS": "200"})
        assert code == 1, (out, err)
        assert err.startswith("prodboard: the board is busy") and err.count("\n") == 1
        code, out, _ = cli("ls", env={"PRODBOARD_BUSY_TIMEOUT_MS": "200"})
        assert code == 0 and "First piece" in out  # reading is never blocked by a writer
    finally:
        holder.rollback()
        holder.close()
    raw = sqlite3.connect(db_path)
    assert raw.execute("SELECT count(*) FROM piece").fetchone()[0] == 1
    raw.close()


def test_write_transactions_take_the_write_lock_at_begin(db_path: Path) -> None:
    make_board(db_path)
    store, _ = open_store(db_path)
    other = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    try:
        with store.write() as conn:
            conn.exec_driver_sql("SELECT 1")  # nothing written yet: BEGIN IMMEDIATE still holds
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.rollback()
    finally:
        other.close()
        store.close()


# -- new files, pragmas, the event table ------------------------------------------------------------


def test_new_board_file_is_group_writable(db_path: Path) -> None:
    old = os.umask(0o077)
    try:
        make_board(db_path)
    finally:
        os.umask(old)
    mode = stat.S_IMODE(db_path.stat().st_mode)
    assert mode & 0o664 == 0o664, oct(mode)


def test_wal_file_copies_the_group_mode(db_path: Path) -> None:
    make_board(db_path)
    store, _ = open_store(db_path)
    keep = sqlite3.connect(db_path)  # keeps -wal alive after the store's connection closes
    try:
        keep.execute("SELECT count(*) FROM piece").fetchone()
        with store.write() as conn:
            conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        wal = db_path.with_name(db_path.name + "-wal")
        assert wal.exists()
        assert stat.S_IMODE(wal.stat().st_mode) & 0o664 == 0o664
    finally:
        keep.close()
        store.close()


def test_engine_connection_pragmas(db_path: Path) -> None:
    make_board(db_path)
    store, _ = open_store(db_path, busy_ms=1234)
    try:
        assert isinstance(store, SQLiteStore)
        with store.engine.connect() as conn:
            def pragma(name: str) -> Any:
                return conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()

            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 1234
            assert pragma("synchronous") == 1  # NORMAL
            assert pragma("journal_size_limit") > 0
        with store.write() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        store.close()


def test_foreign_keys_are_enforced(db_path: Path) -> None:
    make_board(db_path)
    store, _ = open_store(db_path)
    try:
        with pytest.raises(BadInput) as info, store.write() as conn:
            conn.execute(text(
                "INSERT INTO comment (piece_id, author, body, mentions, created_at) "
                "VALUES (999, 'nobody', 'x', '[]', 'now')"))
        one_line(info.value, 2)
    finally:
        store.close()


def test_event_table_is_append_only(db_path: Path) -> None:
    make_board(db_path)
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        before = raw.execute("SELECT id, kind, data FROM event ORDER BY id").fetchall()
        assert before
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE event SET kind = 'forged'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM event")
        assert raw.execute("SELECT id, kind, data FROM event ORDER BY id").fetchall() == before
    finally:
        raw.close()
    store, _ = open_store(db_path)
    try:
        with pytest.raises(ProdboardError) as info, store.write() as conn:
            conn.exec_driver_sql("DELETE FROM event WHERE id = 1")
        assert "append-only" in one_line(info.value, 2)
    finally:
        store.close()


def test_a_second_open_in_one_process_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    """Opening the board again in a process that has it open must not drop the POSIX
    locks SQLite holds there (its header check closed a descriptor of the file, which
    drops them all): another process closing the board then took itself for the last
    and deleted the -wal and -shm under the first one's connections."""
    db = tmp_path / "board.db"
    first = open_board(db, "ana", create=True, demo=True)
    first.queries.last_event_id()
    second = open_board(db, "ana")
    closing = "import sys; from prodboard.services.context import open_board as o; " \
              "o(sys.argv[1], 'ana').close()"
    subprocess.run([sys.executable, "-c", closing, str(db)], check=True, timeout=120)
    assert Path(f"{db}-shm").exists() and Path(f"{db}-wal").exists()
    second.close()
    first.close()

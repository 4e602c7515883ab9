"""Readers without write access: they read where SQLite allows it, and never leave a
-wal/-shm of theirs behind (such files lock the owner and the group out).

The tests run as root in CI, where ``os.access`` allows everything: they either turn
the file's write bits off (prodboard reads that as read-only), or run the command
line as other OS users (numeric uids, no account needed) to meet real permissions.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodboard.errors import Busy
from prodboard.services.context import open_board
from prodboard.services.feed import ChangeFeed
from prodboard.storage.sqlite.engine import SQLiteStore as Store

OWNER, READER = 47011, 47012  # two people who share no group
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")

# The interpreter lives under /root, out of other users' reach: start as root, import
# everything the command needs, then become the user before the board is touched.
_AS_USER = """
import os, sys
import importlib, prodboard.cli, prodboard.services.alerts, prodboard.services.feed, prodboard.services.checks
import prodboard.services.context, prodboard.services.demo_history
from prodboard.cli.command_table import COMMANDS  # the CLI imports a command's module on use
for module in {entry.module for entry in COMMANDS.values()}:
    importlib.import_module(f"prodboard.cli.{module}")
import sqlalchemy.dialects.sqlite.pysqlite, sqlite3, json, encodings.idna
uid = int(sys.argv[1])
sys.argv = ["prodboard", *sys.argv[2:]]
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
prodboard.cli.main()
"""


def run_as(uid: int, home: Path, db: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana",
           "XDG_CONFIG_HOME": str(home / f"config-{uid}"), "XDG_DATA_HOME": str(home / f"data-{uid}"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", _AS_USER, str(uid), *args], env=env,
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def side_files(db: Path) -> set[str]:
    return {p.name for p in db.parent.iterdir() if p.name != db.name and p.name.startswith(db.name)}


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder both users can reach (pytest's tmp_path is root's alone)."""
    top = Path(tempfile.mkdtemp(prefix="prodboard-ro-", dir="/tmp"))
    top.chmod(0o755)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def owner_board(shared: Path, folder_mode: int) -> Path:
    """A board made by OWNER with one piece, in a folder of the given mode."""
    folder = shared / "team"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    db = folder / "board.db"
    assert run_as(OWNER, shared, db, "init")[0] == 0
    code, _, err = run_as(OWNER, shared, db, "add", "Launch post")
    assert code == 0, err
    assert side_files(db) == set()  # the owner's last connection cleaned up
    if folder_mode != 0o777:
        os.chown(folder, OWNER, OWNER)
    folder.chmod(folder_mode)
    return db


@as_root
def test_a_reader_in_a_writable_folder_leaves_nothing_that_locks_the_owner_out(
    shared: Path,
) -> None:
    db = owner_board(shared, 0o777)
    code, out, err = run_as(READER, shared, db, "ls")
    assert code == 0, err
    assert "Launch post" in out
    assert side_files(db) == set()  # no -wal/-shm owned by the reader
    code, _, err = run_as(OWNER, shared, db, "add", "Second post")
    assert code == 0, err


@as_root
def test_a_read_only_folder_still_lets_a_reader_read(shared: Path) -> None:
    db = owner_board(shared, 0o755)  # only the owner may create files there
    code, out, err = run_as(READER, shared, db, "ls")
    assert code == 0, err
    assert "Launch post" in out
    code, _, err = run_as(READER, shared, db, "add", "Nope")
    assert code == 2 and "read-only" in err


@as_root
def test_a_reader_sees_what_an_open_board_has_not_checkpointed(shared: Path) -> None:
    """While the owner's board is open, its latest commits live in -wal only; with
    both files present a reader uses them (SQLite >= 3.22), creating nothing."""
    db = owner_board(shared, 0o755)
    holder = subprocess.Popen(
        [sys.executable, "-c", _AS_USER.replace(
            "prodboard.cli.main()",
            "from prodboard.services.context import open_board\n"
            "s = open_board(__import__('pathlib').Path(sys.argv[1]), 'ana')\n"
            "s.board.create('Only in the WAL')\n"
            "print('ready', flush=True)\n"
            "sys.stdin.read()\n"
            "s.close()\n"), str(OWNER), str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "XDG_CONFIG_HOME": str(shared / "cfg"), "XDG_DATA_HOME": str(shared / "d")},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        before = {n: (db.parent / n).stat().st_uid for n in side_files(db)}
        assert before == {"board.db-wal": OWNER, "board.db-shm": OWNER}
        code, out, err = run_as(READER, shared, db, "ls")
        assert code == 0, err
        assert "Only in the WAL" in out
        assert {n: (db.parent / n).stat().st_uid for n in side_files(db)} == before
    finally:
        holder.communicate("", timeout=30)
    assert side_files(db) == set()  # the owner's close still cleans up


def test_read_only_file_leaves_no_wal_or_shm(cli: Any, db_path: Path) -> None:
    assert cli("init")[0] == 0
    assert cli("add", "A piece")[0] == 0
    db_path.chmod(0o444)
    code, out, err = cli("ls")
    assert code == 0, err
    assert "A piece" in out
    assert side_files(db_path) == set()


def test_a_wal_with_changes_but_no_shm_is_one_clear_line(cli: Any, db_path: Path) -> None:
    """After a crash the -wal may hold commits; if -shm is gone, reading would mean
    creating it: say so instead."""
    assert cli("init")[0] == 0
    code = ("import os, sys\nfrom pathlib import Path\nfrom prodboard.services.context import open_board\n"
            f"s = open_board(Path({str(db_path)!r}), 'ana')\ns.board.create('In the WAL')\n"
            "os.kill(os.getpid(), 9)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert Path(f"{db_path}-wal").stat().st_size > 0
    os.remove(f"{db_path}-shm")
    db_path.chmod(0o444)
    code_, out, err = cli("ls")
    assert code_ == 2 and out == ""
    assert err.count("\n") == 1 and "-shm is missing" in err and "write access" in err, err
    assert side_files(db_path) == {"board.db-wal"}


def test_a_snapshot_read_that_races_a_checkpoint_is_refused(make_session: Any, db_path: Path) -> None:
    writer = make_session("ana")
    writer.board.create("first")
    writer.close()
    reader = Store(db_path, readonly=True, busy_ms=1000)  # no -wal: a snapshot
    try:
        with pytest.raises(Busy, match="changed while"), reader.read() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM piece").scalar_one()
            other = open_board(db_path, "ana")
            other.board.create("second")
            other.close()  # the last connection checkpoints into the file
        with reader.read() as conn:  # the next read sees the new state
            assert conn.exec_driver_sql("SELECT count(*) FROM piece").scalar_one() == 2
    finally:
        reader.close()
    assert side_files(db_path) == set()


def test_a_readers_feed_delivers_through_the_watcher(make_session: Any, db_path: Path) -> None:
    writer = make_session("ana")
    writer.board.create("first")
    writer.close()
    db_path.chmod(0o444)
    reader = open_board(db_path, "ana")
    assert reader.store.readonly
    start = reader.queries.last_event_id()

    async def scenario() -> list[int]:
        feed = ChangeFeed(reader.store, start, poll_interval=60)  # the poll never comes
        got: list[int] = []

        async def collect() -> None:
            async for batch in feed.batches():
                got.extend(ev.id for ev in batch)
                return

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.3)
        code = ("from pathlib import Path\nfrom prodboard.storage.sqlite.engine import SQLiteStore as Store\n"
                "from prodboard.services.commands import Commands\n"
                "from prodboard.domain.workflow import default_workflow\n"
                f"st = Store(Path({str(db_path)!r}), readonly=False, busy_ms=5000)\n"
                "Commands(st, default_workflow(), 'ana').create('second')\nst.close()\n")
        proc = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code],
                                       capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        try:
            await asyncio.wait_for(task, 30)
        finally:
            feed.close()
        return got

    try:
        assert asyncio.run(scenario()) == [start + 1]
    finally:
        reader.close()
        db_path.chmod(0o664)

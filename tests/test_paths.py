"""Boards in folders whose names mean something in a URI: ``#``, ``?``, ``%``, spaces and
non-ASCII. Each must create, write, be listed read-only, and deliver live changes
through the watcher, without SQLite creating a file anywhere else."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from prodboard.services.context import open_board
from prodboard.services.feed import ChangeFeed
from prodboard.storage.sqlite.engine import file_uri

FOLDERS = ["team#1", "100%", "%41b", "what?", "with space", "café ünï", "a?b#c%20d"]


def listing(root: Path) -> set[str]:
    """Every file and folder under ``root``, relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def delivered_by_the_watcher(path: Path) -> bool:
    """A board open on ``path`` hears another process's commit through the directory
    watcher alone: the fallback poll is a minute away and the wait is 30 s."""
    session = open_board(path, "ana")
    try:
        start = session.queries.last_event_id()

        async def scenario() -> list[int]:
            feed = ChangeFeed(session.store, start, poll_interval=60)
            got: list[int] = []

            async def collect() -> None:
                async for batch in feed.batches():
                    got.extend(ev.id for ev in batch)
                    if got:
                        return

            task = asyncio.create_task(collect())
            await asyncio.sleep(0.3)  # the watcher is up
            env = {**os.environ, "PRODBOARD_DB": str(path), "PRODBOARD_USER": "ana"}
            proc = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "prodboard", "add", "Second piece"],
                env=env, capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0, proc.stderr
            try:
                await asyncio.wait_for(task, 30)
            except TimeoutError:
                pass
            finally:
                feed.close()
            return got

        got = asyncio.run(scenario())
        # the add's events (a first-time actor also joins) arrive in one commit
        return bool(got) and got == list(range(start + 1, session.queries.last_event_id() + 1))
    finally:
        session.close()


@pytest.mark.parametrize("folder", FOLDERS)
def test_file_uri_round_trips_through_sqlite(tmp_path: Path, folder: str) -> None:
    import sqlite3

    path = tmp_path / folder / "board.db"
    path.parent.mkdir()
    raw = sqlite3.connect(file_uri(path, mode="rwc"), uri=True)
    raw.execute("CREATE TABLE t(x)")
    raw.close()
    assert listing(tmp_path) == {folder, f"{folder}/board.db"}


@pytest.mark.parametrize("folder", FOLDERS)
def test_board_in_an_awkward_folder_works_end_to_end(cli: Any, tmp_path: Path, folder: str) -> None:
    root = tmp_path / "root"
    path = root / folder / "board.db"
    path.parent.mkdir(parents=True)
    assert cli("init", db=path)[0] == 0
    code, out, err = cli("add", "First piece", db=path)
    assert code == 0, err
    # Read-only: the file's write bits are off (root included, see store._is_read_only).
    path.chmod(0o444)
    code, out, err = cli("ls", "--json", db=path)
    assert code == 0, err
    assert [p["title"] for p in json.loads(out)] == ["First piece"]
    path.chmod(0o664)
    # No stray file beside the folder or in it: only the board (its -wal/-shm are gone
    # once the last connection closed).
    assert listing(root) == {folder, f"{folder}/board.db"}

    # Live delivery through the watcher: the fallback poll is a minute away.
    assert delivered_by_the_watcher(path)
    assert listing(root) <= {folder, f"{folder}/board.db", f"{folder}/board.db-wal",
                             f"{folder}/board.db-shm"}


def test_a_symlinked_board_is_watched_where_sqlite_keeps_its_wal(cli: Any, tmp_path: Path) -> None:
    """SQLite follows the link and writes -wal beside the real file: that folder is the
    one to watch."""
    real = tmp_path / "team share" / "board.db"
    real.parent.mkdir()
    assert cli("init", db=real)[0] == 0
    link = tmp_path / "mine" / "board.db"
    link.parent.mkdir()
    link.symlink_to(real)
    assert delivered_by_the_watcher(link)
    assert listing(link.parent) == {"board.db"}

"""Backups of an open board, restores into the live file, and `prodboard info`."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import one_error_line

from prodboard.services.context import Workspace, open_board
from prodboard.storage.tables import SCHEMA_VERSION


def titles(db: Path) -> list[str]:
    raw = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in raw.execute("SELECT title FROM piece ORDER BY id")]
    except sqlite3.DatabaseError:
        return []
    finally:
        raw.close()


def test_cp_loses_what_is_in_the_wal_and_backup_does_not(
        cli: Any, make_session: Callable[..., Workspace], db_path: Path, tmp_path: Path) -> None:
    first = make_session("ana")
    first.board.create("Checkpointed long ago")
    first.close()  # the last connection closing checkpoints the WAL into board.db
    live = make_session("ana")
    live.board.create("Still in the WAL")  # the board stays open: no checkpoint yet
    assert Path(f"{db_path}-wal").stat().st_size > 0
    copied = tmp_path / "cp.db"
    shutil.copyfile(db_path, copied)
    assert titles(copied) == ["Checkpointed long ago"]  # the piece in the WAL is lost
    backed = tmp_path / "backup.db"
    code, out, err = cli("backup", backed)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"backed up to {backed} (") and out.strip().endswith("verified")
    assert "2 pieces" in out
    assert titles(backed) == ["Checkpointed long ago", "Still in the WAL"]
    assert not Path(f"{backed}-wal").exists()
    raw = sqlite3.connect(backed)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    restored = open_board(backed, "ana")  # a backup is a board
    try:
        assert [p.title for p in restored.queries.pieces()] == titles(backed)
    finally:
        restored.close()


def test_backup_bad_targets_write_nothing(cli: Any, make_session: Callable[..., Workspace],
                                          db_path: Path, tmp_path: Path) -> None:
    make_session("ana").board.create("x")
    existing = tmp_path / "old.db"
    existing.write_bytes(b"keep me")
    for target, says in ((existing, "exists (use --force"), (tmp_path, "is a directory"),
                         (tmp_path / "no" / "b.db", "does not exist"), (db_path, "the board itself")):
        code, out, err = cli("backup", target)
        assert code == 2 and out == "" and says in one_error_line(err), (target, err)
    assert existing.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["old.db", "board.db", "board.db-wal", "board.db-shm"])
    code, out, _ = cli("backup", existing, "--force")
    assert code == 0 and titles(existing) == ["x"]


def test_restore_refuses_while_others_have_the_board_open(
        cli: Any, make_session: Callable[..., Workspace], db_path: Path, tmp_path: Path) -> None:
    s = make_session("ana")
    s.board.create("In the backup")
    backed = tmp_path / "b.db"
    assert cli("backup", backed)[0] == 0
    s.board.create("After the backup")
    s.close()
    # Another process has the board open: a follower of the event log.
    env = {**os.environ, "PRODBOARD_DB": str(db_path), "PRODBOARD_USER": "ana"}
    follower = subprocess.Popen([sys.executable, "-m", "prodboard", "log", "-f"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert follower.stdout is not None
        for _ in range(3):  # its backlog printed: it has the board open
            assert follower.stdout.readline()
        code, out, err = cli("restore", backed)
        assert code == 1 and "open in another prodboard" in one_error_line(err)
        assert titles(db_path) == ["In the backup", "After the backup"]
        code, out, err = cli("restore", backed, "--force")
        assert code == 0, err
        assert out.startswith(f"restored {db_path} from {backed} (")
        assert titles(db_path) == ["In the backup"]
    finally:
        follower.terminate()
        follower.wait(timeout=30)
    code, out, err = cli("restore", backed)  # nobody has it open now
    assert code == 0, err
    s = open_board(db_path, "ana")
    try:
        assert [p.title for p in s.queries.pieces()] == ["In the backup"]
        assert s.board.create("Writes work after a restore") == 2
    finally:
        s.close()


def test_restore_bad_inputs(cli: Any, make_session: Callable[..., Workspace], db_path: Path,
                            tmp_path: Path) -> None:
    make_session("ana").board.create("keep")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    other = tmp_path / "other.db"
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE t (x)")
    raw.commit()
    raw.close()
    for source, says in ((tmp_path / "missing.db", "no such file"), (text, "not an SQLite file"),
                         (other, "not a prodboard database")):
        code, out, err = cli("restore", source)
        assert code == 2 and out == "" and says in one_error_line(err), err
    assert titles(db_path) == ["keep"]
    backed = tmp_path / "b.db"
    cli("backup", backed)
    code, _, err = cli("restore", backed, db=other)  # over something that is not a board
    assert code == 2 and "not a prodboard board" in one_error_line(err)


def test_restore_still_restores_an_archived_piece(cli: Any, make_session: Callable[..., Workspace]) -> None:
    s = make_session("ana")
    pid = s.board.create("Back again")
    s.board.archive(pid)
    code, out, _ = cli("restore", pid)
    assert (code, out) == (0, f"#{pid} restored\n")
    code, _, err = cli("restore", "99999999999999999999")
    assert code == 2 and "out of range" in one_error_line(err)


# -- info ----------------------------------------------------------------------------------------


def test_info(cli: Any, make_session: Callable[..., Workspace], db_path: Path, tmp_path: Path) -> None:
    s = make_session("ana")
    s.board.create("One")
    team = db_path.parent / "prodboard.toml"
    team.write_text("", encoding="utf-8")
    code, out, err = cli("info", "--json")
    assert (code, err) == (0, ""), err
    info = json.loads(out)
    assert info["board"]["path"] == str(db_path) and info["board"]["schema"] == SCHEMA_VERSION
    assert info["board"]["bytes"] > 0 and info["counts"]["pieces"] == 1
    assert info["config"]["team"] == str(team) and info["config"]["personal"] is None
    assert str(db_path.parent / "prodboard.toml") in info["config"]["team_search"]
    assert info["user"] == {"handle": "ana", "on_board": True, "roles": ["admin"]}
    assert info["live"]["watcher"] is True
    code, out, _ = cli("info", user=None, env={"PRODBOARD_WATCH": "0", "LOGNAME": "zed",
                                               "USER": "zed"})
    assert code == 0
    assert f"board:      {db_path}" in out and "acting as:  zed  (not on the board: a guest)" in out
    assert "live:       poll only (PRODBOARD_WATCH=0)" in out
    code, _, err = cli("info", env={"PRODBOARD_WATCH": "maybe"})
    assert code == 2 and "PRODBOARD_WATCH" in one_error_line(err)
    code, _, err = cli("info", db=tmp_path / "none.db")
    assert code == 2 and "no board" in one_error_line(err)


def test_restore_makes_a_missing_board(cli: Any, make_session: Callable[..., Workspace],
                                       tmp_path: Path) -> None:
    make_session("ana").board.create("Saved")
    backed = tmp_path / "b.db"
    cli("backup", backed)
    fresh = tmp_path / "fresh.db"
    code, out, err = cli("restore", backed, db=fresh, user="zed")  # zed is not on that team
    assert code == 0, err
    assert titles(fresh) == ["Saved"]

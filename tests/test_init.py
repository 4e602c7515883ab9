"""Creating a board: ``init`` makes an empty one, only the bare ``prodboard`` may make the
demo (and says so), a missing board is a clear error, a failed init leaves nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import prodboard
from prodboard.errors import StoreError
from prodboard.services.context import default_db_path, open_board

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The command line on the default board path (no --db, no PRODBOARD_DB)."""
    full = {k: v for k, v in os.environ.items() if k != "PRODBOARD_DB"}
    full.update({"PRODBOARD_USER": "ana", "PYTHONIOENCODING": "utf-8", **(env or {})})
    proc = subprocess.run([sys.executable, "-m", "prodboard", *args], env=full,
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def board_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.glob(path.name + "*")) if path.parent.exists() else []


def test_init_on_the_default_path_makes_an_empty_board() -> None:
    path = default_db_path()
    assert not path.exists()
    code, out, err = run("init")
    assert code == 0, err
    assert str(path) in out
    code, out, err = run("ls", "--json")
    assert code == 0, err
    assert json.loads(out) == []  # no demo pieces
    s = open_board(path, "ana")
    try:
        assert [p.handle for p in s.queries.people() if p.handle in {"ben", "chloe"}] == []
    finally:
        s.close()


@pytest.mark.parametrize("command", [["ls"], ["add", "A piece"], ["people"], ["log"]])
def test_a_command_on_a_missing_default_board_is_a_clear_error(command: list[str]) -> None:
    path = default_db_path()
    code, out, err = run(*command)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no board at" in err and "prodboard init" in err, err
    assert not path.exists() and board_files(path) == []


def test_init_demo_on_the_default_path_makes_the_demo() -> None:
    code, _, err = run("init", "--demo")
    assert code == 0, err
    code, out, _ = run("ls", "--json")
    assert len(json.loads(out)) > 5


def test_only_the_bare_command_creates_the_demo_and_it_says_so() -> None:
    path = default_db_path()
    with pytest.raises(StoreError, match="no board at"):
        open_board(None, "ana")
    assert not path.exists()
    s = open_board(None, "ana", demo_if_missing=True)  # what the bare `prodboard` asks for
    try:
        assert s.created and s.queries.pieces()
        assert "demo" in s.note and str(path) in s.note
    finally:
        s.close()
    again = open_board(None, "ana", demo_if_missing=True)  # an existing board is just opened
    try:
        assert not again.created and again.note == ""
    finally:
        again.close()


def test_demo_content_is_one_real_file() -> None:
    shipped = Path(prodboard.__file__).parent / "data" / "demo.json"
    assert shipped.is_file() and not shipped.is_symlink()
    assert json.loads(shipped.read_text(encoding="utf-8"))["pieces"]
    tracked = subprocess.run(["git", "ls-files", "-s", "--", "*demo.json"], cwd=REPO,
                             capture_output=True, text=True, timeout=30).stdout.splitlines()
    assert [line.split()[0] for line in tracked] == ["100644"]  # one copy, not a link


def test_a_failed_init_leaves_no_half_made_board(tmp_path: Path) -> None:
    db = tmp_path / "board.db"
    code, out, err = run("--db", str(db), "init", "--name", "   ")
    assert code == 2 and "name" in err
    assert board_files(db) == []


def test_init_demo_from_a_checkout_without_symlinks_fails_cleanly(tmp_path: Path) -> None:
    """Git writes a symlink as a text file holding its target when symlinks are off."""
    copy = tmp_path / "src"
    shutil.copytree(Path(prodboard.__file__).parent, copy / "prodboard")
    (copy / "prodboard" / "data" / "demo.json").write_text("../../../data/demo.json")
    db = tmp_path / "board.db"
    code, out, err = run("--db", str(db), "init", "--demo", env={"PYTHONPATH": str(copy)})
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "demo content" in err, err
    assert board_files(db) == []


async def test_the_board_tells_a_newcomer_it_made_the_demo() -> None:
    from prodboard.tui.app import make_app

    s = open_board(None, "ana", demo_if_missing=True)
    app = make_app(s, live=False)
    try:
        async with app.run_test(size=(120, 35), notifications=True) as pilot:
            await pilot.pause(0.2)
            texts = [str(n.message) for n in app._notifications]
            assert any("created the demo board" in t and str(default_db_path()) in t
                       for t in texts), texts
    finally:
        s.close()


def test_the_bare_commands_demo_lets_its_person_act() -> None:
    """A newcomer's first `prodboard` is a trial board they can change, not a guest view."""
    s = open_board(None, "zoe", demo_if_missing=True)
    try:
        assert "zoe" in s.note
        assert "zoe" in {p.handle for p in s.queries.people()}
        pid = s.board.create("my first piece")
        s.board.comment(pid, "works")
    finally:
        s.close()

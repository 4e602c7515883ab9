"""Review tracks from the command line: approve and request-changes per track, the
refusals (not your track, not in review, your own piece) with exit 1, `reviews ID`,
`reassign` and `ls --awaiting-me`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from inprocess import dump, invoke
from test_json_contract import check_object

from prodboard.services.context import Workspace, open_board

CONFIG = """
[formats.whitepaper]
reviews = ["editor", "sme", "legal"]
"""


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Workspace]:
    (tmp_path / "prodboard.toml").write_text(CONFIG, encoding="utf-8")
    s = open_board(tmp_path / "board.db", "pia", create=True)
    s.board.set_person("pia", roles=["pm"])
    for handle, role in (("wes", "writer"), ("eve", "editor"), ("sam", "sme"), ("lee", "legal")):
        s.board.add_person(handle, handle.title(), [role])
    yield s
    s.close()


@pytest.fixture
def run(tmp_path: Path, board: Workspace) -> Callable[..., tuple[int, str, str]]:
    def call(*args: Any, user: str = "pia") -> tuple[int, str, str]:
        return invoke([str(a) for a in args], tmp_path / "board.db", user=user)

    return call


def in_review(board: Workspace, fmt: str = "whitepaper") -> int:
    pid = board.board.create(f"A {fmt}", stage="draft", imported=True, owner="wes", format=fmt)
    board.board.move(pid, "review")
    return pid


def test_approving_each_track_moves_the_piece_on(run: Callable[..., Any], board: Workspace) -> None:
    pid = in_review(board)
    code, out, err = run("approve", pid, user="sam")
    assert (code, err) == (0, "")
    assert out.strip() == f"#{pid} approved the sme track; tracks: editor · ✓sme · legal"
    assert run("approve", pid, "--track", "legal", user="lee")[0] == 0
    code, out, _ = run("approve", pid, user="eve")
    assert (code, out.strip()) == (0, f"#{pid} approved → optimize")


def test_the_refusals_exit_1_and_change_nothing(
    run: Callable[..., Any], board: Workspace, tmp_path: Path,
) -> None:
    pid = in_review(board)
    draft = board.board.create("Still drafting", stage="draft", imported=True, owner="wes",
                               format="whitepaper")
    before = dump(tmp_path / "board.db")
    code, out, err = run("approve", pid, "--track", "editor", user="sam")
    assert (code, out) == (1, "")
    assert err.startswith(f"prodboard: not your track: the editor track of #{pid} is eve's")
    code, _, err = run("request-changes", pid, "--track", "legal", "--note", "No", user="sam")
    assert code == 1 and "not your track" in err
    code, _, err = run("approve", draft, user="sam")
    assert (code, err.strip()) == (1, f"prodboard: piece #{draft} is not in Review")
    code, _, err = run("approve", pid, user="wes")
    assert code == 1 and "your own piece" in err
    code, _, err = run("reassign", pid, "editor", "eve", user="sam")
    assert code == 1 and "may reassign it" in err
    assert dump(tmp_path / "board.db") == before
    code, _, err = run("approve", pid, "--track", "design", user="sam")  # a typo: bad input
    assert code == 2 and "no 'design' track" in err
    code, _, err = run("approve", pid, "--track", "\x1b[31mlegal\nx", user="sam")
    assert code == 2 and "\x1b" not in err and err.count("\n") == 1


def test_a_real_process_refuses_another_persons_track(
    board: Workspace, tmp_path: Path, cli: Any,
) -> None:
    pid = in_review(board)
    code, out, err = cli("approve", pid, "--track", "legal", user="sam", db=tmp_path / "board.db")
    assert (code, out) == (1, "")
    assert err.strip() == (f"prodboard: not your track: the legal track of #{pid} is lee's (their "
                           "delegate may decide once the 48 h review deadline has passed)")
    code, out, _ = cli("show", pid, user="sam", db=tmp_path / "board.db")
    assert code == 0 and "review tracks: editor eve waiting, sme sam waiting, legal lee waiting" in out


def test_request_changes_on_my_track(run: Callable[..., Any], board: Workspace) -> None:
    pid = in_review(board)
    code, out, _ = run("request-changes", pid, "--track", "sme", "--note", "Cite sources",
                       user="sam")
    assert (code, out.strip()) == (0, f"#{pid} → draft (revision 1)")
    assert board.queries.piece(pid).stage == "draft"  # type: ignore[union-attr]


def test_reviews_prints_the_tracks(run: Callable[..., Any], board: Workspace) -> None:
    pid = in_review(board)
    run("approve", pid, user="sam")
    code, out, _ = run("reviews", pid)
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == f"#{pid} A whitepaper: parallel review, editor · ✓sme · legal"
    assert lines[1].split()[:3] == ["editor", "eve", "waiting"] and lines[1].endswith("left 2 d")
    assert lines[2].split()[:5] == ["sme", "sam", "approved", "by", "sam"]
    code, out, _ = run("reviews", pid, "--json")
    tracks = json.loads(out)
    for i, track in enumerate(tracks):
        check_object(track, "Track", f"reviews --json[{i}]")  # the shape docs/json.md gives
    assert [(t["role"], t["reviewer"], t["state"]) for t in tracks] == [
        ("editor", "eve", "waiting"), ("sme", "sam", "approved"), ("legal", "lee", "waiting")]
    blog = in_review(board, "blog post")
    assert run("reviews", blog)[1].strip() == f"#{blog}: blog post has no review tracks (one approval)"


def test_reassign_and_awaiting_me(run: Callable[..., Any], board: Workspace) -> None:
    pid = in_review(board)
    other = in_review(board)
    board.board.add_person("eli", "Eli", ["editor"])  # joins after the routing
    def ids(user: str) -> set[int]:
        return {int(line.split()[0]) for line in run("ls", "--awaiting-me", user=user)[1].splitlines()}

    assert ids("sam") == {pid, other} and ids("eli") == set()
    editor = {t.role: t.reviewer for t in board.queries.piece(pid).tracks}["editor"]  # type: ignore[union-attr]
    code, out, _ = run("reassign", pid, "editor", "eli")
    assert (code, out.strip()) == (0, f"#{pid} editor track → eli")
    assert ids("eli") == {pid} and pid not in ids(str(editor))
    run("approve", pid, user="sam")
    code, out, _ = run("ls", "--awaiting-me", "--json", user="sam")
    assert [p["id"] for p in json.loads(out)] == [other]

"""The command line through the real entry point, in a subprocess, checked against the database."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import one_error_line

from prodboard.services.context import Workspace, open_board
from prodboard.storage import tables as models


@pytest.fixture
def board(make_session: Callable[..., Workspace]) -> Workspace:
    """A board with ana (pm, strategist), ben (editor), chloe (writer); opened as ana."""
    s = make_session("ana")
    s.board.set_person("ana", display_name="Ana Ruiz", roles=["pm", "strategist"])
    s.board.add_person("ben", "Ben Okafor", ["editor"])
    s.board.add_person("chloe", "Chloé Martin", ["writer"])
    return s


def piece(s: Workspace, pid: int) -> Any:
    found = s.queries.piece(pid)
    assert found is not None
    return found


def last_kind(s: Workspace) -> str:
    return s.queries.events_since(s.queries.last_event_id() - 1)[0].kind


# -- init ------------------------------------------------------------------------------------------


def test_init_creates_once(cli: Any, db_path: Path) -> None:
    code, out, err = cli("init", "--name", "Growth team")
    assert (code, err) == (0, "")
    assert out == f"created {db_path}\n"
    assert stat.S_IMODE(db_path.stat().st_mode) & 0o664 == 0o664
    code, out, err = cli("init")
    assert code == 2 and out == ""
    assert "already holds a board" in one_error_line(err)
    s = open_board(db_path, "ana")
    try:
        assert s.queries.board_name() == "Growth team"
        assert s.queries.pieces() == []
    finally:
        s.close()


def test_init_demo(cli: Any, db_path: Path) -> None:
    code, _, err = cli("init", "--demo")
    assert (code, err) == (0, "")
    code, out, _ = cli("ls", "--json")
    pieces = json.loads(out)
    assert code == 0 and len(pieces) >= 10
    assert {p["stage"] for p in pieces} >= {"ideas", "draft", "review", "published"}
    code, out, _ = cli("people")
    assert code == 0 and "ben" in out and "editor" in out


# -- pieces ------------------------------------------------------------------------------------------


def test_add(cli: Any, board: Workspace) -> None:
    code, out, err = cli("add", "Pricing page", "--format", "video", "--stage", "brief",
                         "--owner", "chloe", "--due", "2025-03-01", "--publish", "2025-03-10",
                         "--tag", "seo", "--tag", "pricing", "--channel", "blog", "--reviewer", "ben")
    assert (code, err) == (0, "")
    pid = int(out)
    p = piece(board, pid)
    assert (p.title, p.format, p.stage, p.owner, p.due, p.publish_date) == (
        "Pricing page", "video", "brief", "chloe", "2025-03-01", "2025-03-10")
    assert (p.tags, p.channels, p.reviewers) == (("seo", "pricing"), ("blog",), ("ben",))
    code, out, _ = cli("add", "Second")
    assert code == 0 and int(out) == pid + 1 and piece(board, pid + 1).stage == "ideas"


def test_add_past_a_gate_is_refused_unless_overridden(cli: Any, board: Workspace) -> None:
    code, out, err = cli("add", "Straight to published", "--stage", "published")
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert "cannot create a piece in Published" in line and "brief" in line
    assert not [p for p in board.queries.pieces() if p.title == "Straight to published"]
    board.board.add_person("pm", "Pat", ["pm"])
    code, out, err = cli("add", "Moved from the old tool", "--stage", "published",
                         "--override", "migrated from Trello", user="pm")
    assert code == 0, err
    created = board.queries.history(int(out))[0]
    assert created.data["override"] == "migrated from Trello"


def test_move(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Piece")
    code, out, err = cli("move", pid, "brief", user="chloe")
    assert (code, out, err) == (0, f"#{pid} → brief\n", "")
    assert piece(board, pid).stage == "brief"

    code, out, err = cli("move", pid, "draft", user="chloe")
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert "brief gate" in line and "audience" in line and "success metrics" in line
    assert piece(board, pid).stage == "brief"

    code, _, err = cli("move", pid, "limbo")
    assert code == 2 and "unknown stage 'limbo'" in one_error_line(err)

    code, out, err = cli("move", pid, "draft", "--override", "launch on Monday")
    assert (code, err) == (0, "")
    [ev] = board.queries.events_since(board.queries.last_event_id() - 1)
    assert ev.data["override"] == "launch on Monday" and ev.actor == "ana"


def test_assign(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Piece")
    code, out, _ = cli("assign", pid, "@chloe")
    assert (code, out) == (0, f"#{pid} → chloe\n")
    assert piece(board, pid).owner == "chloe"
    code, _, err = cli("assign", pid, "zed")
    assert code == 2 and "unknown person 'zed'" in one_error_line(err)
    code, out, _ = cli("assign", pid, "-")
    assert (code, out) == (0, f"#{pid} → nobody\n")
    assert piece(board, pid).owner is None


def test_comment(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Piece")
    code, out, err = cli("comment", pid, "Over to @ben and @editor", user="chloe")
    assert (code, err) == (0, "")
    first = int(out)
    body = "From stdin\nwith two lines \x1b[31mand colour\x1b[0m 🎨\n"
    code, out, err = cli("comment", pid, "-", input=body)
    assert (code, err) == (0, "") and int(out) == first + 1
    comments = board.queries.comments(pid)
    assert [(c.author, c.mentions) for c in comments] == [("chloe", ("ben", "editor")), ("ana", ())]
    assert comments[1].body == "From stdin\nwith two lines and colour 🎨"  # escapes go whole
    code, _, err = cli("comment", pid, "-", input="  \n")
    assert code == 2 and "needs some text" in one_error_line(err)


def test_edit(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Piece")
    code, out, err = cli("edit", pid, "--title", "New title", "--audience", "CMOs", "--tags", "a, b",
                         "--due", "2025-04-01", "--priority", 1, "--cost", 250.5)
    assert (code, out, err) == (0, f"#{pid} version 2\n", "")
    p = piece(board, pid)
    assert (p.title, p.audience, p.tags, p.due, p.priority, p.cost) == (
        "New title", "CMOs", ("a", "b"), "2025-04-01", 1, 250.5)
    code, out, err = cli("edit", pid, "--title", "Stale title", "--version", 1, user="ben")
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert "ana changed" in line and "title" in line
    code, out, _ = cli("edit", pid, "--key-message", "Ship it", "--version", 1, user="ben")
    assert (code, out) == (0, f"#{pid} version 3\n")  # other fields: merged
    p = piece(board, pid)
    assert (p.title, p.key_message) == ("New title", "Ship it")


def test_archive_restore_reject(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Piece")
    code, out, _ = cli("archive", pid, "--reason", "duplicate")
    assert (code, out) == (0, f"#{pid} archived\n")
    p = piece(board, pid)
    assert p.archived and p.archive_reason == "duplicate"
    code, _, err = cli("archive", pid)
    assert code == 1 and "already archived" in one_error_line(err)
    code, out, _ = cli("restore", pid)
    assert (code, out) == (0, f"#{pid} restored\n") and not piece(board, pid).archived
    code, out, _ = cli("reject", pid, "--reason", "off brand")
    assert (code, out) == (0, f"#{pid} rejected\n")
    assert piece(board, pid).archive_reason == "off brand" and last_kind(board) == "piece.rejected"
    code, _, err = cli("reject", pid)  # --reason is required: a usage error
    assert code == 2 and "--reason" in err


def test_tick(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Piece", stage="optimize", imported=True)
    code, out, _ = cli("tick", pid, "seo", user="chloe")
    assert (code, out) == (0, f"#{pid} seo ticked\n")
    assert piece(board, pid).checklist["seo"]["by"] == "chloe"
    code, out, _ = cli("tick", pid, "seo", "--undo")
    assert (code, out) == (0, f"#{pid} seo unticked\n") and piece(board, pid).checklist == {}
    code, _, err = cli("tick", pid, "vibes")
    assert code == 2 and "unknown checklist item" in one_error_line(err)


def test_approve_and_request_changes(cli: Any, board: Workspace) -> None:
    first = board.board.create("First", stage="review", imported=True)
    second = board.board.create("Second", stage="review", imported=True)
    code, _, err = cli("approve", first, user="chloe")
    line = one_error_line(err)
    assert code == 1 and "editor" in line and "approve" in line
    code, out, _ = cli("approve", first, user="ben")
    assert (code, out) == (0, f"#{first} approved → optimize\n")
    p = piece(board, first)
    assert (p.stage, p.approved_by) == ("optimize", "ben")
    code, out, _ = cli("request-changes", second, "--note", "tighten the intro", user="ben")
    assert (code, out) == (0, f"#{second} → draft (revision 1)\n")
    p = piece(board, second)
    assert (p.stage, p.revision_rounds) == ("draft", 1)
    assert last_kind(board) == "piece.changes_requested"


def test_watch(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Piece")
    code, out, _ = cli("watch", pid, user="chloe")
    assert (code, out) == (0, f"#{pid} watched\n") and board.queries.watchers(pid) == {"chloe"}
    code, out, _ = cli("watch", pid, "--off", user="chloe")
    assert (code, out) == (0, f"#{pid} unwatched\n") and board.queries.watchers(pid) == set()


# -- reading ------------------------------------------------------------------------------------------


def test_show(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Launch 🚀 [bold]x[/b]", owner="chloe", due="2025-05-01")
    board.board.comment(pid, "Ping @ben")
    board.board.move(pid, "brief")
    text_result, json_result = cli.many(("show", pid), ("show", pid, "--json"))
    code, out, err = text_result
    assert (code, err) == (0, "")
    assert out.startswith(f"#{pid} Launch 🚀 [bold]x[/b]\n")
    assert "owner: chloe" in out and "due: 2025-05-01" in out and "stage: Brief" in out
    assert "ana: Ping @ben" in out
    assert "created" in out and "Ideas → Brief" in out

    code, out, err = json_result
    data = json.loads(out)
    assert (code, err) == (0, "")
    assert (data["id"], data["title"], data["stage"], data["owner"]) == (
        pid, "Launch 🚀 [bold]x[/b]", "brief", "chloe")
    assert [(c["author"], c["body"], c["mentions"]) for c in data["comments"]] == [
        ("ana", "Ping @ben", ["ben"])]
    assert [e["kind"] for e in data["history"]] == ["piece.created", "comment.added", "piece.moved"]
    assert data["history"][-1]["data"]["changes"]["stage"] == ["ideas", "brief"]


def test_ls(cli: Any, board: Workspace) -> None:
    a = board.board.create("Alpha", owner="chloe")
    b = board.board.create("Beta", stage="draft", owner="ben", imported=True)
    c = board.board.create("Gamma", stage="draft", imported=True)
    board.board.archive(board.board.create("Archived"))
    plain, by_stage, by_owner, as_json, bad_stage = cli.many(
        ("ls",), ("ls", "--stage", "Draft"), ("ls", "--owner", "@chloe", "--json"), ("ls", "--json"),
        ("ls", "--stage", "limbo"))
    code, out, _ = plain
    lines = out.splitlines()
    assert code == 0 and [ln.split()[0] for ln in lines] == [str(a), str(b), str(c)]
    assert "Alpha" in lines[0] and "chloe" in lines[0]
    code, out, _ = by_stage
    assert code == 0 and [ln.split()[0] for ln in out.splitlines()] == [str(b), str(c)]
    code, out, _ = by_owner
    assert code == 0 and [p["id"] for p in json.loads(out)] == [a]
    code, out, _ = as_json
    rows = json.loads(out)
    assert [(r["id"], r["title"], r["stage"], r["owner"], r["version"]) for r in rows] == [
        (a, "Alpha", "ideas", "chloe", 1), (b, "Beta", "draft", "ben", 1), (c, "Gamma", "draft", None, 1)]
    code, _, err = bad_stage
    assert code == 2 and "unknown stage" in one_error_line(err)


def test_log(cli: Any, board: Workspace) -> None:
    pid = board.board.create("Piece")
    mark = board.queries.last_event_id()
    board.board.comment(pid, "hello")
    board.board.move(pid, "brief")
    everything, since = cli.many(("log",), ("log", "--since", mark, "--json"))
    code, out, _ = everything
    lines = out.splitlines()
    assert code == 0 and len(lines) == board.queries.last_event_id()
    assert "ana created 'Piece' in Ideas" in lines[-3] and "Ideas → Brief" in lines[-1]
    code, out, _ = since
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [e["kind"] for e in events] == ["comment.added", "piece.moved"]
    assert [e["id"] for e in events] == [mark + 1, mark + 2]
    assert events[0]["data"]["body"] == "hello" and events[1]["piece_id"] == pid


def test_people(cli: Any, board: Workspace) -> None:
    code, out, _ = cli("people", "add", "Dev", "--name", "Dev Patel", "--role", "designer", "--role", "sme")
    assert (code, out) == (0, "added dev\n")
    dev = board.queries.person("dev")
    assert dev is not None and (dev.display_name, dev.roles) == ("Dev Patel", ("designer", "sme"))
    code, _, err = cli("people", "add", "dev")
    assert code == 2 and "already on the board" in one_error_line(err)

    code, out, _ = cli("people", "away", "chloe", "--note", "out sick", "--delegate", "ben")
    assert (code, out) == (0, "chloe is away\n")
    chloe = board.queries.person("chloe")
    assert chloe is not None and (chloe.away, chloe.away_note, chloe.delegate) == (True, "out sick", "ben")
    code, out, _ = cli("people")
    assert code == 0 and [ln.split()[0] for ln in out.splitlines()] == ["ana", "ben", "chloe", "dev"]
    assert "away (out sick)" in next(ln for ln in out.splitlines() if ln.startswith("chloe"))
    code, out, _ = cli("people", "back", "chloe")
    assert (code, out) == (0, "chloe is back\n")
    chloe = board.queries.person("chloe")
    assert chloe is not None and not chloe.away

    code, out, _ = cli("people", "set", "chloe", "--level", "all", "--roles", "writer, SME",
                       "--name", "C. M.")
    assert (code, out) == (0, "chloe updated\n")
    code, out, _ = cli("people", "--json")
    people = {p["handle"]: p for p in json.loads(out)}
    assert code == 0
    assert (people["chloe"]["alert_level"], people["chloe"]["roles"], people["chloe"]["display_name"]) == (
        "all", ["writer", "sme"], "C. M.")
    code, _, err = cli("people", "set", "chloe")
    assert code == 2 and "nothing to change" in one_error_line(err)


# -- errors ------------------------------------------------------------------------------------------


def test_boards_that_cannot_be_opened(cli: Any, tmp_path: Path) -> None:
    missing_dir = tmp_path / "nope" / "board.db"
    text_file = tmp_path / "notes.db"
    text_file.write_text("just some notes\n")
    other_app = tmp_path / "other.db"
    raw = sqlite3.connect(other_app)
    raw.execute("CREATE TABLE t (x)")
    raw.close()
    newer = tmp_path / "newer.db"
    open_board(newer, "ana", create=True).close()
    raw = sqlite3.connect(newer)
    raw.execute(f"PRAGMA user_version={models.SCHEMA_VERSION + 1}")
    raw.close()
    cases = [
        (("ls", {"db": missing_dir}), "does not exist"),
        (("init", {"db": missing_dir}), "does not exist"),
        (("ls", {"db": tmp_path / "absent.db"}), "no board at"),
        (("ls", {"db": text_file}), "not a prodboard database"),
        (("add", "x", {"db": other_app}), "not a prodboard database"),
        (("init", {"db": other_app}), "not a prodboard database"),
        (("ls", {"db": newer}), "newer prodboard"),
        (("add", "x", {"db": newer}), "newer prodboard"),
    ]
    results = cli.many(*(call for call, _ in cases))
    for (call, needle), (code, out, err) in zip(cases, results, strict=True):
        assert code == 2 and out == "", (call, out, err)
        assert needle in one_error_line(err), (call, err)
    assert not missing_dir.parent.exists() and not (tmp_path / "absent.db").exists()
    assert text_file.read_text() == "just some notes\n"


def test_read_only_board(cli: Any, board: Workspace, db_path: Path) -> None:
    board.board.create("Readable")
    board.close()
    db_path.chmod(0o444)
    code, out, err = cli("ls")
    assert (code, err) == (0, "") and "Readable" in out
    code, out, err = cli("add", "Not saved")
    assert code != 0 and out == ""
    assert "read-only" in one_error_line(err)
    db_path.chmod(0o644)
    s = open_board(db_path, "ana")
    try:
        assert [p.title for p in s.queries.pieces()] == ["Readable"]
    finally:
        s.close()


def test_bad_input_exits_2(cli: Any, board: Workspace) -> None:
    board.board.create("Piece")
    before = board.queries.last_event_id()
    cases = [
        (("show", 999), "no piece #999"),
        (("move", 999, "draft"), "no piece #999"),
        (("comment", 999, "hello"), "no piece #999"),
        (("add", "Piece", "--due", "2025-02-30"), "'2025-02-30' is not a date"),
        (("edit", 1, "--publish", "next week"), "'next week' is not a date"),
        (("edit", 1, "--priority", 9), "priority: use 1 (urgent) to 4 (low)"),
        (("people", "away", "zed"), "unknown person 'zed'"),
    ]
    usage = [("move", "abc", "draft"), ("show", "1.5"), ("edit", "#1", "--title", "x")]
    results = cli.many(*(call for call, _ in cases), *usage)
    for (call, needle), (code, out, err) in zip(cases, results, strict=False):
        assert code == 2 and out == "", (call, err)
        assert needle in one_error_line(err), (call, err)
    for call, (code, out, err) in zip(usage, results[len(cases):], strict=True):
        assert code == 2 and out == "" and "is not a valid integer" in err, (call, err)
    assert board.queries.last_event_id() == before


def test_usage_errors_are_one_line(cli: Any, board: Workspace) -> None:
    for args in (("move", "abc", "draft"), ("move", "1"), ("bogus",), ("ls", "--stage")):
        code, out, err = cli(*args)
        assert code == 2 and out == ""
        assert one_error_line(err).startswith("prodboard: ")

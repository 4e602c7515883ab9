"""Export and import through the real command line, checked against the database."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import one_error_line
from terminal import stderr_on_a_terminal

from prodboard.services.alerts import alerts_in
from prodboard.services.context import Workspace, open_board
from prodboard.services.transfer import VOLATILE, neutralise, unneutralise
from prodboard.storage.tables import SCHEMA_VERSION


def counts(db: Path) -> dict[str, int]:
    raw = sqlite3.connect(db)
    try:
        return {t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("piece", "event", "comment", "import_source", "recipient", "person")}
    finally:
        raw.close()


def without_volatile(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if not any(line.startswith(f' "{k}"') for k in VOLATILE)]


@pytest.fixture
def board(make_session: Callable[..., Workspace]) -> Workspace:
    s = make_session("ana")
    s.board.set_person("ana", display_name="Ana Ruiz", roles=["pm", "editor"])
    s.board.add_person("ben", "Ben Okafor", ["editor"])
    s.board.add_person("chloe", "Chloé Martin", ["writer"])
    return s


# -- export → import → export ----------------------------------------------------------------


def test_demo_round_trip_is_byte_identical(cli: Any, tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    assert cli("init", "--demo", db=demo)[0] == 0
    assert cli("comment", 1, "Hello @ben, see\nthe brief", db=demo)[0] == 0
    assert cli("tick", 5, "seo", db=demo)[0] == 0
    assert cli("inbox", "--all-read", user="ben", db=demo)[0] == 0  # a read cursor
    assert cli("comment", 1, "@ben and one more", db=demo)[0] == 0
    [item] = json.loads(cli("inbox", "--json", user="ben", db=demo)[1])
    assert cli("inbox", "--read", item["id"], user="ben", db=demo)[0] == 0  # a per-item mark
    assert cli("archive", 2, "--reason", "dropped", db=demo)[0] == 0
    first = tmp_path / "first.json"
    code, _, err = cli("export", "--out", first, db=demo)
    assert code == 0 and "exported to" in err
    empty = tmp_path / "empty.db"
    assert cli("init", db=empty)[0] == 0
    code, out, err = cli("import", first, db=empty)
    assert (code, err) == (0, ""), err
    assert out.startswith("restored the whole board: 8 people, 15 pieces, 5 comments")
    code, second, _ = cli("export", db=empty)
    assert code == 0
    one = first.read_text(encoding="utf-8")
    assert one != second  # exported_at differs, and only it
    assert without_volatile(one) == without_volatile(second)
    data = json.loads(second)
    assert {e["kind"] for e in data["events"]} >= {"piece.created", "comment.added", "checklist.ticked",
                                                   "piece.archived"}
    assert any(r["handle"] == "ben" and r["event_id"] > 0 for r in data["read_cursors"])
    # The restored board works: a new event takes the next id.
    assert cli("comment", 3, "after the restore", db=empty)[0] == 0
    s = open_board(empty, "ana")
    try:
        assert s.queries.last_event_id() == data["events"][-1]["id"] + 1
    finally:
        s.close()


def test_restore_needs_an_empty_board(cli: Any, tmp_path: Path, board: Workspace) -> None:
    board.board.create("Already here")
    demo = tmp_path / "demo.db"
    cli("init", "--demo", db=demo)
    dump = tmp_path / "d.json"
    cli("export", "--out", dump, db=demo)
    before = counts(Path(board.store.location))
    # Into a board with work: merged as pieces, people must exist here or be mapped.
    code, _, err = cli("import", dump)
    assert code == 2 and "piece #6: owner: 'gus' is not on the board" in one_error_line(err)
    assert counts(Path(board.store.location)) == before
    everyone = "dev=ana,eli=ana,fatima=ana,gus=ana,hana=ana"
    code, out, err = cli("import", dump, "--people", everyone)
    assert code == 0, err
    assert out.strip() == "created 15, updated 0, skipped (unchanged) 0"
    code, out, _ = cli("import", dump, "--people", everyone)
    assert out.strip() == "created 0, updated 0, skipped (unchanged) 15"
    assert counts(Path(board.store.location))["piece"] == 16


def test_restore_refuses_a_bad_row_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    cli("init", "--demo", db=demo)
    _, text, _ = cli("export", db=demo)
    data = json.loads(text)
    data["pieces"][1]["priority"] = "high"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    empty = tmp_path / "empty.db"
    cli("init", db=empty)
    before = counts(empty)
    code, out, err = cli("import", bad, db=empty)
    assert code == 2 and out == ""
    assert f"{bad}: pieces row 2: priority: must be a whole number" in one_error_line(err)
    assert counts(empty) == before
    data["pieces"][1]["priority"] = 2
    data["pieces"][1]["colour"] = "red"
    bad.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = cli("import", bad, db=empty)
    assert code == 2 and "pieces row 2: unknown field 'colour'" in one_error_line(err)
    assert counts(empty) == before


def test_a_guest_or_non_admin_cannot_restore(cli: Any, tmp_path: Path, board: Workspace) -> None:
    demo = tmp_path / "demo.db"
    cli("init", "--demo", db=demo)
    dump = tmp_path / "d.json"
    cli("export", "--out", dump, db=demo)
    before = counts(Path(board.store.location))
    code, _, err = cli("import", dump, user="chloe")
    assert code == 1 and "admin" in one_error_line(err)
    assert counts(Path(board.store.location)) == before


# -- CSV ---------------------------------------------------------------------------------------


HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "plain"]


def test_csv_export_neutralises_formulas_and_round_trips(cli: Any, board: Workspace,
                                                         tmp_path: Path) -> None:
    for title in HOSTILE:
        board.board.create(title, tags=["=cmd", "ok"], owner="ben")
    code, text, err = cli("export", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(HOSTILE)
    titles = [r["title"] for r in rows]
    assert titles[:4] == ["'" + t for t in HOSTILE[:4]]
    assert titles[4] == "TAB"  # a tab in a title was made a space on the way in, then stripped
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
               for row in rows for cell in row.values())
    assert rows[0]["tags"] == "'=cmd, ok"
    # Our own CSV comes back in: same titles, same tags, nothing doubled.
    out = tmp_path / "pieces.csv"
    out.write_text(text, encoding="utf-8", newline="")
    other = tmp_path / "other.db"
    cli("init", db=other)
    code, _, err = cli("import", out, "--people", "ben=ana", db=other)
    assert code == 0, err
    s = open_board(other, "ana")
    try:
        got = {p.title: p for p in s.queries.pieces()}
        assert set(got) == {clean for clean in (*HOSTILE[:4], "TAB", "plain")}
        assert got[HOSTILE[0]].tags == ("=cmd", "ok")
    finally:
        s.close()


def test_neutralise_is_reversible() -> None:
    for cell in [*HOSTILE, "'already quoted", "'=x", "", "'"]:
        assert unneutralise(neutralise(cell)) == cell


KANBOARD = (
    "Task,Column,Assignee,Due date,Tags,Reference\r\n"
    "Pricing page,Work in progress,Ben,2027-01-05,\"seo, q1\",K-1\r\n"
    "Webinar,Backlog,,,video,K-2\r\n"
    "Case study,Done,chloe,,,K-3\r\n"
)


def test_csv_with_columns_and_maps_then_again_updates(cli: Any, board: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "kanboard.csv"
    f.write_text(KANBOARD, encoding="utf-8")
    args = ("import", f, "--columns", "Reference=id", "--map",
            "Work in progress=draft,Backlog=ideas,Done=published")
    code, out, err = cli(*args, "--dry-run")
    assert code == 0, err
    assert out.splitlines() == [
        "create  new     row 2: Pricing page", "create  new     row 3: Webinar",
        "create  new     row 4: Case study", "would create 3, would update 0, would skip 0"]
    assert counts(Path(board.store.location))["piece"] == 0
    code, out, err = cli(*args)
    assert (code, out) == (0, "created 3, updated 0, skipped (unchanged) 0\n"), err
    pieces = {p.title: p for p in board.queries.pieces()}
    assert pieces["Pricing page"].stage == "draft" and pieces["Pricing page"].owner == "ben"
    assert pieces["Pricing page"].tags == ("seo", "q1") and pieces["Pricing page"].due == "2027-01-05"
    assert pieces["Case study"].stage == "published"
    f.write_text(KANBOARD.replace("Webinar,Backlog", "Webinar,Work in progress"), encoding="utf-8")
    code, out, _ = cli(*args, "--dry-run")
    assert "update  #2      row 3: Webinar" in out and "would update 1" in out
    code, out, _ = cli(*args)
    assert out == "created 0, updated 1, skipped (unchanged) 2\n"
    assert board.queries.piece(2).stage == "draft"  # type: ignore[union-attr]
    assert counts(Path(board.store.location))["piece"] == 3
    history = board.queries.history(2)
    assert [e.kind for e in history] == ["piece.created", "piece.edited"]
    assert all(e.data["imported"] and e.data["source"] == "csv:kanboard.csv" for e in history)


@pytest.mark.parametrize(("row", "field", "says"), [
    ("Bad date,Backlog,ben,2027-13-01,,K-9", "due", "not a date"),
    ("Unknown stage,Somewhere,ben,,,K-9", "stage", "unknown stage 'Somewhere'"),
    ("Unknown person,Backlog,zed,,,K-9", "owner", "'zed' is not on the board"),
    (",Backlog,ben,,,K-9", "title", "a piece needs a title"),
])
def test_a_bad_row_names_file_row_and_field_and_writes_nothing(
        cli: Any, board: Workspace, tmp_path: Path, row: str, field: str, says: str) -> None:
    f = tmp_path / "in.csv"
    f.write_text(KANBOARD + row + "\r\nLast,Backlog,,,,K-10\r\n", encoding="utf-8")
    before = counts(Path(board.store.location))
    code, out, err = cli("import", f, "--columns", "Reference=id", "--map",
                         "Work in progress=draft,Backlog=ideas,Done=published")
    assert code == 2 and out == ""
    assert f"{f}: row 5: {field}: " in one_error_line(err) and says in err
    assert counts(Path(board.store.location)) == before


@pytest.mark.parametrize(("content", "args", "says"), [
    (None, (), "no such file"),
    (b"\xff\xfetitle\n", ("--format", "csv"), "not UTF-8"),
    (b"", ("--format", "csv"), "empty"),
    (b"colour,size\nred,1\n", ("--format", "csv"), "no title column"),
    (b"title\nx\n", ("--format", "csv", "--map", "oops"), "--map: 'oops' is not NAME=VALUE"),
    (b"title\nx\n", ("--format", "csv", "--columns", "nope=title"), "--columns: no column 'nope'"),
    (b"title\nx\n", ("--format", "csv", "--columns", "title=colour"), "is not a field"),
    (b"{not json", (), "not JSON"),
    (b"[1, 2]", (), "neither a prodboard export nor a Trello"),
    (b"title\nx\nx\n", ("--format", "csv"), "used twice"),
])
def test_bad_import_files_and_options(cli: Any, board: Workspace, tmp_path: Path, content: bytes | None,
                                      args: tuple[str, ...], says: str) -> None:
    f = tmp_path / "input.dat"
    if content is not None:
        f.write_bytes(content)
    before = counts(Path(board.store.location))
    code, out, err = cli("import", f, *args)
    assert code == 2 and out == ""
    assert says in one_error_line(err)
    assert counts(Path(board.store.location)) == before


def test_unknown_format_is_a_usage_error(cli: Any, board: Workspace, tmp_path: Path) -> None:
    code, _, err = cli("import", tmp_path / "x.csv", "--format", "xml")
    assert code == 2 and "xml" in one_error_line(err)
    code, _, err = cli("export", "--format", "xml")
    assert code == 2 and "xml" in one_error_line(err)
    code, _, err = cli("export", "--out", tmp_path / "missing" / "x.json")
    assert code == 2 and "cannot write" in one_error_line(err)


def test_an_import_is_one_alert_for_the_others(cli: Any, board: Workspace, tmp_path: Path) -> None:
    board.board.set_person("ben", alert_level="all")
    cursor = board.queries.last_event_id()
    rows = "".join(f"Piece {i},draft,chloe\r\n" for i in range(40))
    f = tmp_path / "many.csv"
    f.write_text("title,stage,owner\r\n" + rows, encoding="utf-8")
    code, _, err = cli("import", f)
    assert code == 0, err
    events = board.queries.events_since(cursor)
    assert len(events) == 40 and all(e.data["imported"] for e in events)
    for who in ("ben", "chloe"):
        got = alerts_in(board.queries, who, events)
        assert len(got) == 1, (who, got)
        assert len(got[0].event_ids) == 40
    assert board.queries.recipients(events[0].id)  # chloe owns it: her row was written


def test_ten_thousand_pieces_round_trip(cli: Any, board: Workspace, tmp_path: Path) -> None:
    stages = ["ideas", "brief", "draft", "review", "published"]
    lines = ["id,title,stage,owner,tags,due,key_message"]
    lines += [f"r{i},Piece {i},{stages[i % 5]},{'ben' if i % 3 else ''},\"seo, q{i % 4}\","
              f"2027-01-{i % 28 + 1:02d},\"line one\nline two {i}\"" for i in range(10_000)]
    source = tmp_path / "big.csv"
    source.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    code, out, err = cli("import", source)
    assert (code, out) == (0, "created 10000, updated 0, skipped (unchanged) 0\n"), err
    first = tmp_path / "one.json"
    assert cli("export", "--out", first)[0] == 0
    empty = tmp_path / "empty.db"
    cli("init", db=empty)
    code, out, err = cli("import", first, db=empty)
    assert code == 0 and "10000 pieces" in out, err
    _, second, _ = cli("export", db=empty)
    assert without_volatile(first.read_text(encoding="utf-8")) == without_volatile(second)
    # The CSV export of the big board re-imports as "nothing changed".
    again = tmp_path / "again.csv"
    assert cli("export", "--format", "csv", "--out", again, db=empty)[0] == 0
    code, out, _ = cli("import", again, "--columns", "id=id", db=empty)
    assert out == "created 10000, updated 0, skipped (unchanged) 0\n"  # a new source: csv:again.csv
    code, out, _ = cli("import", again, db=empty)
    assert out == "created 0, updated 0, skipped (unchanged) 10000\n"


def test_a_big_import_shows_a_progress_bar_on_a_terminal(board: Workspace, db_path: Path,
                                                         tmp_path: Path) -> None:
    source = tmp_path / "many.csv"
    source.write_text("title\r\n" + "".join(f"Piece {i}\r\n" for i in range(500)), encoding="utf-8")
    env = {**os.environ, "PRODBOARD_DB": str(db_path), "PRODBOARD_USER": "ana", "COLUMNS": "100"}
    code, out, text = stderr_on_a_terminal(["import", str(source)], env)
    assert code == 0
    assert out == "created 500, updated 0, skipped (unchanged) 0\n"  # stdout stays plain
    assert "importing" in text and "100%" in text
    # Without a terminal (the other tests), stderr holds no bar at all.


def test_import_json_output(cli: Any, board: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("id,title\r\na,One\r\nb,Two\r\n", encoding="utf-8")
    code, out, _ = cli("import", f, "--dry-run", "--json")
    assert code == 0
    assert json.loads(out) == {"dry_run": True, "skipped": [], "updated": [], "warnings": [],
                               "created": [{"source_id": "a", "title": "One", "piece_id": None},
                                           {"source_id": "b", "title": "Two", "piece_id": None}]}
    code, out, _ = cli("import", f, "--json")
    assert [r["piece_id"] for r in json.loads(out)["created"]] == [1, 2]
    code, out, _ = cli("import", f, "--json")
    got = json.loads(out)
    assert got["dry_run"] is False and [r["piece_id"] for r in got["skipped"]] == [1, 2]


def test_a_restore_cleans_escape_sequences(cli: Any, tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    cli("init", "--demo", db=demo)
    _, text, _ = cli("export", db=demo)
    data = json.loads(text)
    data["pieces"][0]["title"] = "\x1b]52;c;aGk=\x07Clip\x1b[31mboard\r\n"
    data["events"][0]["data"]["\x1b[2Jkey"] = "v\x9b1m"
    f = tmp_path / "hostile.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    empty = tmp_path / "empty.db"
    cli("init", db=empty)
    code, _, err = cli("import", f, db=empty)
    assert code == 0, err
    s = open_board(empty, "ana")
    try:
        assert s.queries.piece(1).title == "Clipboard"  # type: ignore[union-attr]
        assert s.queries.events_since(0)[0].data["key"] == "v"
    finally:
        s.close()


def test_a_csv_without_a_column_leaves_that_field_alone(cli: Any, board: Workspace,
                                                        tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("id,title\r\na,One\r\n", encoding="utf-8")
    cli("import", f)
    board.board.assign(1, "ben")
    board.board.move(1, "brief", override="placed by hand")
    f.write_text("id,title\r\na,One renamed\r\n", encoding="utf-8")
    code, out, _ = cli("import", f)
    assert out == "created 0, updated 1, skipped (unchanged) 0\n"
    piece = board.queries.piece(1)
    assert piece is not None
    assert (piece.title, piece.owner, piece.stage) == ("One renamed", "ben", "brief")


# -- PostgreSQL ---------------------------------------------------------------------------


def test_export_import_round_trip_on_postgresql(cli: Any, tmp_path: Path, pg_board: str) -> None:
    """An SQLite board's export restored into an empty board on the real server, exported
    again to the same rows; the server's sequences then carry on past the imported ids."""
    from conftest import new_pg_board

    from prodboard.storage.store import remove_board

    demo = tmp_path / "demo.db"
    assert cli("init", "--demo", db=demo)[0] == 0
    assert cli("comment", 1, "Hello @ben", db=demo)[0] == 0
    item = json.loads(cli("inbox", "--json", user="ben", db=demo)[1])[-1]
    assert cli("inbox", "--read", item["id"], user="ben", db=demo)[0] == 0  # a per-item mark
    first = tmp_path / "first.json"
    assert cli("export", "--out", first, db=demo)[0] == 0
    assert cli("init", db=pg_board)[0] == 0
    code, out, err = cli("import", first, db=pg_board)
    assert (code, err) == (0, ""), err
    assert out.startswith("restored the whole board: 8 people, 15 pieces")
    code, second, _ = cli("export", db=pg_board)
    assert code == 0
    assert without_volatile(first.read_text(encoding="utf-8")) == without_volatile(second)
    last_event = json.loads(second)["events"][-1]["id"]
    # And back: the server's export restores into an empty board file, row for row.
    back, from_server = tmp_path / "back.db", tmp_path / "server.json"
    from_server.write_text(second, encoding="utf-8")
    assert cli("init", db=back)[0] == 0
    assert cli("import", from_server, db=back)[0] == 0
    assert without_volatile(cli("export", db=back)[1]) == without_volatile(second)
    assert cli("comment", 3, "after the restore", db=pg_board)[0] == 0
    code, out, err = cli("add", "New on the server", db=pg_board)
    assert (code, out.strip()) == (0, "16"), err
    s = open_board(pg_board, "ana")
    try:
        assert s.queries.last_event_id() == last_event + 2
    finally:
        s.close()

    # Merged into a board that already has work: new ids, then the sequence goes on.
    other = new_pg_board()
    try:
        assert cli("init", db=other)[0] == 0
        assert cli("add", "Already here", db=other)[0] == 0
        everyone = "ben=ana,chloe=ana,dev=ana,eli=ana,fatima=ana,gus=ana,hana=ana"
        code, out, err = cli("import", first, "--people", everyone, db=other)
        assert code == 0, err
        assert out.strip() == "created 15, updated 0, skipped (unchanged) 0"
        code, out, err = cli("add", "After the import", db=other)
        assert (code, out.strip()) == (0, "17"), err
    finally:
        remove_board(other)


def test_backup_and_restore_on_postgresql_point_at_export(cli: Any, tmp_path: Path,
                                                         pg_board: str) -> None:
    assert cli("init", db=pg_board)[0] == 0
    code, _, err = cli("backup", tmp_path / "b.db", db=pg_board)
    assert code == 1 and "prodboard export" in one_error_line(err) and "pg_dump" in err
    assert not (tmp_path / "b.db").exists()
    local = tmp_path / "local.db"
    assert cli("init", db=local)[0] == 0
    assert cli("backup", tmp_path / "b.db", db=local)[0] == 0
    code, _, err = cli("restore", tmp_path / "b.db", db=pg_board)
    assert code == 1 and "prodboard import" in one_error_line(err)
    code, out, err = cli("info", "--json", db=pg_board)
    assert code == 0, err
    info = json.loads(out)
    assert info["board"]["kind"] == "postgresql" and "path" not in info["board"]
    assert info["board"]["schema"] == SCHEMA_VERSION and info["live"]["mode"] == "LISTEN/NOTIFY + poll"
    code, out, _ = cli("info", db=pg_board)
    assert code == 0 and "on PostgreSQL, board schema" in out

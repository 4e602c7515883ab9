"""`prodboard migrate --to`: a board copied whole, SQLite file → PostgreSQL → file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from conftest import Cli
from sqlalchemy import select
from terminal import stderr_on_a_terminal

from prodboard.services.context import open_board
from prodboard.services.migrate import counts, event_checksum, migrate
from prodboard.storage.tables import META, PIECES


def board_facts(location: str | Path) -> tuple[dict[str, object], str, list[int]]:
    """Rows per table (meta: its settings, less the schema version, which is each
    backend's own), the events' checksum and the piece ids of the board there."""
    session = open_board(location, "ana")
    try:
        with session.store.read() as conn:
            ids = conn.execute(select(PIECES.c.id).order_by(PIECES.c.id)).scalars()
            rows: dict[str, object] = dict(counts(conn))
            rows["meta"] = {r.key: r.value for r in conn.execute(select(META))
                            if r.key != "schema_version"}
            return rows, event_checksum(conn), [int(i) for i in ids]
    finally:
        session.close()


@pytest.fixture
def source(cli: Cli, db_path: Path) -> Path:
    """A demo board with history, a read mark and the time-based alerts raised."""
    code, _, err = cli("init", "--demo", "--history")
    assert code == 0, err
    code, _, err = cli("check")
    assert code == 0, err
    session = open_board(db_path, "ana")
    try:
        session.board.mark_read(session.queries.last_event_id())
    finally:
        session.close()
    return db_path


def test_round_trip_file_server_file_keeps_every_row_and_the_events(
    cli: Cli, source: Path, pg_board: str, tmp_path: Path
) -> None:
    want_counts, want_sum, want_ids = board_facts(source)
    events = int(str(want_counts["event"]))
    assert events > 100 and int(str(want_counts["readcursor"])) >= 1

    code, out, err = cli("migrate", "--to", pg_board)
    assert code == 0, err
    assert err == ""  # not a terminal: no progress bar
    assert f"  {'event':<12} {events:>8}" in out
    assert want_sum in out
    assert board_facts(pg_board) == (want_counts, want_sum, want_ids)

    back = tmp_path / "back.db"
    code, out, err = cli("migrate", "--to", str(back), db=pg_board)
    assert code == 0, err
    assert board_facts(back) == (want_counts, want_sum, want_ids)

    # The copies go on from the highest ids: the server's sequences were moved past them.
    for where in (pg_board, str(back)):
        code, _, err = cli("comment", want_ids[0], "after the move", db=where)
        assert code == 0, err
        session = open_board(where, "ana")
        try:
            last = session.queries.events_since(0)[-1]
        finally:
            session.close()
        assert last.kind == "comment.added" and last.id == events + 1


def test_a_copy_goes_page_by_page_and_says_how_far_it_got(source: Path, pg_board: str) -> None:
    steps: list[tuple[int, int]] = []
    session = open_board(source, "ana")
    try:
        copied = migrate(session.store, pg_board, lambda done, total: steps.append((done, total)),
                         page=7)
    finally:
        session.close()
    assert board_facts(pg_board) == board_facts(source)
    total = sum(copied.counts.values())
    assert steps[-1] == (total, total) and all(t == total for _, t in steps)
    gains = [after - before for (before, _), (after, _) in zip([(0, 0), *steps], steps, strict=False)]
    assert max(gains) == 7  # pages of 7 rows, never a table at once
    assert len(steps) >= total // 7


def test_a_big_copy_shows_a_progress_bar_on_a_terminal(source: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    env = {**os.environ, "PRODBOARD_DB": str(source), "PRODBOARD_USER": "ana", "COLUMNS": "100"}
    code, out, shown = stderr_on_a_terminal(["migrate", "--to", str(copy)], env)
    assert code == 0, shown
    assert "copying" in shown and "100%" in shown
    assert out.startswith("Copied ") and "copying" not in out  # stdout stays plain
    assert board_facts(copy) == board_facts(source)


def test_the_copy_keeps_the_event_log_append_only(cli: Cli, source: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    code, _, err = cli("migrate", "--to", str(copy))
    assert code == 0, err
    with sqlite3.connect(copy) as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("UPDATE event SET actor = 'mallory'")


def test_a_target_holding_a_board_is_refused_and_left_alone(
    cli: Cli, source: Path, pg_board: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    code, _, err = cli("init", "--name", "Other", db=other)
    assert code == 0, err
    before = board_facts(other)
    code, out, err = cli("migrate", "--to", str(other))
    assert code == 1, err  # a refusal: the request is well-formed, the target's state says no
    assert "already holds a board" in err and "nothing was changed" in err and out == ""
    assert board_facts(other) == before

    code, _, err = cli("init", "--name", "Taken", db=pg_board)
    assert code == 0, err
    before = board_facts(pg_board)
    code, _, err = cli("migrate", "--to", pg_board)
    assert code == 1 and "already holds a board" in err
    assert board_facts(pg_board) == before


def test_the_board_itself_is_refused(cli: Cli, source: Path) -> None:
    before = board_facts(source)
    code, _, err = cli("migrate", "--to", str(source))
    assert code == 1 and "is the board being copied" in err
    assert board_facts(source) == before


def test_a_target_that_cannot_be_made_leaves_nothing(cli: Cli, source: Path, tmp_path: Path) -> None:
    code, _, err = cli("migrate", "--to", str(tmp_path / "no" / "such" / "dir" / "b.db"))
    assert code == 2 and err.count("\n") == 1, err
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("target", ["", "evil\x1b[31m.db", "new/", "tab\there.db",
                                    "postgresql://127.0.0.1:99999/test", "postgresql://h"])
def test_a_bad_target_is_bad_input_and_makes_nothing(
    cli: Cli, source: Path, tmp_path: Path, target: str
) -> None:
    before = set(tmp_path.iterdir())
    where = target if "://" in target or not target else f"{tmp_path}/{target}"
    code, out, err = cli("migrate", "--to", where)
    assert code == 2 and err.count("\n") == 1 and "--to" in err and out == "", err
    assert set(tmp_path.iterdir()) == before

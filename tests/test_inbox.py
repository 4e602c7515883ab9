"""The inbox's read marks on both backends, its kinds, grouping and tally, and the
`inbox` command in its own process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from prodboard.domain.audience import RULES
from prodboard.domain.inbox_kinds import INBOX_KINDS, KIND_OF, inbox_kind
from prodboard.domain.values import EventView
from prodboard.services.alerts import Alert, UnreadTally, by_piece, load_inbox
from prodboard.services.context import Workspace, open_board
from prodboard.storage import tables as models


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for name in ("PRODBOARD_DB", "PRODBOARD_USER", "PRODBOARD_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}


def team(location: str) -> tuple[Workspace, int]:
    """ana (pm) and ben (writer); four alerts for ben, by ana and cat taking turns."""
    ana = open_board(location, "ana", create=True)
    ana.board.set_person("ana", roles=["pm"])
    ana.board.add_person("ben", roles=["writer"])
    ana.board.add_person("cat", roles=["editor"])
    pid = ana.board.create("Q3 pricing page", owner="ben")
    cat = open_board(location, "cat")
    ben = open_board(location, "ben")
    ben.board.mark_read(ben.queries.last_event_id())
    ana.board.comment(pid, "@ben first")
    cat.board.comment(pid, "second")
    ana.board.edit(pid, {"due": "2030-01-01"})
    cat.board.comment(pid, "@ben fourth")
    cat.close()
    ana.close()
    return ben, pid


def read_rows(s: Workspace) -> int:
    with s.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(models.READ_ITEMS)).scalar_one())


def test_read_marks_one_by_one_and_all_at_once(board_location: str, env: dict[str, str]) -> None:
    ben, _ = team(board_location)
    box = load_inbox(ben, "ben")
    assert box.unread == len(box.alerts) == 4
    second = box.alerts[1]
    ben.board.mark_items(second.event_ids)
    box = load_inbox(ben, "ben")
    assert [box.is_read(a) for a in box.alerts] == [False, True, False, False] and box.unread == 3
    assert box.summary.startswith("3 unread alerts")
    ben.board.mark_items(second.event_ids)  # twice: still one mark
    assert read_rows(ben) == 1
    ben.board.mark_items(second.event_ids, read=False)
    assert load_inbox(ben, "ben").unread == 4 and read_rows(ben) == 0
    ben.board.mark_items([a.first_id for a in box.alerts[:2]])
    ben.board.mark_read(load_inbox(ben, "ben").last_event_id)  # mark all read
    assert load_inbox(ben, "ben").alerts == () and read_rows(ben) == 0  # the cursor passed them
    ben.board.mark_items([box.alerts[0].first_id], read=False)  # below the cursor: read stays read
    assert load_inbox(ben, "ben").alerts == ()
    ben.close()


def test_a_board_of_the_previous_schema_gains_the_read_marks(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "board.db"
    open_board(db, "ana", create=True).close()
    raw = sqlite3.connect(db)
    raw.execute("DROP TABLE readitem")
    raw.execute(f"PRAGMA user_version={models.SCHEMA_VERSION - 1}")
    raw.commit()
    raw.close()
    s = open_board(db, "ana")
    assert s.store.schema_version() == models.SCHEMA_VERSION and read_rows(s) == 0
    s.close()


# -- kinds, grouping, the tally ---------------------------------------------------------
def event(kind: str, piece_id: int | None = 1, **data: Any) -> EventView:
    return EventView(1, "2026-01-01T00:00:00+00:00", "ana", kind, piece_id, data)


def test_every_event_kind_is_in_one_inbox_kind() -> None:
    for kind in RULES:
        assert inbox_kind(event(kind)) in INBOX_KINDS, kind
    assert set(KIND_OF.values()) == set(INBOX_KINDS)
    assert inbox_kind(event("alert.overdue_summary", None, piece_ids=[1, 2])) == "deadlines"
    assert inbox_kind(event("piece.edited"), reason="mention") == "mentions"
    assert inbox_kind(event("something.new")) == "system"


def alert(first: int, *pieces: int) -> Alert:
    return Alert("ben", "information", f"a{first}", pieces[0] if len(pieces) == 1 else None,
                 (first,), "ana", "piece.moved", piece_ids=pieces)


def test_grouping_by_piece_puts_a_many_piece_alert_under_each() -> None:
    alerts = [alert(1, 10), alert(2, 11), alert(3, 10, 12), alert(4), alert(5, 11)]
    groups = [(pid, [a.first_id for a in group]) for pid, group in by_piece(alerts)]
    assert groups == [(10, [1, 3]), (12, [3]), (None, [4]), (11, [2, 5])]


def at(eid: int, actor: str, seconds: float, kind: str = "comment.added") -> EventView:
    return EventView(eid, f"2026-01-01T00:00:{seconds:06.3f}+00:00", actor, kind, 1, {})


def test_the_tally_counts_what_the_inbox_would_however_the_feed_splits_it() -> None:
    # ana, ana, cat, ana (all within 2 s), then ana 5 s later: the inbox makes 3 alerts
    # of what ben hears (cat's event unheard still ends ana's run).
    events = [at(1, "ana", 0), at(2, "ana", 0.5), at(3, "cat", 1), at(4, "ana", 1.2),
              at(5, "ana", 6)]
    heard = {1, 2, 4, 5}
    for cut in range(len(events) + 1):
        tally = UnreadTally()
        tally.reset(10, upto=0)
        tally.feed(events[:cut], heard & {e.id for e in events[:cut]})
        tally.feed(events[cut:], heard)
        assert tally.count == 13, cut
    tally = UnreadTally()
    tally.reset(1, upto=2)  # the inbox read events 1-2 (one alert) already
    assert tally.feed(events, heard) and tally.count == 3
    assert not tally.feed([at(6, "ana", 6.5)], {6})  # grows the last run: still one


# -- the command -------------------------------------------------------------------------
def run(env: dict[str, str], db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prodboard", "--db", str(db), "--user", "ben",
                           "inbox", *args], env=env, capture_output=True, text=True, timeout=60)


def listed(env: dict[str, str], db: Path, *args: str) -> list[dict[str, Any]]:
    proc = run(env, db, "--json", *args)
    assert proc.returncode == 0, proc.stderr
    items = json.loads(proc.stdout)
    assert isinstance(items, list)
    return items


def test_inbox_json_read_unread_kind_and_all_read(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "board.db"
    team(str(db))[0].close()
    items = listed(env, db)
    assert [(i["inbox_kind"], i["read"], i["piece_id"]) for i in items] == [
        ("mentions", False, 1), ("mentions", False, 1), ("system", False, 1), ("mentions", False, 1)]
    assert all(i["id"] == i["event_ids"][0] and i["piece_ids"] == [1] for i in items)
    assert items[3]["text"] == "cat commented on 'Q3 pricing page': @ben fourth"

    done = run(env, db, "--read", str(items[0]["id"]), str(items[2]["id"]))
    assert (done.returncode, done.stdout) == (0, "marked 2 items read\n")
    assert [i["read"] for i in listed(env, db)] == [True, False, True, False]
    assert [i["id"] for i in listed(env, db, "--unread")] == [items[1]["id"], items[3]["id"]]
    assert [i["id"] for i in listed(env, db, "--kind", "system")] == [items[2]["id"]]
    assert listed(env, db, "--kind", "deadlines") == []
    assert run(env, db, "--unread", str(items[0]["id"])).stdout == "marked 1 item unread\n"
    text = run(env, db).stdout.splitlines()
    assert text[0].startswith("3 unread alerts") and text[1].split()[:2] == [str(items[0]["id"]), "*"]

    assert run(env, db, "--all-read").stdout == "marked 3 items read\n"
    assert listed(env, db) == [] and run(env, db).stdout == "no unread alerts\n"


def test_inbox_text_shows_each_time_in_the_local_zone(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODBOARD_NOW", "2026-11-20T09:00:00Z")  # 04:00 in New York
    db = tmp_path / "board.db"
    ben, pid = team(str(db))
    open_board(str(db), "cat").board.comment(pid, "@ben \x1b]52;c;aGk=\x07[b]x[/b]")
    ben.close()
    zoned = {**env, "PRODBOARD_NOW": "2026-11-21T09:00:00Z", "TZ": "America/New_York"}
    proc = run(zoned, db)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()[1:]
    assert len(lines) == 4 and all(" Nov 20 04:00 EST " in line for line in lines)
    assert "\x1b" not in proc.stdout and lines[-1].endswith("@ben [b]x[/b]")
    assert listed(zoned, db)[0]["at"].startswith("2026-11-20T09:00:00")  # JSON stays UTC


@pytest.mark.parametrize("args", [
    ("--read", "999"), ("--read", "abc"), ("--read",), ("--unread", "1", "--read", "2"),
    ("7",), ("--read", "2", "--all-read"), ("--kind", "gossip"), ("--read", "-3"),
])
def test_bad_inbox_arguments_are_one_line_and_change_nothing(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...]
) -> None:
    db = tmp_path / "board.db"
    team(str(db))[0].close()
    before = listed(env, db)
    proc = run(env, db, *args)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert listed(env, db) == before

"""Recipients are fixed when an event happens: reassigning a piece later never takes
an alert away from anyone, nor hands its history to the new owner."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from prodboard.domain.clock import parse_utc
from prodboard.errors import Refused
from prodboard.services.alerts import load_inbox
from prodboard.services.checks import run_checks
from prodboard.services.context import Workspace, open_board

TEAM = {"hana": "writer", "ben": "writer", "dev": "writer", "eve": "editor"}


def team(make_session: Callable[..., Workspace]) -> Workspace:
    """A board created by ana (pm) with the people of TEAM added explicitly."""
    ana = make_session("ana")
    ana.board.set_person("ana", roles=["admin", "pm"])
    for handle, role in TEAM.items():
        ana.board.add_person(handle, roles=[role])
    return ana


def heard(session: Workspace, handle: str) -> list[int]:
    """Every event id in ``handle``'s unread alerts, oldest first."""
    return [eid for a in load_inbox(session, handle).alerts for eid in a.event_ids]


def test_alerts_survive_reassignment(make_session: Callable[..., Workspace]) -> None:
    ana = team(make_session)
    pid = ana.board.create("Newsletter #48", owner="hana")
    comment = ana.board.comment(pid, "first draft looks thin")
    comment_event = ana.queries.last_event_id()
    assert comment and comment_event in heard(ana, "hana")
    ana.board.assign(pid, "dev")
    assigned = ana.queries.last_event_id()
    assert comment_event in heard(ana, "hana")  # the alert did not vanish
    assert assigned in heard(ana, "hana")  # and she is told it was taken from her
    taken = next(a for a in load_inbox(ana, "hana").alerts if assigned in a.event_ids)
    assert taken.severity == "warning"
    reasons = {r.person: r.reason for r in ana.queries.recipients(assigned)}
    assert reasons == {"dev": "owner", "hana": "previous_owner"}


def test_a_new_owner_does_not_inherit_old_events(make_session: Callable[..., Workspace]) -> None:
    ana = team(make_session)
    mine = ana.board.create("Ben's own piece", owner="ben")
    ana.board.comment(mine, "kick-off")
    other = ana.board.create("Q3 pricing page", owner="hana", reviewers=["eve"])
    for i in range(6):
        ana.board.comment(other, f"note {i}")
        ana.board.edit(other, {"priority": 1 + i % 4})
    before = heard(ana, "ben")
    ana.board.assign(other, "ben")
    after = heard(ana, "ben")
    assert after[: len(before)] == before
    assert after[len(before):] == [ana.queries.last_event_id()]  # only the assignment


def test_time_alerts_keep_the_owner_they_were_raised_for(
    make_session: Callable[..., Workspace],
) -> None:
    ana = team(make_session)
    pid = ana.board.create("Late piece", owner="ben", due="2025-01-10")
    [raised] = run_checks(ana.board, parse_utc("2025-01-12T09:00:00+00:00"))
    assert raised in heard(ana, "ben")
    ana.board.assign(pid, "dev")
    assert raised in heard(ana, "ben")
    assert raised not in heard(ana, "dev")


def test_a_refused_command_writes_no_recipients(make_session: Callable[..., Workspace],
                                                db_path: Path) -> None:
    ana = team(make_session)
    pid = ana.board.create("Gated", owner="ben")
    rows = sqlite3.connect(db_path).execute("SELECT count(*) FROM recipient").fetchone()[0]
    with pytest.raises(Refused):
        ana.board.move(pid, "draft")  # the brief gate refuses
    after = sqlite3.connect(db_path).execute("SELECT count(*) FROM recipient").fetchone()[0]
    assert rows == after
    orphans = sqlite3.connect(db_path).execute(
        "SELECT count(*) FROM recipient WHERE event_id NOT IN (SELECT id FROM event)").fetchone()[0]
    assert orphans == 0


def test_the_migration_backfills_from_the_log(make_session: Callable[..., Workspace],
                                             db_path: Path) -> None:
    ana = team(make_session)
    pid = ana.board.create("Old piece", owner="hana")
    ana.board.comment(pid, "written before schema 3")
    comment_event = ana.queries.last_event_id()
    ana.board.assign(pid, "dev")
    ana.close()
    raw = sqlite3.connect(db_path)  # make it a schema-2 board: no recipient table yet
    raw.execute("DROP TABLE recipient")
    raw.execute("PRAGMA user_version=2")
    raw.commit()
    raw.close()
    s = open_board(db_path, "hana")
    try:
        # Replayed from the log: hana owned the piece when the comment was made.
        assert comment_event in heard(s, "hana")
        assert comment_event not in heard(s, "dev")
        assert heard(s, "dev")[-1] == s.queries.last_event_id()  # the assignment
        with s.store.read() as conn:
            assert conn.exec_driver_sql(
                "SELECT count(*) FROM meta WHERE key = 'recipients_backfill'").scalar_one() == 0
    finally:
        s.close()


WRITER = r"""
import random, sys
from pathlib import Path
from prodboard.services.context import open_board
from prodboard.errors import ProdboardError

db, me, seed, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
people = ["ana", "hana", "ben", "dev", "eve"]
stages = ["ideas", "brief", "draft", "review"]
s = open_board(db, me)
b = s.board


def mine():
    with s.store.read() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM event WHERE actor = ?", (me,)).scalar_one()


start = mine()
done = 0
while mine() - start < n:
    ids = [p.id for p in s.queries.pieces()] or [b.create("seed", owner=rng.choice(people))]
    pid = rng.choice(ids)
    op = rng.randrange(7)
    try:
        if op == 0:
            b.create(f"piece {me} {done}", owner=rng.choice(people), reviewers=[rng.choice(people)])
        elif op == 1:
            b.assign(pid, rng.choice(people + [None]))
        elif op == 2:
            b.comment(pid, f"@{rng.choice(people + ['editor'])} look {done}")
        elif op == 3:
            b.edit(pid, {"priority": rng.randint(1, 4), "title": f"t{done} {me}"})
        elif op == 4:
            b.move(pid, rng.choice(stages), override="test")
        elif op == 5:
            b.watch(pid, rng.random() < 0.7)
        else:
            b.edit(pid, {"reviewers": rng.sample(people, 2)})
    except ProdboardError:
        pass
    done += 1
s.close()
"""


def test_count_equals_inbox_json_after_1000_events_from_4_writers(
    make_session: Callable[..., Workspace], db_path: Path,
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path,
) -> None:
    ana = team(make_session)
    ana.board.set_person("ana", roles=["pm", "editor"])  # may override gates
    for handle in ("hana", "ben", "dev"):
        ana.board.set_person(handle, roles=["writer", "pm"])
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    start = ana.queries.last_event_id()
    writers = [
        subprocess.Popen([sys.executable, str(script), str(db_path), who, str(seed), "250"])
        for seed, who in enumerate(("ana", "hana", "ben", "dev"))
    ]
    for proc in writers:
        assert proc.wait(timeout=600) == 0
    assert ana.queries.last_event_id() - start >= 1000
    before: dict[str, list[int]] = {}
    for handle in ("ana", "hana", "ben", "dev", "eve"):
        code, out, err = cli("inbox", "--json", user=handle)
        assert code == 0, err
        listed = json.loads(out)
        box = load_inbox(ana, handle)
        assert len(listed) == box.unread > 0
        assert [item["event_ids"] for item in listed] == [list(a.event_ids) for a in box.alerts]
        before[handle] = heard(ana, handle)
    last = ana.queries.last_event_id()
    for piece in ana.queries.pieces():  # hand every piece to someone else
        ana.board.assign(piece.id, "eve" if piece.owner != "eve" else "ben")
    for handle, ids in before.items():
        now = heard(ana, handle)
        assert [i for i in now if i <= last] == ids, handle  # nothing lost, nothing gained
        box = load_inbox(ana, handle)  # and the summary counts what the header counts
        assert box.summary.startswith(f"{box.unread} unread alert"), box.summary


def test_the_alert_level_filters_the_stored_recipients_at_read_time(
    make_session: Callable[..., Workspace],
) -> None:
    ana = team(make_session)
    hers = ana.board.create("Hana's piece", owner="hana")
    ana.board.comment(hers, "for hana")
    for_hana = ana.queries.last_event_id()
    other = ana.board.create("Not about dev", owner="ben")
    not_dev = ana.queries.last_event_id()
    assert not_dev not in heard(ana, "dev")
    ana.board.set_person("dev", alert_level="all")  # hears everything, stored or not
    assert not_dev in heard(ana, "dev") and other
    ana.board.set_person("hana", alert_level="none")
    assert heard(ana, "hana") == []
    ana.board.set_person("hana", alert_level="involved")  # her rows were kept
    assert for_hana in heard(ana, "hana")

"""Who is told what: the alert rules as pure functions, then the inbox on a real file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from prodboard.domain.values import EventView, PersonView
from prodboard.domain.workflow import default_workflow
from prodboard.services.alerts import (
    Alert,
    AlertContext,
    PieceFacts,
    alerts_for,
    bursts,
    concerned,
    load_context,
    load_inbox,
    merge_changes,
    summarize,
    summary_since,
    unread_alerts,
)
from prodboard.services.context import open_board

WF = default_workflow()
T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def person(handle: str, *roles: str, level: str = "involved", delegate: str | None = None,
           away: bool = False) -> PersonView:
    return PersonView(handle, handle.title(), roles, away, "", delegate, level)


PEOPLE = {
    p.handle: p
    for p in (
        person("ana", "pm"),
        person("ben", "writer"),
        person("eve", "editor", delegate="ed"),
        person("ed", "editor"),
        person("sam", "strategist"),
        person("dan", "distribution"),
        person("wat", "writer"),
        person("lou", "writer", level="none"),
        person("allie", "writer", level="all"),
        person("rex", "writer"),
    )
}


def ctx(pieces: dict[int, PieceFacts] | None = None,
        watchers: dict[int, frozenset[str]] | None = None) -> AlertContext:
    return AlertContext(
        WF,
        people=PEOPLE,
        pieces=pieces if pieces is not None else {
            1: PieceFacts("ben", ("eve",), "review", "Q3 pricing page"),
            2: PieceFacts("lou", (), "draft", "Lou's piece"),
        },
        watchers=watchers if watchers is not None else {1: frozenset({"wat"})},
    )


def ev(eid: int, kind: str, actor: str = "ana", piece_id: int | None = 1, seconds: float = 0,
       **data: Any) -> EventView:
    at = (T0 + timedelta(seconds=seconds)).isoformat(timespec="microseconds")
    data.setdefault("title", "Q3 pricing page")
    return EventView(eid, at, actor, kind, piece_id, data)


def move(eid: int, before: str, after: str, actor: str = "ana", piece_id: int = 1,
         seconds: float = 0, **data: Any) -> EventView:
    return ev(eid, "piece.moved", actor, piece_id, seconds,
              changes={"stage": [before, after], "rank": [1.0, 0.0]}, version=eid, **data)


# -- whom an event concerns -----------------------------------------------------------
def test_owner_reviewers_and_watchers_are_told_about_a_move() -> None:
    event = move(10, "draft", "review")
    assert {"ben", "eve", "wat"} <= concerned(event, ctx())
    [alert] = alerts_for("ben", [event], ctx())
    assert alert == Alert("ben", "information", "ana moved 'Q3 pricing page' Draft → Review",
                          1, (10,), "ana", "piece.moved", event.at, (1,), "system")


def test_the_actor_is_never_told_about_their_own_actions() -> None:
    mine = move(10, "draft", "review", actor="ben")
    assert alerts_for("ben", [mine], ctx()) == []
    assert alerts_for("allie", [ev(11, "comment.added", "allie", body="x", mentions=[])], ctx()) == []


def test_level_none_gets_nothing() -> None:
    own = move(10, "draft", "review", piece_id=2)
    assert "lou" in concerned(own, ctx())
    mention = ev(11, "comment.added", body="@lou look", mentions=["lou"])
    assert alerts_for("lou", [own, mention], ctx()) == []
    assert summarize("lou", [own, mention], ctx()) == ""


def test_level_all_gets_everything_but_their_own_and_the_noise() -> None:
    events = [
        move(10, "draft", "review"),
        ev(11, "piece.reordered", "ben", seconds=10, changes={"rank": [1, 2]}),
        ev(12, "piece.watched", "wat", seconds=20),
        ev(13, "person.joined", "zed", None, seconds=30, handle="zed"),
        ev(14, "comment.added", "allie", 2, seconds=40, body="mine", mentions=[]),
        ev(15, "board.renamed", "ana", None, seconds=50, changes={"board_name": ["a", "b"]}),
    ]
    assert "allie" not in concerned(events[0], ctx())
    got = alerts_for("allie", events, ctx())
    assert [a.event_ids for a in got] == [(10,), (11,), (13,), (15,)]  # a join is news
    # "involved" hears no reorders, even of their own piece; nor joins, unless an admin.
    assert [a.event_ids for a in alerts_for("ben", events, ctx())] == [(10,)]


def test_a_role_mention_reaches_everyone_with_the_role() -> None:
    comment = ev(10, "comment.added", "ben", body="@editor can you look?", mentions=["editor"])
    assert {"eve", "ed"} <= concerned(comment, ctx())
    [alert] = alerts_for("ed", [comment], ctx())
    assert alert.text == "ben commented on 'Q3 pricing page': @editor can you look?"
    assert alerts_for("dan", [comment], ctx()) == []


def test_a_handle_mention_reaches_that_person() -> None:
    comment = ev(10, "comment.added", "ben", body="@rex fyi", mentions=["rex"])
    assert "rex" in concerned(comment, ctx())
    assert len(alerts_for("rex", [comment], ctx())) == 1


def test_the_roles_responsible_for_the_stage_entered_are_told() -> None:
    into_optimize = move(10, "review", "optimize")
    assert "dan" in concerned(into_optimize, ctx())
    assert "sam" not in concerned(into_optimize, ctx())
    created = ev(11, "piece.created", "ben", 3, stage="ideas", owner=None, changes={}, version=1)
    assert "sam" in concerned(created, ctx(pieces={}))
    [alert] = alerts_for("dan", [into_optimize], ctx())
    assert alert.text == "ana moved 'Q3 pricing page' Review → Optimize"


def test_assignment_tells_the_new_and_the_previous_owner() -> None:
    event = ev(10, "piece.assigned", changes={"owner": ["ben", "rex"]}, version=2)
    who = concerned(event, ctx(pieces={1: PieceFacts("rex", (), "draft")}))
    assert {"ben", "rex"} <= who
    c = ctx(pieces={1: PieceFacts("rex", (), "draft")})
    [taken] = alerts_for("ben", [event], c)
    [given] = alerts_for("rex", [event], c)
    assert taken.severity == "warning"
    assert given.severity == "information"
    assert given.text == "ana assigned 'Q3 pricing page' to you (was ben)"  # rex reads it
    assert taken.text == "ana assigned 'Q3 pricing page' to rex (was you)"


def test_managers_hear_overrides_revision_limits_and_pieces_at_risk() -> None:
    override = move(10, "review", "optimize", actor="sam", override="launch today",
                    overridden=["approval"])
    limit = move(11, "review", "draft", actor="eve", revision=3, revision_limit_exceeded=2)
    risk = ev(12, "alert.at_risk", "prodboard", due="2025-03-05", owner="ben")
    for event in (override, limit, risk):
        assert "ana" in concerned(event, ctx())
    assert "ana" not in concerned(move(13, "draft", "review"), ctx())


def test_wip_exceeded_tells_the_stage_responsible_roles_and_managers() -> None:
    event = move(10, "draft", "review", actor="ben",
                 wip_exceeded={"stage": "review", "count": 6, "limit": 5})
    who = concerned(event, ctx())
    assert {"eve", "ed", "ana"} <= who
    [alert] = alerts_for("ana", [event], ctx())
    assert alert.severity == "warning"
    assert alert.text.endswith("Review is over its WIP limit (6/5)")


def test_time_alerts_go_to_the_owner_or_to_the_reviewers_and_their_delegates() -> None:
    overdue = ev(10, "alert.overdue", "prodboard", due="2025-03-01", owner="ben")
    assert concerned(overdue, ctx()) == {"ben"}
    review = ev(11, "alert.review_overdue", "prodboard", hours=48, reviewers=["eve"])
    assert concerned(review, ctx()) == {"eve", "ed"}
    [alert] = alerts_for("ben", [overdue], ctx())
    assert (alert.severity, alert.actor, alert.text) == (
        "error", "prodboard", "'Q3 pricing page' is overdue (due 2025-03-01)")


def test_noise_concerns_nobody() -> None:
    assert concerned(ev(10, "piece.watched", "wat"), ctx()) == set()
    # A join is no noise: it concerns the newcomer and the admins (ana: pm).
    assert concerned(ev(11, "person.joined", "zed", None, handle="zed"), ctx()) == {"zed", "ana"}


# -- how loud ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (move(1, "review", "optimize", override="ship it", overridden=["approval"]), "error"),
        (move(1, "review", "draft", revision=3, revision_limit_exceeded=2), "error"),
        (ev(1, "alert.overdue", "prodboard", due="2025-03-01"), "error"),
        (ev(1, "alert.review_overdue", "prodboard", hours=48, reviewers=["ben"]), "error"),
        (ev(1, "piece.changes_requested", "eve", changes={"stage": ["review", "draft"]},
            note="tighten"), "warning"),
        (move(1, "review", "draft", revision=1), "warning"),  # sent back
        (move(1, "draft", "review", person_wip_exceeded={"person": "ben", "count": 4, "limit": 3}),
         "warning"),
        (ev(1, "alert.due_soon", "prodboard", due="2025-03-04"), "warning"),
        (ev(1, "alert.at_risk", "prodboard", due="2025-03-04", owner="ben"), "warning"),
        (move(1, "draft", "review"), "information"),
        (ev(1, "comment.added", body="hi", mentions=[]), "information"),
    ],
)
def test_severities(event: EventView, expected: str) -> None:
    [alert] = alerts_for("allie", [event], ctx())
    assert alert.severity == expected


def test_the_revision_round_reads_as_a_move_back() -> None:
    [alert] = alerts_for("ben", [move(10, "review", "draft", actor="eve", revision=2)], ctx())
    assert alert.text == "eve moved 'Q3 pricing page' Review → Draft (revision 2)"


# -- bursts --------------------------------------------------------------------------------------
def test_a_burst_of_40_moves_by_one_actor_is_one_alert() -> None:
    pieces = {i: PieceFacts("ben", (), "draft", f"p{i}") for i in range(1, 41)}
    events = [move(100 + i, "draft", "review", piece_id=i, seconds=i * 0.05, title=f"p{i}")
              for i in range(1, 41)]
    [alert] = alerts_for("ben", events, ctx(pieces=pieces, watchers={}))
    assert alert.text == "ana moved 40 pieces: 'p1', 'p2', 'p3' and 37 more"
    assert alert.piece_ids == tuple(range(1, 41)) and alert.piece_id is None
    assert alert.event_ids == tuple(range(101, 141))
    assert (alert.piece_id, alert.kind, alert.actor) == (None, "piece.moved", "ana")


def test_bursts_break_on_another_actor_or_a_pause() -> None:
    events = [
        move(1, "draft", "review", seconds=0),
        move(2, "review", "optimize", seconds=1.5),
        move(3, "optimize", "scheduled", actor="ben", seconds=2),
        move(4, "scheduled", "optimize", seconds=2.5),
        move(5, "optimize", "review", seconds=10),  # 7.5 s later: a new burst
    ]
    assert [[e.id for e in g] for g in bursts(events)] == [[1, 2], [3], [4], [5]]


def test_a_burst_is_cut_by_the_recipients_own_action_not_by_what_they_do_not_hear() -> None:
    pieces = {1: PieceFacts("ben", (), "draft", "mine"), 2: PieceFacts("rex", (), "draft", "not")}
    c = ctx(pieces=pieces, watchers={})
    events = [
        move(1, "draft", "review", piece_id=1),
        move(2, "draft", "review", piece_id=2, seconds=0.1),  # ana again, on rex's piece
        move(3, "review", "optimize", piece_id=1, seconds=0.2),
        move(4, "optimize", "review", actor="ben", piece_id=1, seconds=0.3),
        move(5, "review", "optimize", piece_id=1, seconds=0.4),
    ]
    got = alerts_for("ben", events, c)
    assert [a.event_ids for a in got] == [(1, 3), (5,)]
    assert got[0].text == "ana moved 'Q3 pricing page' Draft → Optimize"


def test_mixed_kinds_on_several_pieces_say_changed() -> None:
    pieces = {i: PieceFacts("ben", (), "draft", f"p{i}") for i in (1, 2, 3)}
    events = [
        move(1, "draft", "review", piece_id=1, title="p1"),
        ev(2, "piece.edited", piece_id=2, changes={"due": [None, "2025-04-01"]}, title="p2"),
        ev(3, "comment.added", piece_id=3, body="x", mentions=[], title="p3"),
    ]
    [alert] = alerts_for("ben", events, ctx(pieces=pieces, watchers={}))
    assert (alert.text, alert.kind, alert.piece_id) == (
        "ana changed 3 pieces: 'p1', 'p2' and 'p3'", "burst", None)


def test_repeated_changes_to_one_field_keep_the_first_from_and_the_last_to() -> None:
    edits = [
        ev(1, "piece.edited", changes={"title": ["Draft A", "Draft B"]}),
        ev(2, "piece.edited", seconds=0.5,
           changes={"title": ["Draft B", "Draft C"], "due": [None, "2025-04-01"]}),
        ev(3, "piece.edited", seconds=1.0, changes={"due": ["2025-04-01", "2025-05-01"]}),
    ]
    assert merge_changes(edits) == {"title": ["Draft A", "Draft C"], "due": [None, "2025-05-01"]}
    [alert] = alerts_for("ben", edits, ctx())
    assert alert.text == (
        "ana edited 'Q3 pricing page': title Draft A → Draft C; due — → 2025-05-01"
    )
    assert alert.piece_id == 1 and alert.event_ids == (1, 2, 3)

    moves = [move(4, "draft", "review", seconds=3), move(5, "review", "optimize", seconds=4)]
    [alert] = alerts_for("ben", moves, ctx())
    assert alert.text == "ana moved 'Q3 pricing page' Draft → Optimize"


def test_a_burst_is_as_loud_as_its_loudest_event() -> None:
    events = [
        move(1, "draft", "review"),
        move(2, "review", "optimize", seconds=0.1, override="ship", overridden=["approval"]),
    ]
    [alert] = alerts_for("ben", events, ctx())
    assert alert.severity == "error"


def test_a_burst_of_deadline_alerts_is_one_alert() -> None:
    pieces = {i: PieceFacts("ben", (), "draft", f"p{i}") for i in range(1, 6)}
    events = [ev(i, "alert.overdue", "prodboard", i, due="2025-03-01", title=f"p{i}")
              for i in range(1, 6)]
    [alert] = alerts_for("ben", events, ctx(pieces=pieces, watchers={}))
    assert (alert.text, alert.severity) == (
        "5 pieces are overdue: 'p1', 'p2', 'p3' and 2 more", "error")
    assert alert.inbox_kind == "deadlines"
    mixed = [*events[:2], ev(6, "alert.due_soon", "prodboard", 3, due="2025-03-04", title="p3")]
    [alert] = alerts_for("ben", mixed, ctx(pieces=pieces, watchers={}))
    assert alert.text == "3 deadline alerts: 2 overdue ('p1' and 'p2'), 1 due soon ('p3')"


# -- while you were away -------------------------------------------------------------------------
def test_summary_counts_changes_and_what_involves_me() -> None:
    pieces = {i: PieceFacts("ben", (), "draft", f"p{i}") for i in range(1, 4)}
    pieces[9] = PieceFacts("rex", (), "draft", "not mine")
    events = [
        move(1, "draft", "review", piece_id=1),
        move(2, "draft", "review", piece_id=2),
        move(3, "draft", "review", piece_id=3),
        ev(4, "comment.added", "eve", 9, body="@ben see", mentions=["ben"]),
        ev(5, "comment.added", "eve", 9, body="@writer all", mentions=["writer"]),
        ev(6, "alert.overdue", "prodboard", 1, due="2025-03-01"),
        move(7, "draft", "review", piece_id=9),
        ev(8, "piece.watched", "rex", 9),
        move(9, "review", "draft", actor="ben", piece_id=1),
    ]
    text = summarize("ben", events, ctx(pieces=pieces, watchers={}))
    assert text == (
        "3 unread alerts since you last read: 3 moves on your pieces, 2 comments mentioning you, "
        "1 overdue"
    )
    assert summarize("ben", [move(1, "draft", "review", actor="ben")], ctx()) == ""
    # Only what concerns the person is counted: other people's changes are not news.
    assert summarize("dan", [move(1, "draft", "review", piece_id=9)], ctx(pieces=pieces)) == ""


def test_summary_puts_what_is_about_me_before_the_rest() -> None:
    pieces = {i: PieceFacts("rex", (), "draft", f"p{i}") for i in range(1, 9)}
    events = [ev(i, "piece.created", "ana", i, stage="ideas") for i in range(1, 8)]
    events += [ev(20 + i, "checklist.ticked", "ana", 1, item="seo") for i in range(5)]
    events += [ev(30 + i, "piece.edited", "ana", 2, changes={"title": ["a", "b"]}) for i in range(4)]
    events += [ev(40 + i, "piece.archived", "ana", 3) for i in range(3)]
    events.append(ev(50, "comment.added", "eve", 8, body="@allie one thing", mentions=["allie"]))
    text = summarize("allie", events, ctx(pieces=pieces, watchers={}))  # allie hears all
    parts = text.split(": ", 1)[1].split(", ")
    assert parts[0] == "1 comment mentioning you"  # though the rarest, it comes first
    assert parts[1:] == ["7 new pieces", "5 checklist changes", "4 edits", "…"]


# -- the inbox on a real board -------------------------------------------------------------------
@pytest.fixture
def alerts_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for name in ("PRODBOARD_DB", "PRODBOARD_USER", "PRODBOARD_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}


def test_load_context_reads_only_the_touched_pieces(tmp_path: Path, alerts_env: dict[str, str]) -> None:
    s = open_board(tmp_path / "board.db", "ana", create=True)
    s.board.set_person("ana", roles=["pm"])
    s.board.add_person("ben", roles=["writer"])
    first = s.board.create("one", owner="ben", reviewers=["ana"])
    s.board.create("two", owner="ana")
    s.board.watch(first)
    s.board.archive(first, "dropped")
    c = load_context(s.queries, [first, None])
    assert set(c.pieces) == {first}
    assert c.pieces[first] == PieceFacts("ben", ("ana",), "ideas", "one")
    assert c.watchers == {first: frozenset({"ana"})}
    assert c.people["ana"].roles == ("pm",)
    s.close()


def test_inbox_unread_survives_reopening_the_board(tmp_path: Path, alerts_env: dict[str, str]) -> None:
    db = tmp_path / "board.db"
    ana = open_board(db, "ana", create=True)
    ana.board.set_person("ana", roles=["pm"])
    ana.board.add_person("ben", roles=["writer"])
    pid = ana.board.create("Q3 pricing page", owner="ben")
    ana.board.move(pid, "brief")
    ana.board.comment(pid, "@ben over to you")
    ana.close()

    ben = open_board(db, "ben")
    box = load_inbox(ben, "ben")
    assert [a.text for a in box.alerts] == [
        "ana added you (writer)",
        "ana created 'Q3 pricing page' in Brief; commented: @ben over to you",
    ]
    assert box.unread == len(unread_alerts(ben, "ben")) >= 1
    assert box.summary.startswith(f"{box.unread} unread alert")
    assert summary_since(ben.queries, "ben") == box.summary
    ben.board.mark_read(box.last_event_id)
    ben.close()

    ben = open_board(db, "ben")  # a new process a day later: the cursor was stored
    assert unread_alerts(ben, "ben") == []
    assert summary_since(ben, "ben") == ""
    ben.close()

    ana = open_board(db, "ana")
    ana.board.edit(pid, {"due": "2025-04-01"})
    ana.close()
    ben = open_board(db, "ben")
    [alert] = unread_alerts(ben, "ben")
    assert alert.text == "ana edited 'Q3 pricing page': due — → 2025-04-01"
    ben.close()


def test_inbox_command_lists_and_marks_read(tmp_path: Path, alerts_env: dict[str, str]) -> None:
    db = tmp_path / "board.db"
    ana = open_board(db, "ana", create=True)
    ana.board.set_person("ana", roles=["pm"])
    ana.board.add_person("ben", roles=["writer"])
    pid = ana.board.create("Q3 pricing page", owner="ben")
    ana.board.comment(pid, "@ben hello")
    ana.close()
    cli = [sys.executable, "-c", "from prodboard.cli import main; main()", "--db", str(db), "--user", "ben"]

    def run(*args: str) -> str:
        proc = subprocess.run([*cli, *args], env=alerts_env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    listed = json.loads(run("inbox", "--json"))
    assert listed and listed[-1]["recipient"] == "ben" and "hello" in listed[-1]["text"]
    text = run("inbox")
    assert "hello" in text and text.splitlines()[0].startswith(f"{len(listed)} unread alert")
    assert run("inbox", "--all-read").strip() == f"marked {len(listed)} item{'s' * (len(listed) != 1)} read"
    assert json.loads(run("inbox", "--json")) == []
    assert run("inbox").strip() == "no unread alerts"

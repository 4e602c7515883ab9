"""Time-based alerts: raised exactly once, across boards, processes and restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import FakeClock
from sqlalchemy import func, select

from prodboard.domain.values import EventView
from prodboard.services.checks import horizon, pending_alerts, run_checks, timed_alerts
from prodboard.services.context import Workspace, open_board
from prodboard.storage import tables as m

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # a Monday morning
CLI_TIMEOUT_S = 60


@pytest.fixture
def db(board_location: str) -> str:
    """The board, once on SQLite and once on PostgreSQL: the time checks and their
    once-only ledger hold on both."""
    return board_location


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def open_as(db: str, clock: FakeClock) -> Iterator[Callable[..., Workspace]]:
    opened: list[Workspace] = []

    def make(user: str = "pia", config: Path | None = None) -> Workspace:
        session = open_board(db, user, config=config, create=True, clock=clock)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


def run_cli(
    db: str, *args: str, now: datetime = NOW
) -> subprocess.CompletedProcess[str]:
    # As the README's cron line runs it: no PRODBOARD_USER, the cron job's login is no
    # person on the board (check acts as prodboard itself).
    env = {**os.environ, "PRODBOARD_DB": str(db),
           "PRODBOARD_NOW": now.isoformat(), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-c", "from prodboard.cli import main; main()", *args],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=CLI_TIMEOUT_S,
    )


def day(offset: int) -> str:
    return (NOW.date() + timedelta(days=offset)).isoformat()


def alerts(s: Workspace) -> list[EventView]:
    return [e for e in s.queries.events_since(0) if e.kind.startswith("alert.")]


def kinds_by_piece(events: list[EventView]) -> set[tuple[str, int | None]]:
    return {(e.kind, e.piece_id) for e in events}


@pytest.fixture
def board(open_as: Callable[..., Workspace], clock: FakeClock) -> dict[str, int]:
    """A board with one piece for each alert, and pieces that must stay quiet."""
    s = open_as("pia")
    s.board.set_person("pia", display_name="Pia", roles=["pm"])
    s.board.add_person("wes", "Wes", ["writer"])
    s.board.add_person("eve", "Eve", ["editor"])
    s.board.add_person("dan", "Dan", ["writer"])
    s.board.add_person("hana", "Hana", ["designer"])
    s.board.set_person("eve", delegate="dan")
    ids = {
        "overdue": s.board.create("Overdue post", stage="draft", owner="wes", due=day(-2), imported=True),
        "due_today": s.board.create("Due today", stage="draft", owner="wes", due=day(0), imported=True),
        "later": s.board.create("Due next month", stage="draft", owner="wes", due=day(30), imported=True),
        "no_due": s.board.create("No due date", stage="ideas"),
        "published": s.board.create("Live already", stage="published", owner="wes", due=day(-5),
                                    imported=True),
        "archived": s.board.create("Dropped", stage="draft", owner="wes", due=day(-5), imported=True),
        "at_risk": s.board.create("Infographic", stage="draft", owner="hana", due=day(2), imported=True),
    }
    s.board.archive(ids["archived"], "dropped")
    clock.advance(hours=-72)
    ids["review"] = s.board.create("Waiting for review", stage="review", owner="wes",
                                   reviewers=["eve"], due=day(20), imported=True)
    clock.advance(hours=72)
    s.board.set_away("hana", True, "out sick")
    return ids


EXPECTED = {
    ("alert.overdue", "overdue"),
    ("alert.due_soon", "due_today"),
    ("alert.review_overdue", "review"),
    ("alert.at_risk", "at_risk"),
}


def expected(ids: dict[str, int]) -> set[tuple[str, int | None]]:
    return {(kind, ids[name]) for kind, name in EXPECTED}


def test_each_alert_is_raised_once(open_as: Callable[..., Workspace], board: dict[str, int]) -> None:
    s = open_as("pia")
    raised = run_checks(s.board)
    events = alerts(s)
    assert sorted(raised) == [e.id for e in events]
    assert kinds_by_piece(events) == expected(board)
    assert all(e.actor == "prodboard" for e in events)
    assert run_checks(s.board) == []
    assert len(alerts(s)) == len(EXPECTED)


def test_alert_data(open_as: Callable[..., Workspace], board: dict[str, int]) -> None:
    s = open_as("pia")
    run_checks(s.board)
    by_kind = {e.kind: e for e in alerts(s)}
    assert by_kind["alert.overdue"].data["due"] == day(-2)
    assert by_kind["alert.overdue"].data["title"] == "Overdue post"
    assert by_kind["alert.overdue"].data["owner"] == "wes"
    assert by_kind["alert.due_soon"].data["due"] == day(0)
    review = by_kind["alert.review_overdue"].data
    assert review["title"] == "Waiting for review" and review["hours"] == 48
    assert review["reviewers"] == ["eve"] and review["delegates"] == ["dan"]
    assert review["waited_hours"] == 72
    risk = by_kind["alert.at_risk"].data
    assert risk == {**risk, "title": "Infographic", "owner": "hana", "due": day(2),
                    "away_note": "out sick"}


def test_two_boards_raise_each_alert_once(open_as: Callable[..., Workspace], board: dict[str, int]) -> None:
    first, second = open_as("pia"), open_as("wes")
    a = run_checks(first.board)
    b = run_checks(second.board)
    assert len(a) == len(EXPECTED) and b == []
    assert len(alerts(second)) == len(EXPECTED)


def test_a_stale_reader_does_not_raise_twice(
    open_as: Callable[..., Workspace], board: dict[str, int]
) -> None:
    """Two boards that both saw the alerts as pending: the ledger lets only one raise each."""
    first, second = open_as("pia"), open_as("wes")
    pending_first = pending_alerts(first.board)
    pending_second = pending_alerts(second.board)
    assert len(pending_first) == len(pending_second) == len(EXPECTED)
    raised = [first.board.raise_once(a.key, a.kind, a.piece_id, a.data) for a in pending_first]
    again = [second.board.raise_once(a.key, a.kind, a.piece_id, a.data) for a in pending_second]
    assert all(raised) and again == [None] * len(EXPECTED)
    assert len(alerts(first)) == len(EXPECTED)


def test_a_restart_does_not_raise_again(db: str, open_as: Callable[..., Workspace], board: dict[str, int],
                                        clock: FakeClock) -> None:
    s = open_as("pia")
    run_checks(s.board)
    s.close()
    reopened = open_board(db, "pia", clock=clock)
    try:
        assert run_checks(reopened.board) == []
    finally:
        reopened.close()


def test_a_second_process_raises_nothing_more(
    db: str, open_as: Callable[..., Workspace], board: dict[str, int]
) -> None:
    s = open_as("pia")
    run_checks(s.board)
    proc = run_cli(db, "check")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    proc = run_cli(db, "check", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == []
    assert len(alerts(s)) == len(EXPECTED)


def test_prodboard_check_raises_and_prints(
    db: str, open_as: Callable[..., Workspace], board: dict[str, int]
) -> None:
    proc = run_cli(db, "check", "--json")
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert {(e["kind"], e["piece_id"]) for e in printed} == expected(board)
    assert all(e["actor"] == "prodboard" for e in printed)
    s = open_as("pia")
    assert run_checks(s.board) == []  # the in-process board finds them raised
    # the plain form: one line per alert, and nothing the second time
    s.board.edit(board["overdue"], {"due": day(-1)})
    proc = run_cli(db, "check")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and "'Overdue post' is overdue (due " + day(-1) + ")" in lines[0]
    assert run_cli(db, "check").stdout == ""


def test_concurrent_processes_raise_each_alert_once(
    db: str, open_as: Callable[..., Workspace], board: dict[str, int]
) -> None:
    env = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_NOW": NOW.isoformat()}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", "from prodboard.cli import main; main()", "check", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for _ in range(4)
    ]
    printed = []
    for proc in procs:
        out, err = proc.communicate(timeout=CLI_TIMEOUT_S)
        assert proc.returncode == 0, err
        printed.extend(json.loads(out))
    assert len(printed) == len(EXPECTED)
    s = open_as("pia")
    assert kinds_by_piece(alerts(s)) == expected(board)
    assert len(alerts(s)) == len(EXPECTED)


def test_nothing_for_archived_or_published_pieces(
    open_as: Callable[..., Workspace], board: dict[str, int]
) -> None:
    s = open_as("pia")
    run_checks(s.board)
    quiet = {board[k] for k in ("published", "archived", "later", "no_due")}
    assert not {e.piece_id for e in alerts(s)} & quiet


def test_moving_a_due_date_re_arms_the_alert(
    open_as: Callable[..., Workspace], board: dict[str, int], clock: FakeClock
) -> None:
    s = open_as("pia")
    run_checks(s.board)
    pid = board["overdue"]
    s.board.edit(pid, {"due": day(5)})
    assert run_checks(s.board) == []  # no longer late
    clock.advance(days=6)
    raised = run_checks(s.board)
    late = [e for e in alerts(s) if e.id in raised and e.piece_id == pid]
    assert [e.kind for e in late] == ["alert.overdue"] and late[0].data["due"] == day(5)
    assert run_checks(s.board) == []


def test_due_soon_then_overdue(open_as: Callable[..., Workspace], board: dict[str, int],
                               clock: FakeClock) -> None:
    s = open_as("pia")
    run_checks(s.board)
    clock.advance(days=1)  # due_today's day is over
    raised = run_checks(s.board)
    events = [e for e in alerts(s) if e.id in raised]
    assert ("alert.overdue", board["due_today"]) in kinds_by_piece(events)


def test_nothing_due_soon_outside_the_window(open_as: Callable[..., Workspace], clock: FakeClock) -> None:
    s = open_as("pia")
    pid = s.board.create("Tomorrow", stage="draft", due=day(1), imported=True)  # ends in 39 h
    assert run_checks(s.board) == []
    clock.advance(hours=14)  # 25 h before the end of the due day
    assert run_checks(s.board) == []
    clock.advance(hours=2)  # 23 h before
    assert len(run_checks(s.board)) == 1
    assert kinds_by_piece(alerts(s)) == {("alert.due_soon", pid)}


def test_review_sla_re_arms_on_a_new_review(
    open_as: Callable[..., Workspace], board: dict[str, int], clock: FakeClock
) -> None:
    s = open_as("pia")
    run_checks(s.board)
    pid = board["review"]
    s.board.move(pid, "draft")
    s.board.edit(pid, {"audience": "a", "desired_action": "b", "business_goal": "c",
                       "success_metrics": "d"})
    s.board.move(pid, "review")
    clock.advance(hours=47)
    assert not [a for a in pending_alerts(s.board) if a.kind == "alert.review_overdue"]
    clock.advance(hours=2)
    raised = run_checks(s.board)
    assert ("alert.review_overdue", pid) in kinds_by_piece([e for e in alerts(s) if e.id in raised])


def test_at_risk_needs_the_owner_away(open_as: Callable[..., Workspace], board: dict[str, int]) -> None:
    s = open_as("pia")
    s.board.set_away("hana", False)
    assert not [a for a in pending_alerts(s.board) if a.kind == "alert.at_risk"]
    s.board.set_away("hana", True, "on leave")
    assert [a.piece_id for a in pending_alerts(s.board) if a.kind == "alert.at_risk"] == [
        board["at_risk"]
    ]


def test_at_risk_re_arms_for_a_new_owner(open_as: Callable[..., Workspace], board: dict[str, int]) -> None:
    s = open_as("pia")
    run_checks(s.board)
    s.board.set_away("wes", True, "on leave")
    s.board.assign(board["at_risk"], "wes")
    raised = run_checks(s.board)
    risk = [e for e in alerts(s) if e.id in raised and e.kind == "alert.at_risk"]
    assert {(e.piece_id, e.data["owner"]) for e in risk} >= {(board["at_risk"], "wes")}


def test_a_publish_date_in_year_one_is_late_not_a_crash(
    tmp_path: Path, open_as: Callable[..., Workspace], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text("[board]\nderive_stage_due = true\n")
    s = open_as("pia", config=config)
    early = s.board.create("Very old", stage="draft", publish_date="0001-01-02", imported=True)
    raised = run_checks(s.board)  # its stage dates would fall before the first day there is
    assert ("alert.stage_overdue", early) in kinds_by_piece([e for e in alerts(s) if e.id in raised])
    assert [e.data["stage_due"] for e in alerts(s) if e.kind == "alert.stage_overdue"] == ["0001-01-01"]
    monkeypatch.setenv("PRODBOARD_CONFIG", str(config))
    proc = run_cli(db, "check", "--json")
    assert (proc.returncode, proc.stderr) == (0, "")  # never a traceback
    assert json.loads(proc.stdout) == []  # raised once already


def test_stage_due_dates_derived_from_the_publish_date(
    tmp_path: Path, open_as: Callable[..., Workspace]
) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text("[board]\nderive_stage_due = true\n")
    s = open_as("pia", config=config)
    # publishes in 8 days: draft should have been done 9 days before, i.e. yesterday
    late = s.board.create("Late draft", stage="draft", publish_date=day(8), imported=True)
    s.board.create("On time draft", stage="draft", publish_date=day(10), imported=True)
    s.board.create("Optimizing", stage="optimize", publish_date=day(8), imported=True)
    raised = run_checks(s.board)
    events = alerts(s)
    assert [e.id for e in events] == raised
    assert kinds_by_piece(events) == {("alert.stage_overdue", late)}
    assert events[0].data["stage"] == "draft" and events[0].data["stage_due"] == day(-1)
    assert run_checks(s.board) == []
    s.board.move(late, "ideas")  # ideas should have been left 15 days before: also late
    raised = run_checks(s.board)
    assert [e.data["stage"] for e in alerts(s) if e.id in raised] == ["ideas"]


def test_no_stage_due_dates_unless_configured(open_as: Callable[..., Workspace]) -> None:
    s = open_as("pia")
    s.board.create("Late draft", stage="draft", publish_date=day(1), imported=True)
    assert run_checks(s.board) == []


def test_only_pieces_that_can_be_late_are_read(open_as: Callable[..., Workspace]) -> None:
    """The SQL leaves out archived, published, undated and far-off pieces."""
    s = open_as("pia")
    s.board.create_many(
        [{"title": f"Later {n}", "stage": "draft", "due": day(40)} for n in range(200)]
        + [{"title": f"Undated {n}", "stage": "brief"} for n in range(200)]
        + [{"title": f"Live {n}", "stage": "published", "due": day(-3)} for n in range(200)]
    )
    soon = s.board.create("Soon", stage="draft", due=day(2), imported=True)
    with s.store.read() as conn:
        candidates = s.queries.late_candidates(conn, horizon(s.workflow, NOW))
    assert [p.id for p in candidates] == [soon]
    assert run_checks(s.board) == []  # due in 2 days: neither due soon nor (owner present) at risk


def test_alerts_for_is_pure(open_as: Callable[..., Workspace], board: dict[str, int]) -> None:
    s = open_as("pia")
    piece = s.queries.piece(board["overdue"])
    assert piece is not None
    found = list(timed_alerts(piece, {}, s.workflow, NOW))
    assert [(a.kind, a.key) for a in found] == [("alert.overdue", f"overdue:{piece.id}:{day(-2)}")]
    assert list(timed_alerts(piece, {}, s.workflow, NOW - timedelta(days=10))) == []


def test_the_ledger_holds_one_row_per_alert(open_as: Callable[..., Workspace], board: dict[str, int]) -> None:
    s = open_as("pia")
    for _ in range(3):
        run_checks(s.board)
    ra = m.RAISED
    with s.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(ra)).scalar_one() == len(EXPECTED)

"""The running board's time checks: the next-threshold scheduler raises each alert
once at its moment (after a restart, beside a second board), follows edits, raises
what a full rescan raises, and sums up a pass with many alerts for one person."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from fakes import FakeClock
from sqlalchemy import select
from test_checks import run_cli

from prodboard.domain.thresholds import TICK, next_threshold
from prodboard.domain.values import EventView
from prodboard.errors import ProdboardError
from prodboard.services.alerts import load_inbox
from prodboard.services.checks import (
    SUMMARY_AFTER,
    CheckScheduler,
    piece_alerts,
    raise_steps,
    run_checks,
)
from prodboard.services.context import Workspace, open_board
from prodboard.storage import tables as m

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # a Monday morning
CONFIG = """
[board]
derive_stage_due = true

[formats.whitepaper]
reviews = ["editor", "sme"]

[formats."case study"]
reviews = ["editor", "sme"]
sequential = true
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def open_at(tmp_path: Path) -> Iterator[Callable[..., Workspace]]:
    """Open a board (a location, or a file name in tmp_path) as someone, on a clock."""
    opened: list[Workspace] = []
    config = tmp_path / "prodboard.toml"
    config.write_text(CONFIG, encoding="utf-8")

    def make(where: str, user: str, clock: FakeClock) -> Workspace:
        db = where if "/" in where or ":" in where else str(tmp_path / where)
        s = open_board(db, user, config=config, create=True, clock=clock)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


def staff(s: Workspace) -> None:
    s.board.set_person(s.board.actor, display_name="Pia", roles=["pm"])
    for handle, role in (("wes", "writer"), ("hana", "designer"), ("dan", "writer"),
                         ("eve", "editor"), ("sam", "sme")):
        s.board.add_person(handle, handle.title(), [role])
    s.board.set_person("eve", delegate="dan")


def day(offset: int) -> str:
    return (NOW.date() + timedelta(days=offset)).isoformat()


def time_alerts(s: Workspace) -> list[EventView]:
    return [e for e in s.queries.events_since(0) if e.kind.startswith("alert.")]


def ledger(s: Workspace) -> set[str]:
    with s.store.read() as conn:
        return {r[0] for r in conn.execute(select(m.RAISED.c.key))}


@pytest.fixture
def where(board_location: str) -> str:
    """Once on SQLite, once on PostgreSQL: the ledger holds on both."""
    return board_location


# -- the thresholds are the rules' own moments -------------------------------------------------
def test_each_threshold_is_the_first_moment_its_alert_is_due(
    open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at("b.db", "pia", clock)
    staff(s)
    pid = s.board.create("Launch post", stage="draft", owner="hana", due=day(5),
                         publish_date=day(12), imported=True)
    s.board.set_away("hana", True, "out")
    piece = s.queries.piece(pid)
    assert piece is not None
    people = {p.handle: p for p in s.queries.people()}
    seen: list[str] = []
    at = next_threshold(piece, s.board.wf, NOW)
    while at is not None:
        before = {a.key for a in piece_alerts(piece, people, s.board.wf, at - TICK)}
        after = {a.key for a in piece_alerts(piece, people, s.board.wf, at)}
        assert after - before, f"nothing new at {at}"
        seen += sorted(after - before)
        at = next_threshold(piece, s.board.wf, at)
    kinds = [key.split(":")[0] for key in seen]
    assert sorted(kinds) == ["at_risk", "due_soon", "overdue", "stage_overdue"]


# -- once, at the moment, across restarts and boards --------------------------------------------
def test_the_scheduler_raises_each_alert_once_at_its_moment(
    where: str, open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at(where, "pia", clock)
    staff(s)
    pid = s.board.create("Due Thursday", stage="draft", owner="wes", due=day(3), imported=True)
    checks = CheckScheduler()
    assert checks(s.board) == []
    due_soon = datetime.combine(NOW.date() + timedelta(days=3), datetime.max.time(), UTC) \
        - timedelta(hours=s.board.wf.due_soon_hours)
    assert checks.wake_at == due_soon
    clock.now = due_soon - TICK
    assert checks(s.board) == []
    clock.now = due_soon
    raised = checks(s.board)
    assert [(e.kind, e.piece_id) for e in time_alerts(s)] == [("alert.due_soon", pid)]
    assert len(raised) == 1
    assert checks(s.board) == []
    clock.now = due_soon + timedelta(hours=s.board.wf.due_soon_hours)  # the due day's last tick
    assert checks(s.board) == []
    clock.now += TICK  # the due day has ended
    assert len(checks(s.board)) == 1
    assert [e.kind for e in time_alerts(s)] == ["alert.due_soon", "alert.overdue"]
    assert checks.wake_at is None  # nothing more can fall due without an edit


def test_a_restarted_board_raises_nothing_again(
    where: str, open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at(where, "pia", clock)
    staff(s)
    s.board.create("Late", stage="draft", owner="wes", due=day(-1), imported=True)
    s.board.create("Due next week", stage="draft", owner="wes", due=day(7), imported=True)
    assert len(CheckScheduler()(s.board)) == 1
    s.close()
    again = open_at(where, "pia", clock)
    checks = CheckScheduler()
    assert checks(again.board) == []
    clock.advance(days=7)
    assert len(checks(again.board)) == 1  # the second piece's, now due soon
    assert sorted(e.kind for e in time_alerts(again)) == ["alert.due_soon", "alert.overdue"]


def test_a_second_board_that_raised_first_leaves_nothing_to_raise(
    where: str, open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    first = open_at(where, "pia", clock)
    staff(first)
    second = open_at(where, "wes", clock)
    first.board.create("Due Wednesday", stage="draft", owner="wes", due=day(2), imported=True)
    mine, theirs = CheckScheduler(), CheckScheduler()
    assert mine(first.board) == [] and theirs(second.board) == []
    clock.advance(days=2)
    assert len(theirs(second.board)) == 1
    assert mine(first.board) == []  # its threshold came, the ledger had it
    clock.advance(days=1)
    assert len(mine(first.board)) == 1  # overdue: the first board is first this time
    assert theirs(second.board) == []
    assert sorted(e.kind for e in time_alerts(first)) == ["alert.due_soon", "alert.overdue"]


def test_the_first_look_reads_in_pages_and_writes_go_in_between(
    where: str, open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    """Another board edits a piece already read and one not yet read while the first
    look is between two pages: its writes land (no lock is held across pages) and
    commit before anything the look raises; the later piece's alert is raised by this
    look, the earlier one's by the next (its edit came after the cursor)."""
    s = open_at(where, "pia", clock)
    staff(s)
    other = open_at(where, "wes", clock)
    ids = [s.board.create(f"Later {i}", stage="draft", owner="wes", due=day(20 + i),
                          imported=True) for i in range(6)]
    edits: list[int] = []

    class Paged(CheckScheduler):
        def between_pages(self) -> None:
            if not edits:
                other.board.edit(ids[0], {"due": day(-1)})
                other.board.edit(ids[5], {"due": day(-2)})
                edits.append(other.queries.last_event_id())
            else:
                edits.append(0)

    checks = Paged(page=2)
    due = checks.look(s.board)
    assert len(edits) == 3  # six pieces, two a page: between each page and the next
    assert [(a.kind, a.piece_id) for a in due] == [("alert.overdue", ids[5])]
    assert time_alerts(s) == []  # the look only read
    [first] = checks.raise_due(s.board, raise_steps(due))
    assert first > edits[0]
    assert len(checks(s.board)) == 1  # the piece read before its edit, at the next look
    assert checks(s.board) == []
    assert sorted((e.kind, e.piece_id) for e in time_alerts(s)) == [
        ("alert.overdue", ids[0]), ("alert.overdue", ids[5])]


# -- edits move the thresholds ---------------------------------------------------------------
def test_an_edit_that_moves_the_due_date_reschedules(
    open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at("b.db", "pia", clock)
    staff(s)
    pid = s.board.create("Moving target", stage="draft", owner="wes", due=day(3), imported=True)
    checks = CheckScheduler()
    checks(s.board)
    first = checks.wake_at
    s.board.edit(pid, {"due": day(10)})
    assert checks(s.board) == []
    assert checks.wake_at is not None and first is not None and checks.wake_at > first
    clock.now = first + timedelta(days=1)  # the old date's deadlines: nothing now
    assert checks(s.board) == []
    s.board.edit(pid, {"due": day(-1)})  # late already: raised on the next look
    assert len(checks(s.board)) == 1
    assert [(e.kind, e.data["due"]) for e in time_alerts(s)] == [("alert.overdue", day(-1))]


def test_the_owner_going_away_raises_at_risk_on_the_next_look(
    open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at("b.db", "pia", clock)
    staff(s)
    pid = s.board.create("Infographic", stage="draft", owner="hana", due=day(2), imported=True)
    checks = CheckScheduler()
    assert checks(s.board) == []
    s.board.set_away("hana", True, "out sick")
    assert len(checks(s.board)) == 1
    assert [(e.kind, e.piece_id) for e in time_alerts(s)] == [("alert.at_risk", pid)]


def test_a_review_track_escalates_step_by_step(
    open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at("b.db", "pia", clock)
    staff(s)
    pid = s.board.create("A whitepaper", stage="draft", owner="wes", format="whitepaper",
                         imported=True)
    s.board.move(pid, "review")
    checks = CheckScheduler()
    assert checks(s.board) == []
    clock.advance(hours=s.board.wf.review_sla_hours, microseconds=1)
    assert {e.kind for e in time_alerts(s)} == set()
    checks(s.board)
    assert [e.kind for e in time_alerts(s)] == ["alert.review_track_overdue"] * 2  # editor, sme
    clock.advance(hours=s.board.wf.review_sla_hours)
    checks(s.board)
    assert [e.kind for e in time_alerts(s)].count("alert.review_track_escalated") == 2


# -- a first run with many alerts for one person ------------------------------------------------
def test_a_first_run_sums_up_many_alerts_for_one_person(
    where: str, open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at(where, "pia", clock)
    staff(s)
    many = SUMMARY_AFTER + 5
    late = s.board.create_many([{"title": f"Late {i}", "stage": "draft", "owner": "wes",
                                 "due": day(-3)} for i in range(many)])
    dans = s.board.create("Dan's late one", stage="draft", owner="dan", due=day(-1), imported=True)
    raised = CheckScheduler()(s.board)
    events = time_alerts(s)
    assert len(raised) == 2
    summary = next(e for e in events if e.kind == "alert.summary")
    assert summary.data["owner"] == "wes" and summary.data["count"] == many
    assert summary.data["counts"] == {"alert.overdue": many}
    assert [p["id"] for p in summary.data["pieces"]] == late
    assert {r.person for r in s.queries.recipients(summary.id)} == {"wes"}
    assert [(e.kind, e.piece_id) for e in events if e.kind != "alert.summary"] == [
        ("alert.overdue", dans)]  # one alert for dan: not summed up
    assert len(ledger(s)) == many + 1  # each summed-up key is held: never raised later
    assert run_checks(s.board) == [] and CheckScheduler()(s.board) == []
    inbox = load_inbox(s.queries, "wes")
    assert [a.text for a in inbox.alerts if a.actor == "prodboard"] == [
        f"{many} of your pieces need attention ({many} overdue): #{late[0]} 'Late 0', "
        f"#{late[1]} 'Late 1', #{late[2]} 'Late 2' and {many - 3} more"]  # wes reads it
    [alert] = [a for a in inbox.alerts if a.actor == "prodboard"]
    assert list(alert.piece_ids[:3]) == late[:3] and set(late) <= set(alert.piece_ids)  # g opens each


def test_prodboard_check_prints_the_summary(
    tmp_path: Path, open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at("b.db", "pia", clock)
    staff(s)
    late = s.board.create_many([{"title": f"Late {i}", "stage": "draft", "owner": "wes",
                                 "due": day(-3)} for i in range(SUMMARY_AFTER + 1)])
    proc = run_cli(str(tmp_path / "b.db"), "check", "--json", now=NOW)
    assert proc.returncode == 0, proc.stderr
    [summary] = json.loads(proc.stdout)
    assert summary["kind"] == "alert.summary" and summary["piece_id"] is None
    assert [p["id"] for p in summary["data"]["pieces"]] == late
    proc = run_cli(str(tmp_path / "b.db"), "check", now=NOW)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_a_few_alerts_for_one_person_stay_one_each(
    open_at: Callable[..., Workspace], clock: FakeClock
) -> None:
    s = open_at("b.db", "pia", clock)
    staff(s)
    s.board.create_many([{"title": f"Late {i}", "stage": "draft", "owner": "wes",
                          "due": day(-3)} for i in range(SUMMARY_AFTER)])
    CheckScheduler()(s.board)
    assert [e.kind for e in time_alerts(s)] == ["alert.overdue"] * SUMMARY_AFTER


# -- the same alerts as a full rescan ---------------------------------------------------------
FORMATS = ("blog post", "whitepaper", "case study", "video")
OWNERS = ("wes", "hana", "dan", None)


def _build(s: Workspace, rnd: random.Random) -> None:
    staff(s)
    for i in range(24):
        due = rnd.choice([None, rnd.randint(-4, 9)])
        publish = rnd.choice([None, rnd.randint(-2, 25)])
        fields = {"due": day(due) if due is not None else None,
                  "publish_date": day(publish) if publish is not None else None}
        fmt = rnd.choice(FORMATS)
        stage = rnd.choice(["ideas", "brief", "draft", "draft", "optimize", "published"])
        pid = s.board.create(f"Piece {i}", stage=stage, owner=rnd.choice(OWNERS), format=fmt,
                             imported=True, **{k: v for k, v in fields.items() if v})
        if stage == "draft" and rnd.random() < 0.4:
            _try(partial(s.board.move, pid, "review"))


def _try(op: Callable[[], object]) -> None:
    with contextlib.suppress(ProdboardError):  # a gate or a rule refused it: on both alike
        op()


def _edit(s: Workspace, rnd: random.Random) -> None:
    pid = rnd.randint(1, 24)
    what = rnd.random()
    if what < 0.35:
        _try(lambda: s.board.edit(pid, {"due": day(rnd.randint(-3, 12))}))
    elif what < 0.5:
        handle = rnd.choice(["wes", "hana", "dan"])
        _try(lambda: s.board.set_away(handle, rnd.random() < 0.6, "away"))
    elif what < 0.7:
        _try(lambda: s.board.move(pid, rnd.choice(["draft", "review", "optimize", "published"])))
    elif what < 0.8:
        _try(lambda: s.board.approve(pid, rnd.choice(["editor", "sme"])))
    elif what < 0.9:
        _try(lambda: s.board.edit(pid, {"publish_date": day(rnd.randint(0, 20))}))
    else:
        _try(lambda: s.board.archive(pid, "dropped"))


@pytest.mark.parametrize("seed", range(6))
def test_the_scheduler_raises_what_a_full_rescan_raises(
    seed: int, open_at: Callable[..., Workspace]
) -> None:
    """Two boards given the same commands at the same fake times: one rescans
    everything at each look, the other asks the scheduler."""
    clocks = FakeClock(NOW), FakeClock(NOW)
    full, incremental = open_at("full.db", "pia", clocks[0]), open_at("inc.db", "pia", clocks[1])
    for s in (full, incremental):
        _build(s, random.Random(seed))
    checks = CheckScheduler()
    walk = random.Random(seed + 1000)
    for step in range(40):
        hours = walk.choice([0.0, 0.5, 3.0, 11.0, 24.0, 30.0])
        edits = walk.randint(0, 2)
        edit_seed = walk.random()
        for clock in clocks:
            clock.advance(hours=hours)
        for s in (full, incremental):
            rnd = random.Random(edit_seed)
            for _ in range(edits):
                _edit(s, rnd)
        run_checks(full.board)
        checks(incremental.board)
        assert ledger(incremental) == ledger(full), f"step {step}"
    kinds = [(e.kind, e.piece_id) for e in time_alerts(full)]
    assert sorted(kinds, key=str) == sorted(
        ((e.kind, e.piece_id) for e in time_alerts(incremental)), key=str)
    assert kinds  # the walk did raise something

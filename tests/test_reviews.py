"""Review tracks through the Commands on a real board file: routing on entry, parallel
and sequential decisions, resets, delegated approval, reassignment, the escalation
ladder raised once across two boards, and a format without tracks left as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock

from prodboard.domain.values import EventView
from prodboard.errors import BadInput, Refused
from prodboard.services.checks import run_checks
from prodboard.services.context import Workspace, open_board

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
TRACKS = """
[formats.whitepaper]
reviews = ["editor", "sme", "legal"]

[formats."case study"]
reviews = ["editor", "sme"]
sequential = true
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def config(tmp_path: Path) -> Callable[[str], Path]:
    def write(extra: str = "") -> Path:
        path = tmp_path / "prodboard.toml"
        path.write_text(TRACKS + extra, encoding="utf-8")
        return path

    return write


@pytest.fixture
def open_as(tmp_path: Path, clock: FakeClock, config: Callable[[str], Path]
            ) -> Iterator[Callable[..., Workspace]]:
    opened: list[Workspace] = []

    def make(user: str, extra: str = "", cfg: Path | None = None) -> Workspace:
        s = open_board(tmp_path / "board.db", user, config=cfg or config(extra), create=True,
                       clock=clock)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def team(open_as: Callable[..., Workspace]) -> Callable[..., Workspace]:
    pm = open_as("pia")
    pm.board.set_person("pia", display_name="Pia PM", roles=["pm"])
    for handle, role in (("wes", "writer"), ("eve", "editor"), ("ed", "editor"),
                         ("sam", "sme"), ("lee", "legal"), ("dan", "writer")):
        pm.board.add_person(handle, handle.title(), [role])
    pm.board.set_person("eve", delegate="dan")
    sessions: dict[tuple[str, str], Workspace] = {}

    def get(handle: str, extra: str = "") -> Workspace:
        if (handle, extra) not in sessions:
            sessions[handle, extra] = open_as(handle, extra)
        return sessions[handle, extra]

    return get


def in_draft(s: Workspace, fmt: str = "whitepaper", **fields: Any) -> int:
    return s.board.create(f"A {fmt}", stage="draft", imported=True, owner="wes", format=fmt,
                          **fields)


def to_review(s: Workspace, fmt: str = "whitepaper", **fields: object) -> int:
    pid = in_draft(s, fmt, **fields)
    s.board.move(pid, "review")
    return pid


def tracks(s: Workspace, pid: int) -> dict[str, tuple[str | None, str]]:
    p = s.queries.piece(pid)
    assert p is not None
    return {t.role: (t.reviewer, t.state) for t in p.tracks}


def events(s: Workspace, pid: int, kind: str) -> list[EventView]:
    return [e for e in s.queries.history(pid) if e.kind == kind]


def hears(s: Workspace, event: EventView) -> dict[str, str]:
    return {r.person: r.reason for r in s.queries.recipients(event.id)}


# -- routing --------------------------------------------------------------------------------------
def test_entering_review_routes_every_track(team: Callable[..., Workspace]) -> None:
    s = team("wes")
    pid = to_review(s)
    assert tracks(s, pid) == {"editor": ("ed", "waiting"), "sme": ("sam", "waiting"),
                              "legal": ("lee", "waiting")}
    assigned = events(s, pid, "review.assigned")
    assert [(e.data["role"], e.data["reviewer"], e.data["via"]) for e in assigned] == [
        ("editor", "ed", "least_load"), ("sme", "sam", "least_load"), ("legal", "lee", "least_load")]
    assert all(e.actor == "prodboard" for e in assigned)
    assert hears(s, assigned[0]) == {"ed": "reviewer"}  # an alert to the reviewer


def test_the_named_reviewer_gets_their_track(team: Callable[..., Workspace]) -> None:
    s = team("wes")
    pid = to_review(s, reviewers=["eve"])
    assert tracks(s, pid)["editor"] == ("eve", "waiting")
    assert events(s, pid, "review.assigned")[0].data["via"] == "named"


def test_least_load_spreads_the_reviews(team: Callable[..., Workspace]) -> None:
    s = team("wes")
    first, second = to_review(s), to_review(s)
    assert tracks(s, first)["editor"][0] == "ed"
    assert tracks(s, second)["editor"][0] == "eve"  # ed has one open review now


def test_away_reviewers_hand_to_their_delegate(team: Callable[..., Workspace]) -> None:
    pm = team("pia")
    pm.board.set_away("ed", True, "on leave")
    pm.board.set_away("eve", True, "out sick")
    pid = to_review(team("wes"))
    assert tracks(pm, pid)["editor"] == ("dan", "waiting")
    e = events(pm, pid, "review.assigned")[0]
    assert (e.data["via"], e.data["instead_of"]) == ("delegate", "eve")


def test_nobody_available_alerts_the_pm_and_leaves_the_track_open(
    team: Callable[..., Workspace],
) -> None:
    pm = team("pia")
    pm.board.set_away("lee", True, "on leave")  # no delegate named
    pid = to_review(team("wes"))
    assert tracks(pm, pid)["legal"] == (None, "waiting")
    unrouted = events(pm, pid, "review.unrouted")
    assert [e.data["role"] for e in unrouted] == ["legal"]
    assert hears(pm, unrouted[0]) == {"pia": "manager"}
    # someone holding the role may take the open track
    pm.board.set_away("lee", False)
    piece = team("lee").board.approve(pid)
    assert {t.role: t.state for t in piece.tracks}["legal"] == "approved"


def test_a_stage_that_assigns_a_role_gives_the_piece_an_owner(
    team: Callable[..., Workspace], tmp_path: Path,
) -> None:
    stages = "".join(f'\n[[stages]]\nkey = "{k}"\nname = "{k.title()}"\n{extra}' for k, extra in (
        ("draft", ""), ("review", 'gate = "approval"'), ("scheduled", 'assign = "distribution"'),
        ("published", "")))
    pm = team("pia", stages)
    pm.board.add_person("dia", "Dia", ["distribution"])
    pid = pm.board.create("Post", stage="draft", owner="wes", format="blog post")
    pm.board.move(pid, "review")
    piece = team("eve", stages).board.approve(pid)
    assert (piece.stage, piece.owner) == ("scheduled", "dia")
    routed = events(pm, pid, "piece.assigned")[-1]
    assert routed.data["routed"] == "distribution" and routed.actor == "prodboard"
    assert hears(pm, routed)["dia"] == "owner"
    kept = pm.board.create("Imported", stage="scheduled", owner="wes", imported=True)
    assert pm.queries.piece(kept).owner == "wes"  # type: ignore[union-attr]
    given = pm.board.create("Imported, nobody's", stage="scheduled", imported=True)
    assert pm.queries.piece(given).owner == "dia"  # type: ignore[union-attr]


# -- decisions ----------------------------------------------------------------------------------------
def test_parallel_tracks_move_the_piece_on_after_the_last_approval(
    team: Callable[..., Workspace],
) -> None:
    pid = to_review(team("wes"))
    after_sam = team("sam").board.approve(pid)
    assert after_sam.stage == "review" and after_sam.approved_by is None
    after_lee = team("lee").board.approve(pid, track="legal")
    assert after_lee.stage == "review"
    done = team("ed").board.approve(pid)
    assert (done.stage, done.approved_by) == ("optimize", "ed")
    s = team("pia")
    assert [e.data["track"] for e in events(s, pid, "review.approved")] == ["sme", "legal"]
    final = events(s, pid, "piece.approved")[-1]
    assert final.data["track"] == "editor" and final.data["tracks"] == "✓editor · ✓sme · ✓legal"
    assert {"wes", "sam", "lee"} <= set(hears(s, final))


def test_a_track_cannot_be_approved_twice(team: Callable[..., Workspace]) -> None:
    pid = to_review(team("wes"))
    team("sam").board.approve(pid)
    with pytest.raises(Refused, match="already approved"):
        team("sam").board.approve(pid, track="sme")
    with pytest.raises(Refused, match="waits on you"):
        team("sam").board.approve(pid)


def test_sequential_tracks_wait_their_turn(team: Callable[..., Workspace]) -> None:
    pid = to_review(team("wes"), "case study")
    assert tracks(team("pia"), pid) == {"editor": ("ed", "waiting"), "sme": ("sam", "waiting")}
    with pytest.raises(Refused, match="waits for the editor track first"):
        team("sam").board.approve(pid, track="sme")
    with pytest.raises(Refused, match="waits on you"):
        team("sam").board.approve(pid)
    team("ed").board.approve(pid)
    turn = events(team("pia"), pid, "review.turn")
    assert [e.data["reviewer"] for e in turn] == ["sam"]
    assert hears(team("pia"), turn[0]) == {"sam": "reviewer"}
    assert team("sam").board.approve(pid).stage == "optimize"


def test_a_change_request_sends_it_back_as_one_round_and_resets_every_track(
    team: Callable[..., Workspace],
) -> None:
    pid = to_review(team("wes"))
    team("ed").board.approve(pid)
    back = team("sam").board.request_changes(pid, "Check the figures", track="sme")
    assert (back.stage, back.revision_rounds) == ("draft", 1)
    e = events(team("pia"), pid, "piece.changes_requested")[-1]
    assert e.data["track"] == "sme" and e.data["note"] == "Check the figures"
    assert {"ed", "lee"} <= set(hears(team("pia"), e))  # the other reviewers hear it
    team("wes").board.move(pid, "review")
    assert tracks(team("pia"), pid) == {"editor": ("ed", "waiting"), "sme": ("sam", "waiting"),
                                        "legal": ("lee", "waiting")}
    again = events(team("pia"), pid, "review.assigned")[-3:]
    assert {e.data["via"] for e in again} == {"previous"}


def test_keep_approved_keeps_the_tracks_that_asked_for_nothing(
    team: Callable[..., Workspace],
) -> None:
    keep = '\n[board]\nreview_reset = "keep_approved"\n'
    pid = to_review(team("wes", keep))
    team("ed", keep).board.approve(pid)
    team("sam", keep).board.request_changes(pid, "Check the figures")
    team("wes", keep).board.move(pid, "review")
    assert tracks(team("pia", keep), pid) == {
        "editor": ("ed", "approved"), "sme": ("sam", "waiting"), "legal": ("lee", "waiting")}
    team("sam", keep).board.approve(pid)
    assert team("lee", keep).board.approve(pid).stage == "optimize"


def test_review_advance_off_leaves_the_approved_piece_in_review(
    team: Callable[..., Workspace],
) -> None:
    stay = "\n[board]\nreview_advance = false\n"
    pid = to_review(team("wes", stay), "case study")
    team("ed", stay).board.approve(pid)
    piece = team("sam", stay).board.approve(pid)
    assert (piece.stage, piece.approved_by) == ("review", "sam")
    assert events(team("pia", stay), pid, "review.approved")[-1].data["complete"] is True
    assert team("wes", stay).board.move(pid, "optimize").stage == "optimize"


def test_the_gate_names_the_tracks_still_to_approve(team: Callable[..., Workspace]) -> None:
    pid = to_review(team("wes"))
    team("sam").board.approve(pid)
    with pytest.raises(Refused, match="still needs the editor approval, legal approval"):
        team("wes").board.move(pid, "optimize")


def test_refusals(team: Callable[..., Workspace]) -> None:
    pid = to_review(team("wes"))
    with pytest.raises(Refused, match="not your track"):
        team("sam").board.approve(pid, track="editor")
    with pytest.raises(Refused, match="your own piece"):
        team("wes").board.approve(pid)
    with pytest.raises(BadInput, match="no 'design' track"):
        team("sam").board.approve(pid, track="design")
    draft = in_draft(team("wes"))
    with pytest.raises(Refused, match="is not in Review"):
        team("sam").board.approve(draft)
    with pytest.raises(Refused, match="is not in Review"):
        team("sam").board.request_changes(draft, "x")


# -- delegation ---------------------------------------------------------------------------------------
def test_the_delegate_approves_after_the_deadline_recorded_as_delegated(
    team: Callable[..., Workspace], clock: FakeClock,
) -> None:
    pid = to_review(team("wes"), reviewers=["eve"])
    with pytest.raises(Refused, match="waits on you"):
        team("dan").board.approve(pid)
    clock.advance(hours=49)
    piece = team("dan").board.approve(pid)
    editor = next(t for t in piece.tracks if t.role == "editor")
    assert (editor.state, editor.decided_by, editor.delegated) == ("approved", "dan", True)
    assert editor.decided_at is not None and datetime.fromisoformat(editor.decided_at) == clock.now
    e = events(team("pia"), pid, "review.approved")[-1]
    assert (e.actor, e.data["delegated"], e.data["on_behalf_of"]) == ("dan", True, "eve")
    assert hears(team("pia"), e)["eve"] == "reviewer"


# -- reassignment ----------------------------------------------------------------------------------------
def test_reassigning_a_track(team: Callable[..., Workspace]) -> None:
    pid = to_review(team("wes"))
    piece = team("ed").board.reassign_track(pid, "editor", "eve")  # the reviewer hands it on
    assert {t.role: t.reviewer for t in piece.tracks}["editor"] == "eve"
    e = events(team("pia"), pid, "review.reassigned")[-1]
    assert (e.data["previous"], e.data["reviewer"]) == ("ed", "eve")
    assert hears(team("pia"), e) == {"eve": "reviewer", "wes": "owner"}  # not ed, the actor
    assert team("pia").board.reassign_track(pid, "sme", "sam").version == piece.version  # no-op
    with pytest.raises(Refused, match="may reassign it"):
        team("sam").board.reassign_track(pid, "editor", "ed")
    with pytest.raises(Refused, match="does not hold the editor role"):
        team("pia").board.reassign_track(pid, "editor", "sam")
    team("pia").board.reassign_track(pid, "editor", "ed")  # a manager moves it back
    assert tracks(team("pia"), pid)["editor"] == ("ed", "waiting")
    e = events(team("pia"), pid, "review.reassigned")[-1]
    assert hears(team("pia"), e) == {"ed": "reviewer", "eve": "previous_reviewer", "wes": "owner"}


# -- escalation ---------------------------------------------------------------------------------
def test_each_escalation_step_is_raised_once_across_two_boards(
    team: Callable[..., Workspace], clock: FakeClock,
) -> None:
    pid = to_review(team("wes"), reviewers=["eve"])
    one, two = team("pia"), team("sam")
    clock.advance(hours=47)
    assert run_checks(one.board) == [] and run_checks(two.board) == []
    clock.advance(hours=2)
    first = run_checks(one.board)
    assert run_checks(two.board) == [] and run_checks(one.board) == []
    steps = [e for e in one.queries.history(pid) if e.id in first]
    assert sorted((e.kind, e.data["role"]) for e in steps) == [
        ("alert.review_track_overdue", "editor"), ("alert.review_track_overdue", "legal"),
        ("alert.review_track_overdue", "sme")]
    editor = next(e for e in steps if e.data["role"] == "editor")
    assert hears(one, editor) == {"eve": "reviewer", "dan": "delegate"}
    from prodboard.domain.describe import describe_event

    assert describe_event(editor, one.workflow) == (
        "the editor review of 'A whitepaper' is past its 48 h deadline "
        "(eve; their delegate may now decide)")
    assert not events(one, pid, "alert.review_overdue")  # the piece-wide alert is replaced
    team("sam").board.approve(pid)  # a decided track climbs no further
    clock.advance(hours=48)
    second = run_checks(two.board)
    assert run_checks(one.board) == []
    steps = [e for e in one.queries.history(pid) if e.id in second]
    assert sorted((e.kind, e.data["role"]) for e in steps) == [
        ("alert.review_track_escalated", "editor"), ("alert.review_track_escalated", "legal")]
    assert all(hears(one, e) == {"pia": "manager"} for e in steps)
    restarted = team("pia", "\n")  # another session on the same file
    assert run_checks(restarted.board) == []


# -- no tracks: as before ---------------------------------------------------------------------
def test_a_format_without_tracks_keeps_the_single_approval(team: Callable[..., Workspace]) -> None:
    pid = to_review(team("wes"), "blog post")
    p = team("pia").queries.piece(pid)
    assert p is not None and p.tracks == ()
    assert not events(team("pia"), pid, "review.assigned")
    with pytest.raises(BadInput, match="has no review tracks"):
        team("eve").board.approve(pid, track="editor")
    assert team("eve").board.approve(pid).stage == "optimize"


def test_a_piece_in_review_before_the_tracks_is_routed_when_first_decided(
    team: Callable[..., Workspace], tmp_path: Path, clock: FakeClock,
) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text('[formats.whitepaper]\nrevision_limit = 2\n', encoding="utf-8")
    before = open_board(tmp_path / "board.db", "wes", config=plain, clock=clock)
    team("pia")  # the team exists
    pid = in_draft(team("wes"))
    before.board.move(pid, "review")
    before.close()
    s = team("pia")
    assert tracks(s, pid) == {"editor": (None, "waiting"), "sme": (None, "waiting"),
                              "legal": (None, "waiting")}
    team("sam").board.approve(pid)
    assert tracks(s, pid) == {"editor": ("ed", "waiting"), "sme": ("sam", "approved"),
                              "legal": ("lee", "waiting")}


def test_a_schema_3_board_gains_the_track_table(team: Callable[..., Workspace], tmp_path: Path) -> None:
    pid = to_review(team("wes"))
    raw = sqlite3.connect(tmp_path / "board.db")
    raw.execute("DROP TABLE reviewtrack")
    raw.execute("PRAGMA user_version=3")
    raw.commit()
    raw.close()
    s = open_board(tmp_path / "board.db", "sam", config=tmp_path / "prodboard.toml")
    try:
        assert s.board.approve(pid).stage == "review"
    finally:
        s.close()


# -- the config ----------------------------------------------------------------------------------
def test_the_config_reads_tracks_and_refuses_bad_values(tmp_path: Path) -> None:
    from prodboard.config.load import load_workflow
    from prodboard.errors import ConfigError

    path = tmp_path / "t.toml"
    path.write_text(TRACKS + '[board]\nreview_reset = "keep_approved"\nreview_advance = false\n',
                    encoding="utf-8")
    wf = load_workflow(path)
    assert wf.reviews_for("whitepaper") == ("editor", "sme", "legal")
    assert wf.sequential("case study") and not wf.sequential("whitepaper")
    assert (wf.review_reset, wf.review_advance) == ("keep_approved", False)
    assert wf.reviews_for("blog post") == ()
    for text, where in (
        ('[board]\nreview_reset = "some"\n', "t.toml:2: board.review_reset: expected one of all"),
        ('[formats.video]\nreviews = "editor"\n', "t.toml:2: formats.video.reviews: expected a list"),
        ('[formats.video]\nreviews = [""]\n', "formats.video.reviews: expected a list of non-empty"),
        ('[formats.video]\nsequential = 1\n', "formats.video.sequential: expected true or false"),
        ('[[stages]]\nname = "A"\nassign = ""\n[[stages]]\nname = "B"\n', "stages[0].assign: must not"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as exc:
            load_workflow(path)
        assert where in exc.value.message

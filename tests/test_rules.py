"""The production rules, each through the Commands on a board file of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock

from prodboard.domain.values import EventView
from prodboard.errors import BadInput, Refused
from prodboard.services.context import Workspace, open_board

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
BRIEF = {
    "audience": "Heads of content at SaaS companies",
    "desired_action": "Book a demo",
    "business_goal": "Pipeline for Q2",
    "success_metrics": "40 demo requests",
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def open_as(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Workspace]]:
    """``open_as(user, config=None)``: a session on the test board as ``user``."""
    opened: list[Workspace] = []

    def make(user: str, config: Path | None = None) -> Workspace:
        session = open_board(tmp_path / "board.db", user, config=config, create=True, clock=clock)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


@pytest.fixture
def team(open_as: Callable[..., Workspace]) -> Callable[[str], Workspace]:
    """The team on the board; ``team(handle)`` is that person's session."""
    pm = open_as("pia")
    pm.board.set_person("pia", display_name="Pia PM", roles=["pm"])
    pm.board.add_person("wes", "Wes Writer", ["writer"])
    pm.board.add_person("eve", "Eve Editor", ["editor"])
    pm.board.add_person("sam", "Sam SME", ["sme"])
    pm.board.add_person("dan", "Dan Deputy", ["writer"])
    pm.board.set_person("eve", delegate="dan")
    sessions = {"pia": pm}

    def get(handle: str) -> Workspace:
        if handle not in sessions:
            sessions[handle] = open_as(handle)
        return sessions[handle]

    return get


def last_event(s: Workspace, piece_id: int) -> EventView:
    return s.queries.history(piece_id)[-1]


def piece_in(s: Workspace, stage: str, **fields: Any) -> int:
    """A piece placed straight into ``stage`` as an import (which skips the gates)."""
    fields.setdefault("owner", "wes")
    return s.board.create(f"Piece in {stage}", stage=stage, imported=True, **fields)


# -- the brief gate ------------------------------------------------------------------


def test_brief_gate_names_the_missing_fields_then_passes(team: Callable[[str], Workspace]) -> None:
    s = team("wes")
    pid = piece_in(s, "brief", audience="Heads of content")
    with pytest.raises(Refused) as exc:
        s.board.move(pid, "draft")
    message = exc.value.message
    assert "brief gate" in message
    for missing in ("desired action", "business goal", "success metrics"):
        assert missing in message
    assert "audience" not in message
    assert exc.value.missing == ("desired action", "business goal", "success metrics")
    assert s.queries.piece(pid).stage == "brief"  # type: ignore[union-attr]

    s.board.edit(pid, {k: v for k, v in BRIEF.items() if k != "audience"})
    assert s.board.move(pid, "draft").stage == "draft"


def test_a_blank_answer_does_not_count(team: Callable[[str], Workspace]) -> None:
    s = team("wes")
    pid = piece_in(s, "brief", **{**BRIEF, "business_goal": "   "})
    with pytest.raises(Refused, match="business goal"):
        s.board.move(pid, "draft")


def test_skipping_stages_checks_every_gate_on_the_way(team: Callable[[str], Workspace]) -> None:
    s = team("wes")
    pid = piece_in(s, "ideas")
    with pytest.raises(Refused) as exc:
        s.board.move(pid, "scheduled")
    message = exc.value.message
    assert "brief gate" in message and "review gate" in message and "pre-publish gate" in message
    # a filled brief still leaves the review and checklist gates in the way
    s.board.edit(pid, BRIEF)
    with pytest.raises(Refused) as exc:
        s.board.move(pid, "optimize")
    assert "review gate" in exc.value.message and "brief gate" not in exc.value.message
    # moves up to the first gated stage's exit are free
    assert s.board.move(pid, "review").stage == "review"


def test_the_ideas_stage_has_no_gate(team: Callable[[str], Workspace]) -> None:
    s = team("wes")
    pid = piece_in(s, "ideas")
    assert s.board.move(pid, "brief").stage == "brief"


def test_backward_moves_are_never_gated(team: Callable[[str], Workspace]) -> None:
    s = team("wes")
    pid = piece_in(s, "scheduled")  # nothing filled in, nothing ticked
    assert s.board.move(pid, "optimize").stage == "optimize"
    assert s.board.move(pid, "brief").stage == "brief"
    assert s.board.move(pid, "ideas").stage == "ideas"


def test_moving_to_the_same_stage_is_refused(team: Callable[[str], Workspace]) -> None:
    s = team("wes")
    pid = piece_in(s, "draft")
    with pytest.raises(Refused, match="already in Draft"):
        s.board.move(pid, "draft")


def test_an_archived_piece_cannot_move(team: Callable[[str], Workspace]) -> None:
    s = team("wes")
    pid = piece_in(s, "draft")
    s.board.archive(pid, "dropped")
    with pytest.raises(Refused, match="archived"):
        s.board.move(pid, "ideas")


# -- approval ------------------------------------------------------------------------


def test_approval_by_an_editor_moves_the_piece_on(team: Callable[[str], Workspace]) -> None:
    pid = piece_in(team("wes"), "review", reviewers=["eve"])
    eve = team("eve")
    piece = eve.board.approve(pid)
    assert piece.stage == "optimize"
    assert piece.approved_by == "eve" and piece.approval_delegated is False
    ev = last_event(eve, pid)
    assert ev.kind == "piece.approved" and ev.actor == "eve"
    assert ev.data["delegated"] is False and ev.changes["stage"] == ["review", "optimize"]


def test_approval_by_a_non_reviewer_is_refused(team: Callable[[str], Workspace]) -> None:
    wes = team("wes")
    pid = piece_in(wes, "review", reviewers=["eve"])
    for who in ("wes", "sam", "pia"):
        with pytest.raises(Refused, match="only someone with the editor role may approve"):
            team(who).board.approve(pid)
    assert wes.queries.piece(pid).stage == "review"  # type: ignore[union-attr]


def test_approval_outside_review_is_refused(team: Callable[[str], Workspace]) -> None:
    pid = piece_in(team("wes"), "draft")
    with pytest.raises(Refused, match="not in Review"):
        team("eve").board.approve(pid)


def test_a_plain_move_out_of_review_needs_the_approval(team: Callable[[str], Workspace]) -> None:
    wes = team("wes")
    pid = piece_in(wes, "review")
    with pytest.raises(Refused, match="review gate"):
        wes.board.move(pid, "optimize")


def test_delegated_approval_only_after_the_review_deadline(
    team: Callable[[str], Workspace], clock: FakeClock
) -> None:
    pid = piece_in(team("wes"), "review", reviewers=["eve"])
    dan = team("dan")  # eve's delegate, not an editor
    clock.advance(hours=47)
    with pytest.raises(Refused, match="delegate once the 48 h review deadline"):
        dan.board.approve(pid)
    clock.advance(hours=2)
    piece = dan.board.approve(pid)
    assert piece.stage == "optimize"
    assert piece.approved_by == "dan" and piece.approval_delegated is True
    ev = last_event(dan, pid)
    assert ev.kind == "piece.approved" and ev.data["delegated"] is True
    assert ev.data["approved_by"] == "dan"


def test_a_delegate_of_someone_else_may_not_approve(
    team: Callable[[str], Workspace], clock: FakeClock
) -> None:
    pid = piece_in(team("wes"), "review", reviewers=["sam"])  # dan is eve's delegate, not sam's
    clock.advance(hours=72)
    with pytest.raises(Refused):
        team("dan").board.approve(pid)


def test_the_review_deadline_counts_from_entering_review(
    team: Callable[[str], Workspace], clock: FakeClock
) -> None:
    wes = team("wes")
    pid = piece_in(wes, "draft", reviewers=["eve"], **BRIEF)
    clock.advance(hours=100)  # long in draft: does not count
    wes.board.move(pid, "review")
    clock.advance(hours=1)
    with pytest.raises(Refused):
        team("dan").board.approve(pid)


def test_an_approval_lapses_when_the_piece_goes_back(team: Callable[[str], Workspace]) -> None:
    wes = team("wes")
    pid = piece_in(wes, "review", reviewers=["eve"])
    team("eve").board.approve(pid)
    wes.board.move(pid, "draft")
    piece = wes.queries.piece(pid)
    assert piece is not None and piece.approved_by is None
    with pytest.raises(Refused, match="review gate"):
        wes.board.move(pid, "optimize")


# -- request changes, revision rounds ---------------------------------------------------


def test_request_changes_needs_a_note(team: Callable[[str], Workspace]) -> None:
    pid = piece_in(team("wes"), "review")
    eve = team("eve")
    for note in ("", "   "):
        with pytest.raises(BadInput, match="what needs changing"):
            eve.board.request_changes(pid, note)
    assert eve.queries.piece(pid).stage == "review"  # type: ignore[union-attr]


def test_request_changes_sends_back_to_draft_as_a_revision_round(
    team: Callable[[str], Workspace]
) -> None:
    pid = piece_in(team("wes"), "review")
    eve = team("eve")
    piece = eve.board.request_changes(pid, "Tighten the intro")
    assert piece.stage == "draft" and piece.revision_rounds == 1
    ev = last_event(eve, pid)
    assert ev.kind == "piece.changes_requested"
    assert ev.data["note"] == "Tighten the intro" and ev.data["revision"] == 1
    assert "revision_limit_exceeded" not in ev.data


def test_request_changes_outside_review_is_refused(team: Callable[[str], Workspace]) -> None:
    pid = piece_in(team("wes"), "draft")
    with pytest.raises(Refused, match="not in Review"):
        team("eve").board.request_changes(pid, "more")


def test_a_plain_move_back_from_review_is_a_revision_round(team: Callable[[str], Workspace]) -> None:
    wes = team("wes")
    pid = piece_in(wes, "review")
    assert wes.board.move(pid, "draft").revision_rounds == 1
    assert last_event(wes, pid).data["revision"] == 1
    wes.board.move(pid, "ideas")  # further back, from draft: not a revision round
    assert wes.queries.piece(pid).revision_rounds == 1  # type: ignore[union-attr]


def _rounds(team: Callable[[str], Workspace], fmt: str, rounds: int) -> list[EventView]:
    wes, eve = team("wes"), team("eve")
    pid = piece_in(wes, "review", format=fmt, **BRIEF)
    out = []
    for n in range(rounds):
        eve.board.request_changes(pid, f"round {n + 1}")
        out.append(last_event(eve, pid))
        wes.board.move(pid, "review")
    return out


def test_revision_limit_of_a_blog_post_is_exceeded_on_the_third_round(
    team: Callable[[str], Workspace]
) -> None:
    events = _rounds(team, "blog post", 3)
    assert [e.data["revision"] for e in events] == [1, 2, 3]
    assert ["revision_limit_exceeded" in e.data for e in events] == [False, False, True]
    assert events[2].data["revision_limit_exceeded"] == 2


def test_revision_limit_of_a_campaign_is_exceeded_on_the_fourth_round(
    team: Callable[[str], Workspace]
) -> None:
    events = _rounds(team, "campaign", 4)
    assert ["revision_limit_exceeded" in e.data for e in events] == [False, False, False, True]
    assert events[3].data["revision_limit_exceeded"] == 3


def test_every_round_past_the_limit_is_flagged(team: Callable[[str], Workspace]) -> None:
    events = _rounds(team, "newsletter", 4)  # the default limit: 2
    assert ["revision_limit_exceeded" in e.data for e in events] == [False, False, True, True]


def test_revision_limit_from_the_config(tmp_path: Path, open_as: Callable[..., Workspace]) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text('[board]\nrevision_limit = 0\n[formats."blog post"]\nrevision_limit = 1\n')
    s = open_as("pia", config=config)
    blog = s.board.create("Blog", stage="review", imported=True)
    other = s.board.create("Video", stage="review", format="video", imported=True)
    s.board.move(blog, "draft")
    assert "revision_limit_exceeded" not in last_event(s, blog).data
    s.board.move(other, "draft")
    assert last_event(s, other).data["revision_limit_exceeded"] == 0


# -- reject -------------------------------------------------------------------------


def test_reject_archives_with_a_reason(team: Callable[[str], Workspace]) -> None:
    pid = piece_in(team("wes"), "review")
    eve = team("eve")
    with pytest.raises(BadInput, match="reason"):
        eve.board.reject(pid, "  ")
    piece = eve.board.reject(pid, "Off-brand topic")
    assert piece.archived and piece.archive_reason == "Off-brand topic"
    ev = last_event(eve, pid)
    assert ev.kind == "piece.rejected" and ev.data["reason"] == "Off-brand topic"
    assert all(p.id != pid for p in eve.queries.pieces())
    with pytest.raises(Refused, match="already archived"):
        eve.board.reject(pid, "again")


# -- the pre-publish checklist -------------------------------------------------------------


def test_checklist_gate_lists_the_unticked_items(team: Callable[[str], Workspace]) -> None:
    wes = team("wes")
    pid = piece_in(wes, "optimize")
    wes.board.tick(pid, "brand_voice")
    team("sam").board.tick(pid, "legal")
    with pytest.raises(Refused) as exc:
        wes.board.move(pid, "scheduled")
    assert "pre-publish gate" in exc.value.message
    assert exc.value.missing == ("SEO", "Distribution channels confirmed", "Analytics tracking")
    for item in ("seo", "channels", "analytics"):
        wes.board.tick(pid, item)
    assert wes.board.move(pid, "scheduled").stage == "scheduled"


def test_each_tick_records_who_and_when(team: Callable[[str], Workspace], clock: FakeClock) -> None:
    wes = team("wes")
    pid = piece_in(wes, "optimize")
    clock.advance(minutes=5)
    team("sam").board.tick(pid, "Legal")  # item names are forgiving about case
    piece = wes.queries.piece(pid)
    assert piece is not None
    assert piece.checklist["legal"]["by"] == "sam"
    assert piece.checklist["legal"]["at"].startswith("2030-03-04T09:05")
    ev = last_event(wes, pid)
    assert ev.kind == "checklist.ticked" and ev.actor == "sam" and ev.data["item"] == "legal"
    wes.board.tick(pid, "legal", done=False)
    assert "legal" not in wes.queries.piece(pid).checklist  # type: ignore[union-attr]
    assert last_event(wes, pid).kind == "checklist.unticked"


def test_checklist_per_format(team: Callable[[str], Workspace]) -> None:
    wes = team("wes")
    pid = piece_in(wes, "optimize", format="social post")
    with pytest.raises(Refused) as exc:
        wes.board.move(pid, "scheduled")
    assert exc.value.missing == ("Brand voice", "Legal / compliance", "Distribution channels confirmed")
    with pytest.raises(BadInput, match="unknown checklist item 'seo' for social post"):
        wes.board.tick(pid, "seo")
    for item in ("brand_voice", "legal", "channels"):
        wes.board.tick(pid, item)
    assert wes.board.move(pid, "scheduled").stage == "scheduled"


def test_checklist_per_format_from_the_config(tmp_path: Path, open_as: Callable[..., Workspace]) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text(
        '[checklist]\nfact_check = "Facts checked by an SME"\n'
        '[formats.whitepaper]\nchecklist = ["fact_check", "legal"]\n'
    )
    s = open_as("pia", config=config)
    pid = s.board.create("Paper", stage="optimize", format="whitepaper", imported=True)
    with pytest.raises(Refused) as exc:
        s.board.move(pid, "scheduled")
    assert exc.value.missing == ("Facts checked by an SME", "Legal / compliance")


# -- overrides --------------------------------------------------------------------------


def test_override_by_a_writer_is_refused(team: Callable[[str], Workspace]) -> None:
    wes = team("wes")
    pid = piece_in(wes, "brief")
    with pytest.raises(Refused, match="only pm or strategist may override"):
        wes.board.move(pid, "draft", override="the client signed off by phone")
    assert wes.queries.piece(pid).stage == "brief"  # type: ignore[union-attr]


def test_override_by_a_pm_is_recorded_with_its_reason(team: Callable[[str], Workspace]) -> None:
    pia = team("pia")
    pid = piece_in(pia, "brief")
    piece = pia.board.move(pid, "scheduled", override="Launch day; brief agreed in the kickoff")
    assert piece.stage == "scheduled"
    ev = last_event(pia, pid)
    assert ev.kind == "piece.moved" and ev.actor == "pia"
    assert ev.data["override"] == "Launch day; brief agreed in the kickoff"
    assert ev.data["overridden"] == ["brief", "approval", "checklist"]


def test_an_override_needs_a_written_reason(team: Callable[[str], Workspace]) -> None:
    pia = team("pia")
    pid = piece_in(pia, "brief")
    with pytest.raises(BadInput, match="give a reason"):  # not the gate's refusal
        pia.board.move(pid, "draft", override="   ")


def test_no_override_is_recorded_when_no_gate_failed(team: Callable[[str], Workspace]) -> None:
    pia = team("pia")
    pid = piece_in(pia, "brief", **BRIEF)
    pia.board.move(pid, "draft", override="just in case")
    assert "override" not in last_event(pia, pid).data


# -- WIP limits ---------------------------------------------------------------------------


WIP_CONFIG = """
[board]
wip_per_person = 2

[[stages]]
key = "ideas"
name = "Ideas"

[[stages]]
key = "doing"
name = "Doing"
wip = 2

[[stages]]
key = "done"
name = "Done"
"""


def test_stage_wip_limit_warns_in_the_event(tmp_path: Path, open_as: Callable[..., Workspace]) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text(WIP_CONFIG)
    s = open_as("pia", config=config)
    ids = [s.board.create(f"Idea {n}") for n in range(3)]
    s.board.move(ids[0], "doing")
    s.board.move(ids[1], "doing")
    assert "wip_exceeded" not in last_event(s, ids[1]).data
    s.board.move(ids[2], "doing")  # a warning, not a refusal
    assert last_event(s, ids[2]).data["wip_exceeded"] == {"stage": "doing", "count": 3, "limit": 2}
    assert s.queries.piece(ids[2]).stage == "doing"  # type: ignore[union-attr]
    created = s.board.create("Straight in", stage="doing")
    assert last_event(s, created).data["wip_exceeded"]["count"] == 4


def test_person_wip_limit_warns_in_the_event(tmp_path: Path, open_as: Callable[..., Workspace]) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text(WIP_CONFIG.replace("wip = 2", "wip = 0"))
    s = open_as("pia", config=config)
    s.board.add_person("wes", "Wes", ["writer"])
    ids = [s.board.create(f"Idea {n}", owner="wes") for n in range(3)]
    s.board.move(ids[0], "doing")
    s.board.move(ids[1], "doing")
    assert "person_wip_exceeded" not in last_event(s, ids[1]).data
    s.board.move(ids[2], "doing")
    assert last_event(s, ids[2]).data["person_wip_exceeded"] == {
        "person": "wes", "count": 3, "limit": 2,
    }
    # giving a piece in progress to someone already at the limit warns too
    other = s.board.create("Unowned", stage="doing")
    s.board.assign(other, "wes")
    data = last_event(s, other).data
    assert data["person_wip_exceeded"]["count"] == 4 and "wip_exceeded" not in data
    # finishing work does not warn
    s.board.move(ids[0], "done")
    assert "person_wip_exceeded" not in last_event(s, ids[0]).data


def test_no_wip_warning_without_limits(team: Callable[[str], Workspace]) -> None:
    wes = team("wes")
    pid = piece_in(wes, "ideas")
    wes.board.move(pid, "brief")
    data = last_event(wes, pid).data
    assert "wip_exceeded" not in data and "person_wip_exceeded" not in data


# -- availability -------------------------------------------------------------------------


def test_people_away_and_back(team: Callable[[str], Workspace]) -> None:
    pia = team("pia")
    pia.board.set_away("eve", True, "out sick", delegate="sam")
    eve = pia.queries.person("eve")
    assert eve is not None and eve.away and eve.away_note == "out sick" and eve.delegate == "sam"
    events = pia.queries.events_since(0)
    assert events[-1].kind == "person.away" and events[-1].data["handle"] == "eve"
    pia.board.set_away("eve", False)
    eve = pia.queries.person("eve")
    assert eve is not None and not eve.away and eve.away_note == ""
    assert pia.queries.events_since(0)[-1].kind == "person.back"
    with pytest.raises(BadInput, match="unknown person"):
        pia.board.set_away("nobody", True)


def test_request_changes_needs_a_reviewer(team: Callable[[str], Workspace]) -> None:
    s = team("wes")
    pid = piece_in(s, "review")
    with pytest.raises(Refused, match="may request changes"):
        s.board.request_changes(pid, "I do not like it")
    assert s.queries.piece(pid).stage == "review"  # type: ignore[union-attr]


def test_nobody_approves_their_own_piece(team: Callable[[str], Workspace]) -> None:
    eve = team("eve")  # an editor
    pid = piece_in(eve, "review", owner="eve")
    with pytest.raises(Refused, match="your own piece"):
        eve.board.approve(pid)
    assert team("sam").queries.piece(pid).stage == "review"  # type: ignore[union-attr]

"""Review tracks as pure rules: routing, parallel and sequential cycles, resets, who may
decide, the escalation ladder, and what the board shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from prodboard.domain import reviews as rv
from prodboard.domain.reviews import APPROVED, CHANGES, WAITING, TrackView
from prodboard.domain.values import PersonView, PieceView
from prodboard.domain.workflow import default_workflow

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
AT = NOW.isoformat()


def person(handle: str, *roles: str, away: bool = False, delegate: str | None = None) -> PersonView:
    return PersonView(handle, handle.title(), roles, away, "", delegate, "involved")


def team(*people: PersonView) -> dict[str, PersonView]:
    return {p.handle: p for p in people}


def piece(**kw: object) -> PieceView:
    base: dict[str, object] = dict(
        id=7, title="Whitepaper", format="whitepaper", channels=(), owner="wes", reviewers=(),
        stage="review", rank=1.0, priority=2, tags=(), due=None, publish_date=None,
        audience="", desired_action="", business_goal="", success_metrics="", key_message="",
        checklist={}, revision_rounds=0, cost=0.0, links=(), approved_by=None, approved_at=None,
        approval_delegated=False, stage_entered_at=AT, created_at=AT, updated_at=AT,
        archived=False, archive_reason="", version=1,
    )
    base.update(kw)
    return PieceView(**base)  # type: ignore[arg-type]


WF = replace(default_workflow(), reviews_by_format={"whitepaper": ("editor", "sme", "legal")},
             review_sla_hours=48)
SEQ = replace(WF, sequential_formats=frozenset({"whitepaper"}))


# -- routing -----------------------------------------------------------------------------------
def test_a_named_reviewer_with_the_role_gets_the_track() -> None:
    people = team(person("eve", "editor"), person("ed", "editor"))
    got = rv.route("editor", people, {"eve": 5, "ed": 0}, named=("sam", "eve"))
    assert got == rv.Route("editor", "eve", "named")


def test_a_named_reviewer_without_the_role_does_not_count() -> None:
    people = team(person("eve", "editor"), person("sam", "sme"))
    assert rv.route("editor", people, {}, named=("sam",)).reviewer == "eve"


def test_least_load_picks_the_holder_with_fewest_open_reviews() -> None:
    people = team(person("eve", "editor"), person("ed", "editor"), person("al", "editor"))
    got = rv.route("editor", people, {"eve": 3, "ed": 1, "al": 2})
    assert got == rv.Route("editor", "ed", "least_load")


def test_least_load_ties_break_by_handle() -> None:
    people = team(person("zed", "editor"), person("eve", "editor"))
    assert rv.route("editor", people, {}).reviewer == "eve"


def test_least_load_skips_whoever_is_away() -> None:
    people = team(person("ed", "editor", away=True), person("eve", "editor"))
    got = rv.route("editor", people, {"ed": 0, "eve": 9})
    assert got == rv.Route("editor", "eve", "least_load")


def test_everyone_with_the_role_away_goes_to_a_delegate() -> None:
    people = team(person("eve", "editor", away=True, delegate="dan"), person("dan", "writer"))
    assert rv.route("editor", people, {}) == rv.Route("editor", "dan", "delegate", "eve")


def test_an_away_named_reviewer_hands_to_their_delegate() -> None:
    people = team(person("eve", "editor", away=True, delegate="dan"), person("dan", "writer"),
                  person("ed", "editor"))
    assert rv.route("editor", people, {}, named=("eve",)) == rv.Route("editor", "dan", "delegate", "eve")


def test_an_away_delegate_is_no_delegate() -> None:
    people = team(person("eve", "editor", away=True, delegate="dan"),
                  person("dan", "writer", away=True))
    assert rv.route("editor", people, {}) == rv.Route("editor", None, "none")


def test_nobody_with_the_role_leaves_the_track_open() -> None:
    people = team(person("eve", "editor"))
    assert rv.route("legal", people, {}) == rv.Route("legal", None, "none")


def test_the_owner_never_reviews_their_own_piece() -> None:
    people = team(person("wes", "editor"), person("eve", "editor"))
    assert rv.route("editor", people, {"eve": 4}, named=("wes",), exclude=("wes",)).reviewer == "eve"
    alone = team(person("wes", "editor"))
    assert rv.route("editor", alone, {}, exclude=("wes",)).reviewer is None


def test_someone_already_on_the_piece_is_taken_last() -> None:
    people = team(person("eve", "editor", "sme"), person("sam", "sme"))
    assert rv.route("sme", people, {"eve": 0, "sam": 5}, busy=("eve",)).reviewer == "sam"
    only = team(person("eve", "editor", "sme"))
    assert rv.route("sme", only, {}, busy=("eve",)).reviewer == "eve"


def test_last_cycles_reviewer_keeps_the_track_when_still_here() -> None:
    people = team(person("eve", "editor"), person("ed", "editor"))
    assert rv.route("editor", people, {"eve": 9}, previous="eve") == rv.Route("editor", "eve", "previous")
    people["eve"] = person("eve", "editor", away=True)
    assert rv.route("editor", people, {}, previous="eve").reviewer == "ed"


def test_owner_routing_keeps_a_current_owner_with_the_role() -> None:
    people = team(person("dia", "distribution"), person("dov", "distribution"))
    assert rv.route_owner("distribution", people, {"dia": 9}, "dia").reviewer == "dia"
    assert rv.route_owner("distribution", people, {"dia": 9}, "wes").reviewer == "dov"


# -- cycles: parallel and sequential --------------------------------------------------------------
def test_parallel_tracks_all_open_at_once() -> None:
    tracks = rv.new_cycle(7, 1, ("editor", "sme", "legal"), AT, sequential=False)
    assert [t.role for t in rv.open_tracks(tracks, False)] == ["editor", "sme", "legal"]
    assert all(t.opened_at == AT for t in tracks)


def test_sequential_tracks_open_one_after_another() -> None:
    tracks = rv.new_cycle(7, 1, ("editor", "sme", "legal"), AT, sequential=True)
    assert [t.role for t in rv.open_tracks(tracks, True)] == ["editor"]
    assert [t.opened_at for t in tracks] == [AT, None, None]
    later = (NOW + timedelta(hours=5)).isoformat()
    d = rv.decide(tracks, "editor", True, "eve", later, sequential=True)
    assert d.opened == ("sme",) and d.outcome == "pending"
    assert next(t for t in d.tracks if t.role == "sme").opened_at == later
    assert [t.role for t in rv.open_tracks(d.tracks, True)] == ["sme"]


def test_the_piece_is_approved_once_every_track_is() -> None:
    tracks: tuple[TrackView, ...] = tuple(rv.new_cycle(7, 1, ("editor", "sme"), AT, sequential=False))
    d = rv.decide(tracks, "sme", True, "sam", AT, sequential=False)
    assert d.outcome == "pending"
    d = rv.decide(d.tracks, "editor", True, "eve", AT, sequential=False)
    assert d.outcome == APPROVED


def test_one_request_for_changes_ends_the_cycle() -> None:
    tracks = rv.new_cycle(7, 1, ("editor", "sme"), AT, sequential=False)
    d = rv.decide(tracks, "sme", False, "sam", AT, sequential=False, note="Check the figures")
    assert d.outcome == CHANGES
    assert rv.open_tracks(d.tracks, False) == []
    sme = next(t for t in d.tracks if t.role == "sme")
    assert (sme.state, sme.note, sme.decided_by) == (CHANGES, "Check the figures", "sam")


# -- resets --------------------------------------------------------------------------------------
def _after_changes() -> tuple[TrackView, ...]:
    tracks = rv.new_cycle(7, 1, ("editor", "sme", "legal"), AT, sequential=False)
    tracks = [replace(t, reviewer={"editor": "eve", "sme": "sam", "legal": "lee"}[t.role])
              for t in tracks]
    d = rv.decide(tracks, "editor", True, "eve", AT, sequential=False)
    return rv.decide(d.tracks, "sme", False, "sam", AT, sequential=False, note="x").tracks


def test_reset_all_starts_every_track_afresh() -> None:
    later = (NOW + timedelta(days=2)).isoformat()
    fresh = rv.new_cycle(7, 2, ("editor", "sme", "legal"), later, sequential=False,
                         previous=_after_changes(), reset="all")
    assert [t.state for t in fresh] == [WAITING] * 3
    assert all(t.cycle == 2 and t.opened_at == later and t.decided_by is None for t in fresh)


def test_keep_approved_keeps_the_tracks_that_asked_for_nothing() -> None:
    later = (NOW + timedelta(days=2)).isoformat()
    fresh = rv.new_cycle(7, 2, ("editor", "sme", "legal"), later, sequential=False,
                         previous=_after_changes(), reset="keep_approved")
    by_role = {t.role: t for t in fresh}
    assert by_role["editor"].state == APPROVED and by_role["editor"].decided_by == "eve"
    assert by_role["sme"].state == WAITING and by_role["sme"].note == ""
    assert by_role["legal"].state == WAITING  # it had not decided: nothing to keep
    assert [t.role for t in rv.open_tracks(fresh, False)] == ["sme", "legal"]


def test_keep_approved_in_sequence_opens_the_first_track_not_kept() -> None:
    later = (NOW + timedelta(days=2)).isoformat()
    fresh = rv.new_cycle(7, 2, ("editor", "sme", "legal"), later, sequential=True,
                         previous=_after_changes(), reset="keep_approved")
    assert [t.role for t in rv.open_tracks(fresh, True)] == ["sme"]


def test_a_role_added_to_the_format_since_gets_a_fresh_track() -> None:
    fresh = rv.new_cycle(7, 2, ("editor", "brand"), AT, sequential=False,
                         previous=_after_changes(), reset="keep_approved")
    assert [(t.role, t.state) for t in fresh] == [("editor", APPROVED), ("brand", WAITING)]


# -- who decides -----------------------------------------------------------------------------------
def _routed(*, sequential: bool = False) -> list[TrackView]:
    tracks = rv.new_cycle(7, 1, ("editor", "sme", "legal"), AT, sequential=sequential)
    names = {"editor": "eve", "sme": "sam", "legal": None}
    return [replace(t, reviewer=names[t.role]) for t in tracks]


EVE, SAM, DAN = person("eve", "editor", delegate="dan"), person("sam", "sme"), person("dan", "writer")


def test_pressing_approve_picks_my_own_track() -> None:
    got = rv.pick_track(piece(), _routed(), WF, SAM, set(), NOW)
    assert got.track is not None and got.track.role == "sme" and not got.delegated


def test_naming_someone_elses_track_is_refused() -> None:
    got = rv.pick_track(piece(), _routed(), WF, SAM, set(), NOW, wanted="editor")
    assert got.track is None and got.refusal.startswith("not your track")


def test_an_unknown_track_is_bad_input() -> None:
    got = rv.pick_track(piece(), _routed(), WF, SAM, set(), NOW, wanted="design")
    assert got.bad_input and "tracks: editor, sme, legal" in got.refusal


def test_no_track_waiting_on_me_is_refused() -> None:
    got = rv.pick_track(piece(), _routed(), WF, DAN, set(), NOW)
    assert got.track is None and "waits on you" in got.refusal


def test_the_owner_cannot_review_their_own_piece() -> None:
    got = rv.pick_track(piece(owner="sam"), _routed(), WF, SAM, set(), NOW)
    assert "your own piece" in got.refusal


def test_a_piece_not_in_review_is_refused() -> None:
    got = rv.pick_track(piece(stage="draft"), _routed(), WF, SAM, set(), NOW)
    assert got.refusal == "piece #7 is not in Review"


def test_an_unassigned_track_is_taken_by_someone_with_the_role() -> None:
    lee = person("lee", "legal")
    got = rv.pick_track(piece(), _routed(), WF, lee, set(), NOW)
    assert got.track is not None and got.track.role == "legal"


def test_a_sequential_track_waits_its_turn() -> None:
    got = rv.pick_track(piece(), _routed(sequential=True), SEQ, SAM, set(), NOW, wanted="sme")
    assert got.refusal == "the sme track of #7 waits for the editor track first"


def test_a_decided_track_cannot_be_decided_again() -> None:
    tracks = rv.decide(_routed(), "sme", True, "sam", AT, sequential=False).tracks
    got = rv.pick_track(piece(), tracks, WF, SAM, set(), NOW, wanted="sme")
    assert got.refusal == "the sme track of #7 is already approved"


def test_the_delegate_may_decide_only_after_the_deadline() -> None:
    before = rv.pick_track(piece(), _routed(), WF, DAN, {"eve"}, NOW + timedelta(hours=47))
    assert before.track is None
    after = rv.pick_track(piece(), _routed(), WF, DAN, {"eve"}, NOW + timedelta(hours=49))
    assert after.track is not None and after.track.role == "editor" and after.delegated


def test_a_delegated_approval_is_recorded_as_delegated() -> None:
    d = rv.decide(_routed(), "editor", True, "dan", AT, sequential=False, delegated=True)
    editor = next(t for t in d.tracks if t.role == "editor")
    assert (editor.state, editor.decided_by, editor.delegated) == (APPROVED, "dan", True)


# -- escalation --------------------------------------------------------------------------------------
def test_no_step_before_the_deadline() -> None:
    track = _routed()[0]
    assert rv.escalations(track, 48, NOW + timedelta(hours=48)) == []


def test_step_one_after_the_deadline() -> None:
    track = _routed()[0]
    steps = rv.escalations(track, 48, NOW + timedelta(hours=49))
    assert [(s.step, s.kind) for s in steps] == [(1, "alert.review_track_overdue")]
    assert steps[0].waited_hours == 49.0


def test_step_two_after_twice_the_deadline() -> None:
    track = _routed()[0]
    steps = rv.escalations(track, 48, NOW + timedelta(hours=97))
    assert [s.step for s in steps] == [1, 2]
    assert steps[1].kind == "alert.review_track_escalated"
    assert len({s.key for s in steps}) == 2


def test_a_decided_or_unopened_track_never_escalates() -> None:
    decided = rv.decide(_routed(), "editor", True, "eve", AT, sequential=False).tracks[0]
    assert rv.escalations(decided, 48, NOW + timedelta(days=30)) == []
    later = _routed(sequential=True)[1]
    assert later.opened_at is None and rv.escalations(later, 48, NOW + timedelta(days=30)) == []


def test_a_new_cycle_has_new_keys() -> None:
    one = rv.escalations(_routed()[0], 48, NOW + timedelta(hours=49))[0]
    two = rv.escalations(replace(_routed()[0], cycle=2), 48, NOW + timedelta(hours=49))[0]
    assert one.key != two.key


# -- seen at a glance ----------------------------------------------------------------------------------
def test_compact_marks_each_track() -> None:
    tracks = rv.decide(_routed(), "editor", True, "eve", AT, sequential=False).tracks
    tracks = rv.decide(tracks, "legal", False, "lee", AT, sequential=False).tracks
    assert rv.compact(tracks) == "✓editor · sme · ✗legal"
    assert rv.compact(tracks, width=16) == "✓edi · sme · ✗leg"


def test_awaiting_me() -> None:
    tracks = tuple(_routed())
    p = piece(tracks=tracks)
    assert rv.awaiting(p, WF, "sam") and rv.awaiting(p, WF, "eve")
    assert not rv.awaiting(p, WF, "dan")
    assert not rv.awaiting(p, WF, "dan", {"eve"}, NOW + timedelta(hours=1))
    assert rv.awaiting(p, WF, "dan", {"eve"}, NOW + timedelta(hours=49))
    decided = rv.decide(tracks, "sme", True, "sam", AT, sequential=False).tracks
    assert not rv.awaiting(piece(tracks=decided), WF, "sam")
    assert not rv.awaiting(piece(tracks=tracks, stage="draft"), WF, "sam")


def test_awaiting_me_without_tracks_is_being_a_named_reviewer() -> None:
    p = piece(format="blog post", reviewers=("eve",))
    assert rv.awaiting(p, WF, "eve") and not rv.awaiting(p, WF, "sam")
    assert not rv.awaiting(replace(p, approved_by="eve"), WF, "eve")


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(hours=3), "3 h"), (timedelta(hours=52), "2 d 4 h"), (timedelta(hours=-5), "-5 h"),
    (timedelta(hours=47, minutes=59), "2 d"), (None, "—"),
])
def test_hours(delta: timedelta | None, text: str) -> None:
    assert rv.hours(delta) == text

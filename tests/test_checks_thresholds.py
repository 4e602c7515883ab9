"""The next threshold is never late: between ``now`` and it, no alert appears that was
not already due at ``now`` (pure rules, random pieces, workflows and moments)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from prodboard.domain.reviews import APPROVED, CHANGES, WAITING, TrackView
from prodboard.domain.thresholds import TICK, Dates, next_threshold, quiet_until
from prodboard.domain.values import PersonView, PieceView
from prodboard.domain.workflow import Workflow, default_workflow
from prodboard.services.checks import piece_alerts

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
SETTINGS = settings(max_examples=200, deadline=None, derandomize=bool(os.environ.get("CI")))
STAGES = [s.key for s in default_workflow().stages]


def at(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat()


@st.composite
def cases(draw: st.DrawFn) -> tuple[PieceView, dict[str, PersonView], Workflow, datetime]:
    wf = replace(
        default_workflow(),
        reviews_by_format={"whitepaper": ("editor", "sme")},
        sequential_formats=frozenset({"whitepaper"}) if draw(st.booleans()) else frozenset(),
        derive_stage_due=draw(st.booleans()),
        due_soon_hours=draw(st.sampled_from([0.0, 1.5, 24.0, 36.25, 72.0])),
        at_risk_days=draw(st.integers(0, 7)),
        review_sla_hours=draw(st.sampled_from([0.5, 24.0, 48.0, 96.0])),
    )
    fmt = draw(st.sampled_from(["blog post", "whitepaper"]))
    stage = draw(st.sampled_from(STAGES))
    days = st.one_of(st.none(), st.integers(-20, 30))
    due, publish = draw(days), draw(days)
    entered = draw(st.floats(-200, 0, allow_nan=False))
    tracks: tuple[TrackView, ...] = ()
    if fmt == "whitepaper" and stage == "review":
        tracks = tuple(
            TrackView(1, 1, role, i, "eve", draw(st.sampled_from([WAITING, WAITING, APPROVED,
                                                                  CHANGES])),
                      draw(st.one_of(st.none(), st.floats(-200, 0).map(at))))
            for i, role in enumerate(("editor", "sme")))
    stamp = at(entered)
    piece = PieceView(
        id=1, title="T", format=fmt, channels=(), owner="hana", reviewers=("eve",),
        stage=stage, rank=1.0, priority=2, tags=(),
        due=(START.date() + timedelta(days=due)).isoformat() if due is not None else None,
        publish_date=(START.date() + timedelta(days=publish)).isoformat()
        if publish is not None else None,
        audience="", desired_action="", business_goal="", success_metrics="", key_message="",
        checklist={}, revision_rounds=0, cost=0.0, links=(), approved_by=None, approved_at=None,
        approval_delegated=False, stage_entered_at=stamp, created_at=stamp, updated_at=stamp,
        archived=False, archive_reason="", version=1,  # (archived ones are never read)
        tracks=tracks)
    people = {"hana": PersonView("hana", "Hana", ("designer",), draw(st.booleans()), "", None,
                                 "involved"),
              "eve": PersonView("eve", "Eve", ("editor",), False, "", "dan", "involved")}
    now = START + timedelta(hours=draw(st.floats(-100, 800, allow_nan=False)))
    return piece, people, wf, now


def keys(piece: PieceView, people: dict[str, PersonView], wf: Workflow, now: datetime) -> set[str]:
    return {a.key for a in piece_alerts(piece, people, wf, now)}


@SETTINGS
@given(cases(), st.floats(0, 1, allow_nan=False))
def test_nothing_new_falls_due_before_the_next_threshold(
    case: tuple[PieceView, dict[str, PersonView], Workflow, datetime], part: float
) -> None:
    piece, people, wf, now = case
    due_now = keys(piece, people, wf, now)
    nxt = next_threshold(piece, wf, now)
    end = nxt if nxt is not None else now + timedelta(days=400)
    assert end > now
    for t in (min(now + (end - now) * part, end - TICK), end - TICK):
        assert keys(piece, people, wf, t) <= due_now, (t, nxt)


@SETTINGS
@given(cases())
def test_a_piece_with_no_threshold_behind_it_has_no_alert(
    case: tuple[PieceView, dict[str, PersonView], Workflow, datetime]
) -> None:
    piece, people, wf, now = case
    quiet, nxt = quiet_until(piece, wf, now)
    assert nxt == next_threshold(piece, wf, now)
    if quiet:
        assert keys(piece, people, wf, now) == set()
    dates = Dates(piece.due, piece.publish_date, piece.stage, piece.stage_entered_at, piece.format)
    if not wf.reviews_for(piece.format):  # the first look reads these pieces' dates only
        assert quiet_until(dates, wf, now) == (quiet, nxt)

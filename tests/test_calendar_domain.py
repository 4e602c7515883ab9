"""The calendar's pure logic: days, weeks, entries, the tray and warnings, exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from prodboard.domain import calendar as cal
from prodboard.domain.values import PieceView
from prodboard.domain.workflow import default_workflow

WF = default_workflow()
TODAY = date(2026, 11, 20)  # a Friday


def piece(pid: int, **kw: Any) -> PieceView:
    base: dict[str, Any] = dict(
        id=pid, title=f"piece {pid}", format="blog post", channels=(), owner="ana", reviewers=(),
        stage="draft", rank=float(pid), priority=2, tags=(), due=None, publish_date=None,
        audience="", desired_action="", business_goal="", success_metrics="", key_message="",
        checklist={}, revision_rounds=0, cost=0.0, links=(), approved_by=None, approved_at=None,
        approval_delegated=False, stage_entered_at="2026-11-01T00:00:00+00:00",
        created_at="2026-11-01T00:00:00+00:00", updated_at="2026-11-01T00:00:00+00:00",
        archived=False, archive_reason="", version=1)
    base.update(kw)
    return PieceView(**base)


def test_weeks_start_on_monday() -> None:
    assert cal.week_start(TODAY) == date(2026, 11, 16)
    assert cal.week_days(date(2026, 11, 16)) == [date(2026, 11, d) for d in range(16, 23)]
    assert cal.week_days(date(2026, 11, 22))[0] == date(2026, 11, 16)  # a Sunday


def test_month_weeks_cover_the_month_exactly() -> None:
    weeks = cal.month_weeks(TODAY)  # November 2026 starts on a Sunday, ends on a Monday
    assert len(weeks) == 6 and all(len(w) == 7 for w in weeks)
    assert weeks[0][0] == date(2026, 10, 26) and weeks[-1][-1] == date(2026, 12, 6)
    feb = cal.month_weeks(date(2027, 2, 10))  # Feb 2027: Monday 1st to Sunday 28th
    assert len(feb) == 4 and feb[0][0] == date(2027, 2, 1) and feb[-1][-1] == date(2027, 2, 28)


def test_add_months_keeps_the_day_inside_short_months() -> None:
    assert cal.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert cal.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert cal.add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert cal.add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
    assert cal.add_months(date(2026, 3, 31), -13) == date(2025, 2, 28)


def test_entries_by_day_publications_first_then_priority() -> None:
    pieces = [
        piece(1, publish_date="2026-11-21", due="2026-11-20"),
        piece(2, publish_date="2026-11-21", priority=1),
        piece(3, due="2026-11-21"),
        piece(4, publish_date="2026-12-25"),  # outside the range
        piece(5, publish_date="not a date"),  # what an old version may have stored
    ]
    days = cal.entries_between(pieces, WF, date(2026, 11, 16), date(2026, 11, 22))
    assert list(days) == [date(2026, 11, 20), date(2026, 11, 21)]
    assert [(e.kind, e.piece.id) for e in days[date(2026, 11, 21)]] == [
        ("publish", 2), ("publish", 1), ("due", 3)]
    assert [(e.kind, e.piece.id) for e in days[date(2026, 11, 20)]] == [("due", 1)]


def test_derived_stage_dates_only_when_on_and_only_stages_ahead() -> None:
    p = piece(1, stage="review", publish_date="2026-12-20")
    assert [e.kind for e in cal.piece_entries(p, WF)] == ["publish"]
    on = replace(WF, derive_stage_due=True)
    stages = {(e.stage, e.day) for e in cal.piece_entries(p, on) if e.kind == "stage"}
    # review 5 days before, optimize 2 before; scheduled falls on the day itself
    assert stages == {("review", date(2026, 12, 15)), ("optimize", date(2026, 12, 18))}


def test_unscheduled_is_past_the_brief_not_published_and_undated() -> None:
    pieces = [
        piece(1, stage="ideas"), piece(2, stage="brief"), piece(3, stage="draft", rank=2.0),
        piece(4, stage="review"), piece(5, stage="draft", publish_date="2026-12-01"),
        piece(6, stage="published"), piece(7, stage="optimize", archived=True),
        piece(8, stage="draft", rank=1.0),
    ]
    assert [p.id for p in cal.unscheduled(pieces, WF)] == [8, 3, 4]


def test_warnings_past_date_and_too_late() -> None:
    pieces = [
        piece(1, stage="draft", publish_date="2026-11-22"),  # 2 days to go, still in Draft
        piece(2, stage="draft", publish_date="2026-11-23"),  # 3 days: fine
        piece(3, stage="review", publish_date="2026-11-21"),  # in review: can make it
        piece(4, stage="optimize", publish_date="2026-11-18"),  # past, not published
        piece(5, stage="published", publish_date="2026-11-18"),  # past and published: fine
        piece(6, stage="brief", publish_date="2026-11-20"),  # today, still in Brief
    ]
    days = cal.entries_between(pieces, WF, date(2026, 11, 16), date(2026, 11, 29))
    found = cal.warnings_by_day(days, WF, TODAY)
    assert {d: [(w.kind, w.piece_id, w.text) for w in ws] for d, ws in found.items()} == {
        date(2026, 11, 18): [("past_date", 4, "#4 is not published and its date has passed")],
        date(2026, 11, 20): [("too_late", 6, "#6 publishes today but is still in Brief")],
        date(2026, 11, 22): [("too_late", 1, "#1 publishes in 2 days but is still in Draft")],
    }


def test_channel_over_the_maximum_per_day() -> None:
    wf = replace(WF, channel_max_per_day=2)
    pieces = [piece(i, stage="scheduled", publish_date="2026-11-25", channels=ch)
              for i, ch in ((1, ("LinkedIn", "blog")), (2, ("linkedin",)), (3, ("linkedin", "email")),
                            (4, ("email",)))]
    pieces.append(piece(5, stage="scheduled", due="2026-11-25", channels=("linkedin",)))  # a due date
    days = cal.entries_between(pieces, wf, date(2026, 11, 25), date(2026, 11, 25))
    found = cal.day_warnings(date(2026, 11, 25), days[date(2026, 11, 25)], wf, TODAY)
    assert [(w.kind, w.channel, w.text) for w in found] == [
        ("channel_over", "linkedin", "linkedin: 3 publications (max 2 a day)")]
    assert cal.day_warnings(date(2026, 11, 25), days[date(2026, 11, 25)], WF, TODAY) == []


def test_parse_day_refuses_what_is_not_a_date() -> None:
    assert cal.parse_day("2026-02-28") == date(2026, 2, 28)
    assert cal.parse_day("2026-02-30") is None
    assert cal.parse_day("") is None and cal.parse_day(None) is None


def test_derived_stage_dates_fall_in_a_range_before_the_publish_date() -> None:
    on = replace(WF, derive_stage_due=True)
    p = piece(1, stage="ideas", publish_date="2026-12-10")  # outside the range itself
    days = cal.entries_between([p], on, date(2026, 11, 23), date(2026, 11, 29))
    assert {d: [(e.kind, e.stage) for e in es] for d, es in days.items()} == {
        date(2026, 11, 25): [("stage", "ideas")], date(2026, 11, 28): [("stage", "brief")]}


def test_channel_max_per_day_is_a_bounded_whole_number(tmp_path: Any) -> None:
    import pytest

    from prodboard.config.load import load_workflow
    from prodboard.errors import ConfigError

    path = tmp_path / "team.toml"
    path.write_text("[board]\nchannel_max_per_day = 3\n", encoding="utf-8")
    assert load_workflow(path).channel_max_per_day == 3
    for bad, why in (("1001", "must be between 0 and 1000"), ("-1", "must not be negative"),
                     ("nan", "expected a whole number"), ("true", "expected a whole number, not true/false")):
        path.write_text(f"[board]\nchannel_max_per_day = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            load_workflow(path)
        assert f"team.toml:2: board.channel_max_per_day: {why}" in err.value.message, err.value.message

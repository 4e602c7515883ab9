"""Every figure of docs/metrics.md on the crafted history (tests/metrics_history.py),
written through the real commands on a real SQLite file: exact expected numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from metrics_history import NOW, build

from prodboard.domain.health import kpis
from prodboard.domain.metrics import Period, Report, Scope, compute, month_of, rank, weeks_to
from prodboard.domain.replay import Replay
from prodboard.services.context import open_board
from prodboard.services.metrics import Figures
from prodboard.storage.history import measured_events, people_rows, piece_rows

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Figures]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        for name in ("PRODBOARD_CONFIG", "PRODBOARD_USER_CONFIG", "PRODBOARD_NOW"):
            mp.delenv(name, raising=False)
        db, clock = build(tmp_path_factory.mktemp("history"))
        ws = open_board(db, "ana", clock=clock)
        figures = Figures.open(ws)
        yield figures
        ws.close()


@pytest.fixture(scope="module")
def nov(history: Figures) -> Report:
    return history.report(NOVEMBER)


def test_settings_come_from_the_team_file(history: Figures) -> None:
    assert str(history.settings.timezone) == "UTC"
    assert history.settings.targets == {"on_time": 0.9, "cycle_days": 10.0}
    assert history.today() == date(2026, 12, 1)


def test_counts(nov: Report) -> None:
    assert (nov.published, nov.created, nov.archived, nov.rejected) == (3, 7, 1, 1)
    assert nov.imported == 1  # Zeta
    assert nov.in_progress == 2  # Delta in Draft, Zeta in Optimize


def test_velocity(nov: Report) -> None:
    assert nov.velocity_weekly == (("2026-W44", 0), ("2026-W45", 0), ("2026-W46", 1),
                                   ("2026-W47", 2), ("2026-W48", 0), ("2026-W49", 0))
    assert nov.velocity_monthly == (("2026-11", 3),)
    assert nov.per_week == pytest.approx(0.7)  # 3 in 30 days


def test_cycle_and_lead_time(nov: Report) -> None:
    # Alpha 8, Gamma 7, Beta 16 d 3 h (from its creation in Brief)
    assert (nov.cycle.n, nov.cycle.p50, nov.cycle.p85, nov.cycle.max) == (3, 8.0, 16.125, 16.125)
    assert nov.cycle.mean == pytest.approx(10.375)
    assert (nov.lead.n, nov.lead.p50, nov.lead.p85, nov.lead.max) == (3, 9.0, 16.125, 16.125)
    assert [(p.piece, p.day.isoformat(), p.cycle_days) for p in nov.points] == [
        (3, "2026-11-11", 8.0), (7, "2026-11-17", 7.0), (4, "2026-11-18", 16.125)]


def test_time_to_first_draft(nov: Report) -> None:
    assert (nov.first_draft.n, nov.first_draft.p50, nov.first_draft.p85,
            nov.first_draft.max) == (3, 2.0, 4.0, 4.0)


def test_time_in_stage_and_bottleneck(nov: Report) -> None:
    got = {s.stage: (s.pieces, s.total_days) for s in nov.stages}
    assert got == {"brief": (4, 7.0), "draft": (4, 20.625), "review": (3, 8.0),
                   "optimize": (3, 3.0), "scheduled": (3, 2.125)}
    assert nov.bottleneck == "draft"
    draft = next(s for s in nov.stages if s.stage == "draft")
    assert draft.mean_days == pytest.approx(5.15625)
    assert draft.longest == (8, 4, 3, 7)  # Delta is still there at the end of the month


def test_revision_rounds(nov: Report) -> None:
    assert nov.revisions_mean == pytest.approx(4 / 3)
    assert nov.over_limit_share == pytest.approx(1 / 3)
    assert [(f.format, f.pieces, f.mean, f.limit, f.over_limit, f.distribution)
            for f in nov.revisions] == [("blog post", 1, 1.0, 2, 0, {1: 1}),
                                        ("newsletter", 1, 0.0, 2, 0, {0: 1}),
                                        ("video", 1, 3.0, 2, 1, {3: 1})]
    assert nov.over_limit == (4,)
    assert nov.revised == (3, 4)


def test_on_time_uses_the_date_in_force_at_draft(nov: Report) -> None:
    # Beta's due was 11-16 when it entered Draft (moved to 11-20 later): late on 11-18.
    assert (nov.on_time.with_deadline, nov.on_time.on_time, nov.on_time.no_deadline) == (2, 1, 1)
    assert nov.on_time.rate == 0.5
    assert nov.on_time.late == (4,)


def test_date_slips(nov: Report) -> None:
    assert (nov.slips.count, nov.slips.pieces, nov.slips.mean_days, nov.slips.max_days) == (2, 1, 3.0, 4)


def test_review(nov: Report) -> None:
    w = nov.review.wait_hours
    assert (w.n, w.p50, w.p85, w.max) == (7, 24.0, 24.0, 72.0)
    assert (nov.review.open_rounds, nov.review.breaches, nov.review.delegated) == (0, 1, 1)


def test_cost(nov: Report) -> None:
    assert (nov.cost.total, nov.cost.per_piece) == (4200.0, 1400.0)
    assert nov.cost.by_format == {"blog post": 1000.0, "newsletter": 200.0, "video": 3000.0}


def test_utilisation_leaves_out_away_days(nov: Report) -> None:
    chloe, dev = nov.load
    assert (chloe.person, chloe.peak, chloe.peak_day, chloe.days_over, chloe.away_days) == (
        "chloe", 2, date(2026, 11, 10), 1, 3)
    assert chloe.mean == pytest.approx(15 / 27)  # 15 piece-days over the 27 days not away
    assert chloe.peak_pieces == (3, 7)
    assert (dev.person, dev.peak, dev.days_over, dev.away_days) == ("dev", 1, 0, 0)
    assert dev.mean == pytest.approx(26 / 30)
    assert dev.utilisation == pytest.approx(26 / 30)  # limit 1


def test_error_rates(nov: Report) -> None:
    e = nov.errors
    assert (e.overrides, e.rejections, e.change_requests, e.per_piece) == (1, 1, 4, 2.0)
    assert (e.checklist_attempts, e.checklist_first_pass) == (3, 2)


def test_flow(nov: Report) -> None:
    assert nov.days[0] == date(2026, 11, 1) and len(nov.days) == 30
    end = {k: v[-1] for k, v in nov.flow.items()}
    assert end == {"ideas": 0, "brief": 0, "draft": 1, "review": 0, "optimize": 1,
                   "scheduled": 0, "published": 4}
    tenth = {k: v[9] for k, v in nov.flow.items() if v[9]}
    assert tenth == {"brief": 1, "review": 2, "scheduled": 1, "published": 1}
    assert [(w.week, w.arrivals, w.departures, w.throughput) for w in nov.weeks] == [
        ("2026-W44", 1, 0, 0), ("2026-W45", 4, 2, 0), ("2026-W46", 1, 1, 1),
        ("2026-W47", 1, 2, 2), ("2026-W48", 0, 0, 0), ("2026-W49", 0, 0, 0)]


def test_scope_filters(history: Figures) -> None:
    video = history.report(NOVEMBER, Scope(format="video"))
    assert (video.published, video.cycle.p50, video.on_time.late) == (1, 16.125, (4,))
    chloe = history.report(NOVEMBER, Scope(owner="chloe"))
    assert chloe.published == 2 and [x.person for x in chloe.load] == ["chloe"]


def test_kpis_against_the_previous_period_and_targets(history: Figures, nov: Report) -> None:
    october = history.report(OCTOBER)
    assert october.cycle.p50 == 5.0 and october.bottleneck == "scheduled"
    tiles = {k.key: k for k in kpis(nov, october, history.settings.targets)}
    cycle = tiles["cycle_days"]
    assert (cycle.value, cycle.previous, cycle.trend, cycle.improved, cycle.status) == (
        8.0, 5.0, "↑", False, "good")  # worse than October, still within 10 days
    on_time = tiles["on_time"]
    assert (on_time.value, on_time.status, on_time.trend) == (0.5, "bad", "")
    assert tiles["velocity"].improved is True


def test_monthly_health_check(history: Figures) -> None:
    check = history.health(month_of(date(2026, 11, 5)))
    rows = {r.key: r for r in check.rows}
    assert (rows["cycle_days"].value, rows["cycle_days"].last_month,
            rows["cycle_days"].three_month) == (8.0, 5.0, 5.0)
    flags = {f.key: f.pieces for f in check.flags}
    assert flags == {"cycle_days": (3, 7, 4), "on_time": (4,), "revision_rate": (4,),
                     "bottleneck": (8, 4, 3, 7), "overloaded": (3, 7)}


def test_incremental_replay_matches_a_full_one(history: Figures) -> None:
    """Replaying in two parts (as the screen does when events arrive) gives the figures
    a full replay gives."""
    store = history.ws.store
    events = list(measured_events(store))
    rows = piece_rows(store)
    half = len(events) // 2
    early = {pid: row for pid, row in rows.items()
             if any(e.piece_id == pid for e in events[:half])}
    parts = Replay(history.ws.workflow)
    parts.add(events[:half], early, people_rows(store))
    late = {pid: row for pid, row in rows.items() if pid not in early}
    parts.add(events[half:], late, people_rows(store))
    now = datetime(2026, 12, 1, 6, tzinfo=UTC)
    whole = compute(history.replay or parts, NOVEMBER, now, UTC)
    assert compute(parts, NOVEMBER, now, UTC) == whole


def test_nearest_rank_and_periods() -> None:
    assert rank([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert rank([1.0, 2.0, 3.0, 4.0], 0.85) == 4.0
    assert weeks_to(date(2026, 11, 20), 4) == Period(date(2026, 10, 24), date(2026, 11, 20))
    assert NOVEMBER.previous() == OCTOBER
    assert weeks_to(date(2026, 11, 20), 1).previous() == Period(date(2026, 11, 7), date(2026, 11, 13))
    assert NOW.date() == date(2026, 12, 1)

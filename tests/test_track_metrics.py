"""The per-track review figures in ``report`` (issue 13's tracks): each role's wait,
its decisions, the delegate's approvals and what waits now, with exact numbers, on
a real board file through the real commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fakes import FakeClock
from metrics_history import BRIEF

from prodboard.domain.metrics import Period, Spread
from prodboard.domain.report_out import health_json, health_markdown, report_json, report_markdown
from prodboard.services.context import Workspace, open_board
from prodboard.services.metrics import Figures

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
CONFIG = """
[metrics]
timezone = "UTC"

[formats.whitepaper]
reviews = ["editor", "sme", "legal"]
"""
MARCH = Period(date(2030, 3, 1), date(2030, 3, 31))


@pytest.fixture
def board(tmp_path: Path) -> Iterator[tuple[dict[str, Workspace], FakeClock]]:
    (tmp_path / "prodboard.toml").write_text(CONFIG, encoding="utf-8")
    clock = FakeClock(START)
    opened: dict[str, Workspace] = {}

    def ws(who: str) -> Workspace:
        if who not in opened:
            opened[who] = open_board(tmp_path / "board.db", who, create=True, clock=clock)
        return opened[who]

    pia = ws("pia")
    pia.board.set_person("pia", roles=["pm"])
    for handle, role in (("wes", "writer"), ("eve", "editor"), ("sam", "sme"),
                         ("lee", "legal"), ("dan", "writer")):
        pia.board.add_person(handle, handle.title(), [role])
    pia.board.set_person("eve", delegate="dan")
    for who in ("wes", "sam", "lee", "dan", "eve"):
        ws(who)
    yield opened, clock
    for s in opened.values():
        s.close()


def _at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def test_each_track_waits_decides_and_is_delegated(
        board: tuple[dict[str, Workspace], FakeClock]) -> None:
    ws, clock = board
    wes = ws["wes"].board
    a = wes.create("Alpha", stage="draft", owner="wes", format="whitepaper", **BRIEF)
    b = wes.create("Beta", stage="draft", owner="wes", format="whitepaper", **BRIEF)
    steps: list[tuple[float, Callable[[], object]]] = [
        (0, lambda: wes.move(a, "review")),                 # cycle 1 opens every track
        (1, lambda: wes.move(b, "review")),
        (2, lambda: ws["sam"].board.approve(b)),            # sme 1 h
        (3, lambda: ws["sam"].board.approve(a)),            # sme 3 h
        (5, lambda: ws["lee"].board.request_changes(a, "Clause 4")),  # legal 5 h: changes
        (6, lambda: wes.move(a, "review")),                 # cycle 2
        (8, lambda: ws["sam"].board.approve(a)),            # sme 2 h
        (10, lambda: ws["lee"].board.approve(a)),           # legal 4 h
        (55, lambda: ws["dan"].board.approve(a)),           # editor 49 h, eve's delegate
    ]
    for hours, step in steps:
        clock.now = _at(hours)
        step()
    clock.now = _at(60)
    assert ws["pia"].queries.piece(a).stage == "optimize"  # type: ignore[union-attr]
    figures = Figures.open(ws["pia"])
    tracks = {t.role: t for t in figures.report(MARCH).review.tracks}
    assert list(tracks) == ["editor", "legal", "sme"]
    editor, legal, sme = tracks["editor"], tracks["legal"], tracks["sme"]
    assert editor.wait_hours == Spread(1, 49.0, 49.0, 49.0, 49.0)
    assert (editor.approved, editor.changes, editor.delegated, editor.waiting) == (1, 0, 1, 1)
    assert legal.wait_hours == Spread(2, 4.0, 5.0, 5.0, 4.5)
    assert (legal.approved, legal.changes, legal.delegated, legal.waiting) == (1, 1, 0, 1)
    assert sme.wait_hours == Spread(3, 2.0, 3.0, 3.0, 2.0)
    assert (sme.approved, sme.changes, sme.delegated, sme.waiting) == (3, 0, 0, 0)
    # Only the decisions inside the period: the delegate's approval came on 03-06.
    early = {t.role: t for t in figures.report(Period(date(2030, 3, 4), date(2030, 3, 5)))
             .review.tracks}
    assert (early["editor"].wait_hours.n, early["editor"].delegated) == (0, 0)
    assert early["sme"].wait_hours.n == 3
    report, tiles = figures.tiles(MARCH)
    out = report_json(report, tiles)["review"]["tracks"]
    assert out[0] == {"role": "editor", "wait_hours": out[0]["wait_hours"], "approved": 1,
                      "changes": 0, "delegated": 1, "waiting": 1}
    assert out[0]["wait_hours"]["p50"] == 49
    md = report_markdown(report, tiles)
    assert "## Review per track (hours)" in md and "| legal | 2 | 4 | 5 | 5 | 1 | 1 | 0 | 1 |" in md


def test_the_health_check_flags_a_track_whose_wait_rose(
        board: tuple[dict[str, Workspace], FakeClock]) -> None:
    """February: sme waits 2 h, legal 4 h, editor 6 h. March: sme 3 h and 1 h (p85 3:
    up 50 %, flagged with the piece that waited longer than 2 h), legal 4 h (the
    same), editor 6.6 h and 5 h (p85 6.6: up 10 %, not more than 15 %)."""
    ws, clock = board
    wes = ws["wes"].board
    feb = datetime(2030, 2, 4, 9, 0, tzinfo=UTC)
    a = wes.create("Alpha", stage="draft", owner="wes", format="whitepaper", **BRIEF)
    b = wes.create("Beta", stage="draft", owner="wes", format="whitepaper", **BRIEF)
    c = wes.create("Gamma", stage="draft", owner="wes", format="whitepaper", **BRIEF)
    steps: list[tuple[datetime, Callable[[], object]]] = [
        (feb, lambda: wes.move(a, "review")),
        (feb + timedelta(hours=2), lambda: ws["sam"].board.approve(a)),
        (feb + timedelta(hours=4), lambda: ws["lee"].board.approve(a)),
        (feb + timedelta(hours=6), lambda: ws["eve"].board.approve(a)),
        (_at(0), lambda: wes.move(b, "review")),
        (_at(3), lambda: ws["sam"].board.approve(b)),
        (_at(4), lambda: ws["lee"].board.approve(b)),
        (_at(6.6), lambda: ws["eve"].board.approve(b)),
        (_at(24), lambda: wes.move(c, "review")),
        (_at(25), lambda: ws["sam"].board.approve(c)),
        (_at(28), lambda: ws["lee"].board.approve(c)),
        (_at(29), lambda: ws["eve"].board.approve(c)),
    ]
    clock.now = feb - timedelta(days=1)
    for moment, step in steps:
        clock.now = moment
        step()
    clock.now = _at(24 * 30)
    check = Figures.open(ws["pia"]).health(MARCH)
    tracks = {t.role: t for t in check.report.review.tracks}
    assert tracks["sme"].wait_hours == Spread(2, 1.0, 3.0, 3.0, 2.0)
    assert tracks["sme"].waits == ((b, 3.0), (c, 1.0))
    assert [t.wait_hours.p85 for t in check.before[0].review.tracks] == [6.0, 4.0, 2.0]
    flags = [f for f in check.flags if f.key == "review_track"]
    assert [(f.says, f.pieces) for f in flags] == [
        ("sme review wait p85 3 h is up 50% on last month's 2 h", (b,))]
    md = health_markdown(check)
    assert "## Review per track (hours)" in md
    assert "| sme | 2 | 1 | 3 | 2 | 2 | 0 | 0 | 0 |" in md
    assert "| editor | 2 | 5 | 6.6 | 6 | 2 | 0 | 0 | 0 |" in md
    assert "- **review_track**: sme review wait p85 3 h is up 50% on last month's 2 h" in md
    assert health_json(check)["flags"][-1] == {
        "key": "review_track", "says": "sme review wait p85 3 h is up 50% on last month's 2 h",
        "pieces": [b]}

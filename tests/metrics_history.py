"""A crafted history for the figures, written through the real commands on a real board
file with a pinned clock, in time order (event ids grow with time, as in life).

docs/metrics.md works through the same history; tests/test_metrics.py checks every
figure of it. November 2026 (UTC), every step at 09:00 unless said:

- #3 Alpha (blog post, chloe, due 11-12, cost 1000): created in Ideas 11-02, Brief
  11-03, Draft 11-04, Review 11-06, changes requested 11-07, Review 11-08, approved
  11-08 21:00, checklist ticked, Scheduled 11-10, Published 11-11.
- #4 Beta (video, dev, due 11-14, cost 3000): created in Brief 11-02; due moved to
  11-16 on 11-05; Draft 11-06; Review 11-10; changes requested 11-11, 11-14, 11-16
  (back in Review 11-13, 11-15, 11-17); due moved to 11-20 on 11-12; approved 11-17
  21:00; Scheduled by an override of the checklist 11-18; Published 11-18 12:00.
- #7 Gamma (newsletter, chloe, no due date, cost 200, reviewer ben): created in Ideas
  11-09, Brief 11-10, Draft 11-11, Review 11-12, approved by fay (ben's delegate,
  past the 48 h review deadline) 11-15, checklist ticked, Scheduled 11-16, Published 11-17.
- #8 Delta (blog post, dev, due 11-25): created in Ideas 11-20, Brief 11-21, Draft 11-22.
- #5 Epsilon (social post): created in Ideas 11-03, rejected 11-04.
- #2 Zeta (blog post): imported into Review 11-01, approved 11-20.
- #6 Eta (blog post): created in Ideas 11-05, archived 11-06.
- #1 Theta (blog post, dev): October: Brief 10-05, Draft 10-06, Review 10-07,
  approved 10-07 12:00, Scheduled 10-08, Published 10-10.
- chloe is away from 11-24 to 11-27; the person WIP limit is 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prodboard.services.commands import Commands
from prodboard.services.context import Workspace, open_board

CONFIG = """\
[board]
wip_per_person = 1

[metrics]
timezone = "UTC"

[targets]
on_time = 0.9
cycle_days = 10
"""
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
BRIEF: dict[str, Any] = {"audience": "Ops leads", "desired_action": "Book a demo",
         "business_goal": "Pipeline", "success_metrics": "20 demos"}
CHECKLIST = ("brand_voice", "seo", "legal", "channels", "analytics")


class Pinned:
    """A clock the history sets, step by step."""

    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def build(folder: Path) -> tuple[Path, Pinned]:
    """Write the history into ``folder/board.db`` (with its prodboard.toml)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prodboard.toml").write_text(CONFIG, encoding="utf-8")
    db = folder / "board.db"
    clock = Pinned()
    ws = open_board(db, "ana", create=True, clock=clock)
    try:
        _play(ws, clock)
    finally:
        ws.close()
    clock.now = NOW
    return db, clock


def _play(ws: Workspace, clock: Pinned) -> None:
    def as_(who: str) -> Commands:
        return Commands(ws.store, ws.workflow, who, clock)

    ana = as_("ana")
    ana.set_person("ana", roles=["pm", "strategist", "admin"])
    ana.add_person("ben", "Ben", ["editor"])
    ana.add_person("chloe", "Chloé", ["writer"])
    ana.add_person("dev", "Dev", ["writer"])
    ana.add_person("fay", "Fay", ["writer"])
    ana.set_person("ben", delegate="fay")
    ben, chloe, dev, fay = as_("ben"), as_("chloe"), as_("dev"), as_("fay")

    def tick_all(pid: int) -> None:
        for item in CHECKLIST:
            ana.tick(pid, item)

    steps: list[tuple[datetime, Callable[[], Any]]] = [
        # October: #8 Theta
        (at(10, 5), lambda: dev.create("Theta", stage="brief", owner="dev", **BRIEF)),
        (at(10, 6), lambda: dev.move(1, "draft")),
        (at(10, 7), lambda: dev.move(1, "review")),
        (at(10, 7, 12), lambda: ben.approve(1)),
        (at(10, 7, 13), lambda: tick_all(1)),
        (at(10, 8), lambda: dev.move(1, "scheduled")),
        (at(10, 10), lambda: dev.move(1, "published")),
        # November
        (at(11, 1), lambda: ana.create_many([{"title": "Zeta", "stage": "review"}])),
        (at(11, 2), lambda: chloe.create("Alpha", owner="chloe", due="2026-11-12", cost=1000,
                                         **BRIEF)),
        (at(11, 2), lambda: dev.create("Beta", stage="brief", format="video", owner="dev",
                                       due="2026-11-14", cost=3000, **BRIEF)),
        (at(11, 3), lambda: chloe.move(3, "brief")),
        (at(11, 3), lambda: ana.create("Epsilon", format="social post")),
        (at(11, 4), lambda: chloe.move(3, "draft")),
        (at(11, 4), lambda: ana.reject(5, "Off strategy")),
        (at(11, 5), lambda: dev.edit(4, {"due": "2026-11-16"})),
        (at(11, 5), lambda: ana.create("Eta")),
        (at(11, 6), lambda: chloe.move(3, "review")),
        (at(11, 6), lambda: dev.move(4, "draft")),
        (at(11, 6), lambda: ana.archive(6, "Duplicate")),
        (at(11, 7), lambda: ben.request_changes(3, "Sharper intro")),
        (at(11, 8), lambda: chloe.move(3, "review")),
        (at(11, 8, 21), lambda: ben.approve(3)),
        (at(11, 9), lambda: tick_all(3)),
        (at(11, 9), lambda: chloe.create("Gamma", format="newsletter", owner="chloe", cost=200,
                                         reviewers=["ben"], **BRIEF)),
        (at(11, 10), lambda: chloe.move(3, "scheduled")),
        (at(11, 10), lambda: dev.move(4, "review")),
        (at(11, 10), lambda: chloe.move(7, "brief")),
        (at(11, 11), lambda: chloe.move(3, "published")),
        (at(11, 11), lambda: ben.request_changes(4, "Cut the intro")),
        (at(11, 11), lambda: chloe.move(7, "draft")),
        (at(11, 12), lambda: dev.edit(4, {"due": "2026-11-20"})),
        (at(11, 12), lambda: chloe.move(7, "review")),
        (at(11, 13), lambda: dev.move(4, "review")),
        (at(11, 14), lambda: ben.request_changes(4, "Captions")),
        (at(11, 15), lambda: dev.move(4, "review")),
        (at(11, 15), lambda: fay.approve(7)),
        (at(11, 15, 10), lambda: tick_all(7)),
        (at(11, 16), lambda: ben.request_changes(4, "Music licence")),
        (at(11, 16), lambda: chloe.move(7, "scheduled")),
        (at(11, 17), lambda: dev.move(4, "review")),
        (at(11, 17), lambda: chloe.move(7, "published")),
        (at(11, 17, 21), lambda: ben.approve(4)),
        (at(11, 18), lambda: ana.move(4, "scheduled", override="Launch day, checks after")),
        (at(11, 18, 12), lambda: dev.move(4, "published")),
        (at(11, 20), lambda: ben.approve(2)),
        (at(11, 20), lambda: dev.create("Delta", owner="dev", due="2026-11-25", **BRIEF)),
        (at(11, 21), lambda: dev.move(8, "brief")),
        (at(11, 22), lambda: dev.move(8, "draft")),
        (at(11, 24), lambda: ana.set_away("chloe", True, "Leave")),
        (at(11, 27), lambda: ana.set_away("chloe", False)),
    ]
    for moment, step in sorted(steps, key=lambda s: s[0]):  # stable: same-time order kept
        clock.now = moment
        step()

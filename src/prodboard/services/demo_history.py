"""Twelve weeks of the demo team's work, played through the real commands with a fixed
seed and a clock that walks through those weeks, so every event is genuine and the
Metrics screen has something to show at once.

Deterministic: the same day gives the same history. It holds revision rounds, a
delegated approval, a gate override, a date slip, a rejection, an away week and a
piece past its due date.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from prodboard.services.commands import Commands

SEED = 2026
WEEKS = 12
STUCK = 24  # the piece left in Draft past its due date
WRITERS = ("chloe", "hana", "dev", "gus")
FORMATS = ("blog post", "blog post", "newsletter", "video", "social post", "infographic")
TOPICS = ("Onboarding checklist", "Pricing explained", "Customer story", "Release notes",
          "How-to: briefs", "Team spotlight", "Webinar recap", "SEO basics", "Launch teaser",
          "Case study", "Industry report", "Tips for editors")
BRIEF: dict[str, Any] = {"audience": "Content leads", "desired_action": "Subscribe",
         "business_goal": "Newsletter growth", "success_metrics": "300 signups"}


class WalkingClock:
    """The clock the history sets before each step."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class _Step:
    at: datetime
    run: Callable[[], Any]


def play_history(board: Commands, *, seed: int = SEED) -> int:
    """Add the history to a demo board (its team must be there); returns how many
    pieces it created. Everyone's alerts from it are marked read: it is the past."""
    today = board.clock().astimezone(UTC).date()
    start = datetime.combine(today - timedelta(weeks=WEEKS), time(9), tzinfo=UTC)
    clock = WalkingClock(start)
    rng = random.Random(seed)
    people: dict[str, Commands] = {}

    def as_(who: str) -> Commands:
        if who not in people:
            people[who] = Commands(board.store, board.wf, who, clock)
        return people[who]

    ids: dict[int, int] = {}
    steps: list[_Step] = []
    end = datetime.combine(today, time(8), tzinfo=UTC)
    steps.append(_Step(start, lambda: as_("ana").set_person("ben", delegate="eli")))
    for n in range(WEEKS * 3):
        born = start + timedelta(hours=rng.uniform(1, WEEKS * 7 * 24 - 72))
        if n == STUCK:
            born = start + timedelta(weeks=6)
        steps += _piece(n, born, rng, as_, ids, board, end)
    away_from = start + timedelta(weeks=5)
    steps.append(_Step(away_from, lambda: as_("ana").set_away("hana", True, "Holiday")))
    steps.append(_Step(away_from + timedelta(days=7), lambda: as_("ana").set_away("hana", False)))
    for step in sorted(steps, key=lambda s: s.at):
        clock.now = step.at
        step.run()
    last = board.q.last_event_id()
    for person in board.q.people():
        as_(person.handle).mark_read(last)
    return len(ids)


def _piece(n: int, born: datetime, rng: random.Random, as_: Callable[[str], Commands],
           ids: dict[int, int], board: Commands, end: datetime) -> list[_Step]:
    """One piece's steps, from its idea to wherever it had got by ``end``."""
    owner = WRITERS[n % len(WRITERS)]
    fmt = FORMATS[rng.randrange(len(FORMATS))]
    title = f"{TOPICS[n % len(TOPICS)]} #{n + 1}"
    due = (born + timedelta(days=rng.randint(12, 24))).date().isoformat()
    cost = float(rng.choice((150, 300, 600, 900, 1200, 2500)))
    me = as_(owner)
    t = born
    steps = [_Step(t, lambda: ids.__setitem__(n, me.create(
        title, owner=owner, format=fmt, due=due, cost=cost, reviewers=["ben"], **BRIEF)))]

    def then(hours: float, fn: Callable[[], Any]) -> bool:
        nonlocal t
        t = t + timedelta(hours=hours)
        if t >= end:
            return False
        steps.append(_Step(t, fn))
        return True

    if n == 7:  # one idea turned down
        then(30, lambda: as_("ana").reject(ids[n], "Not for this quarter"))
        return steps
    if not then(rng.uniform(4, 40), lambda: me.move(ids[n], "brief")):
        return steps
    if not then(rng.uniform(8, 60), lambda: me.move(ids[n], "draft")):
        return steps
    if n == 11:  # slipping: its due date moves, twice
        then(24, lambda: me.edit(ids[n], {"due": _later(due, 4)}))
        then(48, lambda: me.edit(ids[n], {"due": _later(due, 9)}))
    if n == STUCK:  # stuck in Draft past its due date
        return steps
    if not then(rng.uniform(24, 120), lambda: me.move(ids[n], "review")):
        return steps
    rounds = rng.choice((0, 0, 0, 1, 1, 2)) if n != 5 else 3
    for _ in range(rounds):
        if not then(rng.uniform(6, 40), lambda: as_("ben").request_changes(
                ids[n], "Tighten the intro and check the figures.")):
            return steps
        if not then(rng.uniform(12, 48), lambda: me.move(ids[n], "review")):
            return steps
    if n == 9:  # ben did not answer in time: his delegate approves
        ok = then(50, lambda: as_("eli").approve(ids[n]))
    else:
        ok = then(rng.uniform(3, 40), lambda: as_("ben").approve(ids[n]))
    if not ok:
        return steps
    if n == 13:  # launch day: scheduled by an override, checks after
        if not then(4, lambda: as_("ana").move(ids[n], "scheduled",
                                               override="Launch day: checks after")):
            return steps
    else:
        for item in board.wf.checklist_for(fmt):
            then(rng.uniform(0.5, 4), _ticker(me, ids, n, item))
        if not then(rng.uniform(2, 24), lambda: me.move(ids[n], "scheduled")):
            return steps
    then(rng.uniform(12, 72), lambda: as_("fatima").move(ids[n], "published"))
    return steps


def _ticker(me: Commands, ids: dict[int, int], n: int, item: str) -> Callable[[], Any]:
    return lambda: me.tick(ids[n], item)


def _later(day: str, days: int) -> str:
    return (datetime.fromisoformat(day) + timedelta(days=days)).date().isoformat()

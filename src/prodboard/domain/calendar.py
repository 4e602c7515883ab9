"""The editorial calendar as pure functions: days, weeks, what falls on each day, and
the warnings a day carries. The board's Calendar screen, ``prodboard calendar`` and
the iCalendar feed all read these, so they agree on every date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from prodboard.domain.rules import stage_due_dates
from prodboard.domain.values import PieceView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput

PUBLISH, DUE, STAGE = "publish", "due", "stage"
KINDS = (PUBLISH, DUE, STAGE)
TIGHT_DAYS = 2  # a piece still before review this close to its publish date will not make it
STAGE_LEAD_DAYS = 15  # the earliest derived stage date is this long before the publish date


@dataclass(frozen=True)
class Entry:
    """One piece on one day: its publish date, its due date, or a stage's derived date."""

    day: date
    kind: str  # publish, due or stage
    piece: PieceView
    stage: str = ""  # for a stage entry: the stage whose derived due date this is

    @property
    def order(self) -> tuple[int, int, int]:
        return (KINDS.index(self.kind), self.piece.priority, self.piece.id)


@dataclass(frozen=True)
class DayWarning:
    """Something wrong on a day, for one piece or for a channel."""

    day: date
    kind: str  # channel_over, too_late, past_date
    text: str
    piece_id: int | None = None
    channel: str = ""


# -- days and weeks -------------------------------------------------------------------
def week_start(day: date) -> date:
    """The Monday of ``day``'s week (ISO weeks)."""
    return day - timedelta(days=day.weekday())


def week_days(day: date) -> list[date]:
    """Monday to Sunday of ``day``'s week."""
    start = week_start(day)
    return [start + timedelta(days=i) for i in range(7)]


def month_weeks(day: date) -> list[list[date]]:
    """The weeks (Monday first) that hold a day of ``day``'s month: 4 to 6 rows of 7."""
    first = day.replace(day=1)
    last = add_months(first, 1) - timedelta(days=1)
    weeks: list[list[date]] = []
    start = week_start(first)
    while start <= last:
        weeks.append([start + timedelta(days=i) for i in range(7)])
        start += timedelta(days=7)
    return weeks


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), kept inside shorter months."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for dom in range(day.day, 27, -1):
        try:
            return date(year, month, dom)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def parse_day(value: str | None) -> date | None:
    """A stored YYYY-MM-DD, or None for none or one an older version stored badly."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# -- what falls on each day -------------------------------------------------------------
def piece_entries(piece: PieceView, wf: Workflow) -> list[Entry]:
    """Every dated entry of one piece: publish, due, and (with ``derive_stage_due``) the
    derived due dates of the stages it has still to pass."""
    out: list[Entry] = []
    publish = parse_day(piece.publish_date)
    if publish is not None:
        out.append(Entry(publish, PUBLISH, piece))
    due = parse_day(piece.due)
    if due is not None:
        out.append(Entry(due, DUE, piece))
    if wf.derive_stage_due and publish is not None and not piece.archived:
        try:
            here = wf.index(piece.stage)
        except BadInput:  # a stage the config no longer has: no derived dates
            here = len(wf.stages)
        for key, day in stage_due_dates(publish, wf).items():
            if wf.index(key) >= here and day != publish:
                out.append(Entry(day, STAGE, piece, key))
    return out


def entries_between(
    pieces: Iterable[PieceView], wf: Workflow, start: date, end: date
) -> dict[date, list[Entry]]:
    """Entries from ``start`` to ``end`` (both included), by day, each day in order:
    publications first, then due dates, then derived stage dates; by priority, then id."""
    days: dict[date, list[Entry]] = {}
    # ISO dates compare as text: most pieces of a big board are outside the range, and
    # are passed over without parsing. A stage's date comes before the publish date.
    lo, hi = start.isoformat(), end.isoformat()
    hi_publish = (end + timedelta(days=STAGE_LEAD_DAYS)).isoformat() if wf.derive_stage_due else hi
    for piece in pieces:
        pub, due = piece.publish_date, piece.due
        if not ((pub and lo <= pub <= hi_publish) or (due and lo <= due <= hi)):
            continue
        for entry in piece_entries(piece, wf):
            if start <= entry.day <= end:
                days.setdefault(entry.day, []).append(entry)
    for entries in days.values():
        entries.sort(key=lambda e: e.order)
    return dict(sorted(days.items()))


def planning_index(wf: Workflow) -> int:
    """The index of the brief stage (the one with the brief gate; else the first)."""
    brief = wf.gate_stage("brief")
    return wf.index(brief.key) if brief is not None else 0


def unscheduled(pieces: Iterable[PieceView], wf: Workflow) -> list[PieceView]:
    """Pieces past the brief stage, not yet published, with no publish date: to be placed.
    In board order (stage, then rank)."""
    past = planning_index(wf)
    last = wf.last.key
    out = []
    for p in pieces:
        if p.archived or p.stage == last or parse_day(p.publish_date) is not None:
            continue
        try:
            index = wf.index(p.stage)
        except BadInput:
            continue
        if index > past:
            out.append(p)
    order = {s.key: i for i, s in enumerate(wf.stages)}
    out.sort(key=lambda p: (order.get(p.stage, 99), p.rank, p.id))
    return out


# -- warnings -------------------------------------------------------------------------
def review_index(wf: Workflow) -> int:
    """The index of the stage with the approval gate (else the one before the last)."""
    review = wf.gate_stage("approval")
    return wf.index(review.key) if review is not None else max(0, len(wf.stages) - 2)


def piece_warnings(entry: Entry, wf: Workflow, today: date) -> list[DayWarning]:
    """What is wrong with a publish entry: a past date on a piece not published, or a
    date it cannot make (still before review with TIGHT_DAYS or fewer to go)."""
    if entry.kind != PUBLISH or entry.piece.archived:
        return []
    p = entry.piece
    if p.stage == wf.last.key:
        return []
    left = (entry.day - today).days
    if left < 0:
        return [DayWarning(entry.day, "past_date",
                        f"#{p.id} is not published and its date has passed", p.id)]
    try:
        index = wf.index(p.stage)
    except BadInput:
        return []
    if index < review_index(wf) and left <= TIGHT_DAYS:
        name = wf.stages[index].name
        days = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
        return [DayWarning(entry.day, "too_late",
                        f"#{p.id} publishes {days} but is still in {name}", p.id)]
    return []


def day_warnings(day: date, entries: Iterable[Entry], wf: Workflow, today: date) -> list[DayWarning]:
    """Every warning of one day: channels over ``channel_max_per_day``, then each piece's."""
    publishing = [e for e in entries if e.kind == PUBLISH and not e.piece.archived]
    out: list[DayWarning] = []
    if wf.channel_max_per_day > 0:
        counts: dict[str, int] = {}
        for e in publishing:
            for channel in dict.fromkeys(c.lower() for c in e.piece.channels):
                counts[channel] = counts.get(channel, 0) + 1
        for channel, n in sorted(counts.items()):
            if n > wf.channel_max_per_day:
                out.append(DayWarning(day, "channel_over",
                                   f"{channel}: {n} publications (max {wf.channel_max_per_day} a day)",
                                   channel=channel))
    for e in publishing:
        out.extend(piece_warnings(e, wf, today))
    return out


def warnings_by_day(
    days: dict[date, list[Entry]], wf: Workflow, today: date
) -> dict[date, list[DayWarning]]:
    """The warnings of every day that has any."""
    out: dict[date, list[DayWarning]] = {}
    for day, entries in days.items():
        found = day_warnings(day, entries, wf, today)
        if found:
            out[day] = found
    return out


"""The event history replayed into each piece's and person's timeline.

Pure: the input is events (oldest first), the current piece and person rows and the
workflow; the output is a timeline per piece that the figures (domain/metrics.py)
read. Feeding more events later extends the timelines in place, so a board that
hears of one new event does not replay the whole history again.

A value the creation event does not record (a piece's due date, format, cost…) is
known at any moment from its current value and the edits' before → after: before
the first edit after that moment it held that edit's "before", else its current
value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from prodboard.domain.clock import parse_utc
from prodboard.domain.values import EventView, PersonView
from prodboard.domain.workflow import Workflow

TRACKED = ("due", "publish_date", "owner", "format", "cost")
ZERO = timedelta(0)


class PieceFacts(NamedTuple):
    """What the figures read of a piece's current row."""

    id: int
    title: str
    stage: str
    owner: str | None
    format: str
    due: str | None
    publish_date: str | None
    cost: float
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Roles:
    """Which stage plays which part in the figures (a custom workflow renames them)."""

    first: str  # the backlog (ideas)
    brief: str  # the brief stage: cycle time starts on entering it (or any later one)
    draft: str  # the stage before review: first draft starts here
    review: str | None  # the approval stage
    optimize: str | None  # the checklist stage
    published: str  # the last stage
    order: tuple[str, ...]

    @staticmethod
    def of(wf: Workflow) -> Roles:
        keys = tuple(s.key for s in wf.stages)
        review = wf.gate_stage("approval")
        brief = wf.gate_stage("brief")
        optimize = wf.gate_stage("checklist")
        draft = keys[wf.index(review.key) - 1] if review else keys[min(2, len(keys) - 1)]
        return Roles(keys[0], brief.key if brief else keys[min(1, len(keys) - 1)], draft,
                     review.key if review else None, optimize.key if optimize else None,
                     keys[-1], keys)

    def at_or_after(self, stage: str, mark: str) -> bool:
        return stage in self.order and self.order.index(stage) >= self.order.index(mark)


@dataclass(slots=True)
class Visit:
    """A stay in one stage: from ``start`` until ``end`` (None: still there)."""

    stage: str
    start: datetime
    end: datetime | None = None
    left_to: str | None = None  # where it went next
    how: str = ""  # the kind of the event that ended it
    placed: bool = False  # put there by an import: not an entry, no time measured


@dataclass(slots=True)
class PieceLine:
    """One piece's history."""

    id: int
    title: str
    created: datetime
    imported: bool
    current: dict[str, Any]  # TRACKED fields now, plus channels
    visits: list[Visit] = field(default_factory=list)
    changes: dict[str, list[tuple[datetime, Any, Any]]] = field(default_factory=dict)
    archived: list[list[datetime | None]] = field(default_factory=list)  # [from, until]
    rejections: list[datetime] = field(default_factory=list)
    rounds: list[datetime] = field(default_factory=list)  # each change request
    overrides: list[datetime] = field(default_factory=list)
    delegated: list[datetime] = field(default_factory=list)
    checklist_pass: tuple[datetime, bool] | None = None  # first forward exit from optimize
    # Its life cut where stage, owner or archiving changes: [from, until, stage, owner,
    # archived]; the last one is open (until None). Kept as the events come.
    segments: list[list[Any]] = field(default_factory=list)
    last_at: datetime | None = None  # its latest event
    last_id: int = 0  # and that event's id: a line changes only with a new one

    @property
    def archived_now(self) -> bool:
        return bool(self.archived) and self.archived[-1][1] is None

    def _segment(self, at: datetime, **state: Any) -> None:
        last = self.segments[-1]
        stage, owner, archived = (state.get("stage", last[2]), state.get("owner", last[3]),
                                  state.get("archived", last[4]))
        if last[0] == at:  # nothing lasted in between: change the open one
            last[2:] = [stage, owner, archived]
        else:
            last[1] = at
            self.segments.append([at, None, stage, owner, archived])

    def value_at(self, name: str, moment: datetime) -> Any:
        for at, before, _after in self.changes.get(name, ()):
            if at > moment:
                return before
        return self.current.get(name)

    def first_entry(self, roles: Roles, mark: str) -> datetime | None:
        """When it first entered ``mark`` or any later stage (an import is no entry)."""
        return next((v.start for v in self.visits
                     if not v.placed and roles.at_or_after(v.stage, mark)), None)

    def entered(self, stage: str) -> datetime | None:
        return next((v.start for v in self.visits if v.stage == stage and not v.placed), None)

    def archived_at(self, moment: datetime) -> bool:
        return any(a is not None and a <= moment and (b is None or moment < b)
                   for a, b in self.archived)


@dataclass
class PersonLine:
    handle: str
    away_now: bool
    away_changes: list[tuple[datetime, bool, bool]] = field(default_factory=list)

    def away_at(self, moment: datetime) -> bool:
        for at, before, _after in self.away_changes:
            if at > moment:
                return before
        return self.away_now


class Replay:
    """Timelines of every piece and person, fed events in order (``add``)."""

    def __init__(self, wf: Workflow) -> None:
        self.wf = wf
        self.roles = Roles.of(wf)
        self.pieces: dict[int, PieceLine] = {}
        self.people: dict[str, PersonLine] = {}
        self.cursor = 0  # the last event id replayed
        # The piece of each event replayed here, in order: what changed since a point
        # (the figures kept piece by piece read it; a replay read back starts it empty).
        self.touched: list[int] = []
        self.first_at: datetime | None = None
        self.last_at: datetime | None = None

    def add(self, events: Iterable[EventView], rows: Mapping[int, PieceFacts],
            people: Iterable[PersonView] = ()) -> int:
        """Replay ``events`` (ids after the cursor, oldest first). ``rows`` holds the
        current row of every piece first seen here, ``people`` the team as it is now.
        Returns how many events were applied."""
        for p in people:
            line = self.people.get(p.handle)
            if line is None:
                self.people[p.handle] = PersonLine(p.handle, p.away)
        n = 0
        parse = datetime.fromisoformat
        for ev in events:
            if ev.id <= self.cursor:
                continue
            self.cursor = ev.id
            at = parse(ev.at)  # stored times are UTC with their offset (clock.iso)
            if at.utcoffset() != ZERO:  # none, or another offset
                at = parse_utc(ev.at)
            self.first_at = self.first_at or at
            self.last_at = at
            n += 1
            if ev.kind.startswith("person."):
                self._person(ev, at)
            elif ev.piece_id is not None:
                self._piece(ev, at, rows)
        return n

    # -- people -------------------------------------------------------------------
    def _person(self, ev: EventView, at: datetime) -> None:
        handle = str(ev.data.get("handle", ""))
        if not handle:
            return
        line = self.people.setdefault(handle, PersonLine(handle, False))
        change = ev.changes.get("away")
        if change is not None:
            before, after = bool(change[0]), bool(change[1])
            line.away_changes.append((at, before, after))
            line.away_now = after

    # -- pieces -------------------------------------------------------------------
    def _piece(self, ev: EventView, at: datetime, rows: Mapping[int, PieceFacts]) -> None:
        pid = int(ev.piece_id or 0)
        self.touched.append(pid)
        line = self.pieces.get(pid)
        if ev.kind == "piece.created" or line is None:
            if line is not None:
                return
            row = rows.get(pid)
            if row is None:  # no row to read the fields from: nothing to measure
                return
            current = {name: getattr(row, name) for name in TRACKED}
            current["channels"] = tuple(row.channels)
            created = ev.kind == "piece.created"
            stage = str(ev.data.get("stage", row.stage)) if created else row.stage
            imported = bool(ev.data.get("imported")) or not created
            line = PieceLine(pid, row.title, at, imported, current)
            line.visits.append(Visit(stage, at, placed=imported))
            owner = ev.data.get("owner") if created else row.owner
            line.segments.append([at, None, stage, owner, False])
            line.last_at, line.last_id = at, ev.id
            self.pieces[pid] = line
            if created:
                if ev.data.get("override"):
                    line.overrides.append(at)
                return
        self._apply(line, ev, at)

    def _apply(self, line: PieceLine, ev: EventView, at: datetime) -> None:
        line.last_at, line.last_id = at, ev.id
        changes = ev.changes
        for name in TRACKED:
            if name in changes:
                before, after = changes[name]
                line.changes.setdefault(name, []).append((at, before, after))
                line.current[name] = after
        if "owner" in changes:
            line._segment(at, owner=changes["owner"][1])
        if "channels" in changes:
            line.current["channels"] = tuple(changes["channels"][1] or ())
        if "title" in changes:
            line.title = str(changes["title"][1])
        if "stage" in changes:
            before, after = changes["stage"]
            self._moved(line, str(before), str(after), at, ev)
        if ev.data.get("override"):
            line.overrides.append(at)
        if ev.kind == "piece.changes_requested":
            line.rounds.append(at)
        if ev.kind == "piece.approved" and ev.data.get("delegated"):
            line.delegated.append(at)
        if ev.kind in ("piece.archived", "piece.rejected"):
            line.archived.append([at, None])
            line._segment(at, archived=True)
            if ev.kind == "piece.rejected":
                line.rejections.append(at)
        elif ev.kind == "piece.restored" and line.archived and line.archived[-1][1] is None:
            line.archived[-1][1] = at
            line._segment(at, archived=False)

    def _moved(self, line: PieceLine, before: str, after: str, at: datetime,
               ev: EventView) -> None:
        last = line.visits[-1]
        last.end, last.left_to, last.how = at, after, ev.kind
        line.visits.append(Visit(after, at))
        line._segment(at, stage=after)
        roles = self.roles
        forward = (after in roles.order and before in roles.order
                   and roles.order.index(after) > roles.order.index(before))
        if before == roles.optimize and forward and line.checklist_pass is None:
            overridden = "checklist" in (ev.data.get("overridden") or ())
            line.checklist_pass = (at, not overridden)

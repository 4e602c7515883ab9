"""What one piece adds to a period's figures; domain/metrics.py adds the shares up.

A share is worked out from the piece's timeline (domain/replay.py) and the period.
It stays right while the piece has no new event and the day does not change, as
long as the piece's last event is not after now: every comparison of the piece's
times with now (or with the end of today, which is now) then comes out the same for
any later now. So a board that hears of one event works out one share again
(``Memo``); what grows with the clock (an open stay, an open review round) is left
to the sum, which reads now.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from prodboard.domain.replay import PieceLine, Replay, Roles
from prodboard.domain.workflow import Workflow

DAY = 86400.0


@dataclass(frozen=True)
class Frame:
    """A period as the shares read it."""

    start: datetime  # UTC, the first moment of the period
    end: datetime  # UTC, the first moment after it
    now: datetime
    cap: datetime  # min(end, now): nothing is measured past now
    marks: tuple[datetime, ...]  # the end of each day so far (today: now)
    tz: tzinfo
    roles: Roles
    wf: Workflow

    def within(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def day(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()


@dataclass(slots=True, eq=False)
class Quiet:
    """A piece idle (first or last stage, or archived) since before the period: its
    only share is its place in the cumulative flow (most of a long history's pieces)."""

    id: int
    last_at: datetime | None
    settled: bool
    imported: bool
    stage: str | None  # None: archived


@dataclass(slots=True, eq=False)  # not frozen: made 10,000 times, its __init__ costs
class Share:
    """One piece's part of the figures (docs/metrics.md names each)."""

    id: int
    last_at: datetime | None  # the piece's last event when worked out
    settled: bool  # it was not after now then: the share holds for any later now
    imported: bool
    created: date | None = None  # its day, when created in the period
    archived: int = 0  # archivings in the period (not rejections)
    rejected: int = 0
    in_progress: bool = False
    published: datetime | None = None  # its first entry into the last stage, in the period
    cycle: float | None = None  # with a history only
    lead: float | None = None
    first_draft: float | None = None
    spent: tuple[tuple[str, float], ...] = ()  # seconds in each stage in the period (closed stays)
    open_stay: tuple[str, datetime] | None = None  # an open stay counting until now, from
    format: str = ""
    rounds: int = 0
    over_limit: bool = False
    cost: float = 0.0
    deadline: int = 0  # published with a history: 1 on time, 2 late, 3 no deadline
    slips: tuple[int, ...] = ()  # days each due or publish date moved later in the period
    waits: tuple[float, ...] = ()  # review rounds finished in the period, hours
    breaches: int = 0  # of those, past the review deadline
    open_round: datetime | None = None  # an open review round (not archived), from
    delegated: int = 0
    overrides: int = 0
    requests: int = 0
    checklist: bool | None = None  # first forward exit from optimize in the period: passed?
    departed: tuple[date, ...] = ()  # the days it was archived or rejected in the period
    segments: tuple[tuple[int, int, str, str | None], ...] = ()  # day span, stage, owner (load)
    owners: frozenset[str] = frozenset()  # who held it active at some moment


def share(ln: PieceLine, f: Frame) -> Share | Quiet:
    """``ln``'s share of the figures of ``f``."""
    roles = f.roles
    idle = (roles.first, roles.published)
    settled = ln.last_at is not None and ln.last_at <= f.now
    if (ln.last_at is not None and ln.last_at < f.start
            and (ln.archived_now or ln.visits[-1].stage in idle)):
        _, _, stage, _, archived = ln.segments[-1]
        return Quiet(ln.id, ln.last_at, settled, ln.imported, None if archived else stage)
    within = f.within
    timed = not ln.imported
    published = ln.entered(roles.published)
    if published is not None and not within(published):
        published = None
    cycle = lead = None
    deadline = 0
    fmt = str(ln.current.get("format"))
    if published is not None and timed:
        began = ln.first_entry(roles, roles.brief)
        if began is not None:
            cycle = (published - began).total_seconds() / DAY
        lead = (published - ln.created).total_seconds() / DAY
        deadline = _deadline(ln, roles, f.day(published))
    spent: dict[str, float] = {}
    open_stay = None
    waits: list[float] = []
    breaches = 0
    open_round = None
    first_draft = None
    if timed:
        first_draft = _first_draft(ln, f)
        open_stay = _stays(ln, f, spent)
        sla = f.wf.review_sla_hours
        for v in ln.visits:
            if v.stage != roles.review or v.placed:
                continue
            if v.end is not None and within(v.end):
                hours = (v.end - v.start).total_seconds() / 3600
                waits.append(hours)
                breaches += hours > sla
            elif v.end is None and not ln.archived_at(f.cap):
                open_round = v.start  # counted if it began before now (the sum's)
    archived = 0
    days = []
    for a, _ in ln.archived:
        if a is not None and within(a):
            days.append(f.day(a))
            archived += a not in ln.rejections
    checklist = None
    if ln.checklist_pass is not None and within(ln.checklist_pass[0]):
        checklist = ln.checklist_pass[1]
    segments, owners = _segments(ln, f, idle)
    return Share(
        ln.id, ln.last_at, settled, ln.imported,
        created=f.day(ln.created) if within(ln.created) else None, archived=archived,
        rejected=sum(1 for a in ln.rejections if within(a)),
        in_progress=ln.visits[-1].stage not in idle and not ln.archived_at(f.cap),
        published=published, cycle=cycle, lead=lead, first_draft=first_draft,
        spent=tuple(spent.items()), open_stay=open_stay,
        format=fmt, rounds=len(ln.rounds), over_limit=len(ln.rounds) > f.wf.revision_limit(fmt),
        cost=float(ln.current.get("cost") or 0), deadline=deadline, slips=_slips(ln, f),
        waits=tuple(waits), breaches=breaches, open_round=open_round,
        delegated=sum(1 for at in ln.delegated if within(at)),
        overrides=sum(1 for at in ln.overrides if within(at)),
        requests=sum(1 for at in ln.rounds if within(at)),
        checklist=checklist, departed=tuple(days), segments=segments, owners=owners,
    )


def _deadline(ln: PieceLine, roles: Roles, published: date) -> int:
    committed = ln.first_entry(roles, roles.draft) or ln.created
    deadline = ln.value_at("due", committed) or ln.value_at("publish_date", committed)
    if not deadline:
        return 3
    return 1 if published <= date.fromisoformat(str(deadline)) else 2


def _first_draft(ln: PieceLine, f: Frame) -> float | None:
    draft, review = f.roles.draft, f.roles.review
    began = ln.entered(draft)
    done = next((v.end for v in ln.visits
                 if v.stage == draft and v.left_to == review and v.end), None)
    if began is None or done is None or not f.within(done):
        return None
    return (done - began).total_seconds() / DAY


def _stays(ln: PieceLine, f: Frame, spent: dict[str, float]) -> tuple[str, datetime] | None:
    """Add each closed stay's seconds in the period to ``spent``; the open stay that
    runs until now (not archived), if any, is returned: its length is the sum's."""
    idle = (f.roles.first, f.roles.published)
    open_archive = [a for a, b in ln.archived if a is not None and b is None]
    stop = open_archive[-1] if open_archive else None
    for v in ln.visits:
        if v.stage in idle or v.stage not in f.roles.order:
            continue
        a = max(v.start, f.start)
        end = v.end or stop
        if end is None:  # open, counting until now
            return v.stage, a
        b = min(end, f.cap)
        if b > a:
            spent[v.stage] = spent.get(v.stage, 0.0) + (b - a).total_seconds()
    return None


def _slips(ln: PieceLine, f: Frame) -> tuple[int, ...]:
    moves = []
    for name in ("due", "publish_date"):
        for at, before, after in ln.changes.get(name, ()):
            if before and after and f.within(at) and str(after) > str(before):
                moves.append((date.fromisoformat(str(after)) - date.fromisoformat(str(before))).days)
    return tuple(moves)


def _segments(ln: PieceLine, f: Frame, idle: tuple[str, str]) -> tuple[
        tuple[tuple[int, int, str, str | None], ...], frozenset[str]]:
    """The days whose end each stretch of the piece's life spans, with its stage and
    the owner it counts for (None: no load), archived stretches left out."""
    marks, n = f.marks, len(f.marks)
    out = []
    owners = set()
    for a, b, stage, owner, archived in ln.segments:
        if archived:
            continue
        active = bool(owner) and stage not in idle
        if active:
            owners.add(str(owner))
        lo = bisect_left(marks, a)
        hi = bisect_left(marks, b) if b is not None else n
        if lo < hi:
            out.append((lo, hi, stage, str(owner) if active else None))
    return tuple(out), frozenset(owners)


class Kept:
    """The shares of one period and scope, brought up to date by working out again
    only those of the pieces with events since (and those not settled), with the sums
    that only add up (the cumulative flow, the load per owner) kept alongside."""

    def __init__(self, f: Frame) -> None:
        self.made = 0
        self._empty(f)

    def _empty(self, f: Frame) -> None:
        self.shares: dict[int, Share | Quiet] = {}
        self.active: dict[int, Share] = {}  # not quiet, in no particular order
        self.unsettled: set[int] = set()  # worked out again every time
        self.latest: datetime | None = None  # the latest last event of a settled share
        self.replay: object = None  # the replay they are of, and how far into its changes
        self.position = 0
        self.n = n = len(f.marks)
        self.flow = {k: [0] * (n + 1) for k in f.roles.order}  # stage -> day diffs
        self.load: dict[str, list[int]] = {}  # owner -> day diffs
        self.imported = 0

    def update(self, replay: Replay, f: Frame, admits: Callable[[PieceLine], bool]) -> None:
        if (self.replay is not replay or self.position > len(replay.touched)
                or (self.latest is not None and f.now < self.latest)):
            # Another replay, or now went back before a share's last event: start over.
            self._empty(f)
            self.replay = replay
            ids: Iterable[int] = replay.pieces
        else:
            ids = set(replay.touched[self.position:]) | self.unsettled
        for pid in ids:
            ln = replay.pieces.get(pid)
            self._put(pid, share(ln, f) if ln is not None and admits(ln) else None)
            self.made += ln is not None
        self.position = len(replay.touched)

    def _put(self, pid: int, new: Share | Quiet | None) -> None:
        old = self.shares.pop(pid, None)
        if old is not None:
            self._count(old, -1)
            self.active.pop(pid, None)
            self.unsettled.discard(pid)
        if new is None:
            return
        self.shares[pid] = new
        self._count(new, 1)
        if isinstance(new, Share):
            self.active[pid] = new
        if not new.settled:
            self.unsettled.add(pid)
        elif new.last_at is not None and (self.latest is None or new.last_at > self.latest):
            self.latest = new.last_at

    def _count(self, s: Share | Quiet, sign: int) -> None:
        self.imported += sign * s.imported
        flow, n = self.flow, self.n
        if not n:
            return
        if isinstance(s, Quiet):  # in one stage (or archived) on every day of the period
            if s.stage is not None and s.stage in flow:
                flow[s.stage][0] += sign
                flow[s.stage][n] -= sign
            return
        for lo, hi, stage, owner in s.segments:
            if stage in flow:
                flow[stage][lo] += sign
                flow[stage][hi] -= sign
            if owner is not None:
                diff = self.load.setdefault(owner, [0] * (n + 1))
                diff[lo] += sign
                diff[hi] -= sign


class Memo:
    """The shares of the last few periods and scopes asked for."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.frames: OrderedDict[Hashable, Kept] = OrderedDict()

    @property
    def made(self) -> int:
        """Shares worked out so far (the rest were reused)."""
        return sum(k.made for k in self.frames.values())

    def kept(self, key: Hashable, f: Frame) -> Kept:
        found = self.frames.get(key)
        if found is None:
            found = self.frames[key] = Kept(f)
            while len(self.frames) > self.size:
                self.frames.popitem(last=False)
        else:
            self.frames.move_to_end(key)
        return found

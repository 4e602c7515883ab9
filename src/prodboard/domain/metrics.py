"""The team's figures for a period, read off the replayed history (domain/replay.py).

Every definition is written out, with a worked example, in docs/metrics.md. Pure:
no SQL, no I/O; the output is frozen values. Durations are in days (review waits in
hours); days, weeks and months are the team's time zone's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from prodboard.domain.piece_figures import DAY, Frame, Kept, Memo
from prodboard.domain.replay import PieceLine, Replay


@dataclass(frozen=True)
class Period:
    """From ``since`` to ``until``, both days included."""

    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """The period of the same length just before (the month before, for a month)."""
        if self.since.day == 1 and self.until == _month_end(self.since):
            start = _add_months(self.since, -1)
            return Period(start, _month_end(start))
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def label(self) -> str:
        return f"{self.since.isoformat()} – {self.until.isoformat()}"


def weeks_to(today: date, weeks: int) -> Period:
    """The ``weeks`` whole weeks (7-day spans) that end with ``today``."""
    return Period(today - timedelta(days=7 * weeks - 1), today)


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    return Period(start, _month_end(start))


def _add_months(day: date, n: int) -> date:
    month = day.year * 12 + day.month - 1 + n
    return date(month // 12, month % 12 + 1, 1)


def _month_end(first: date) -> date:
    return _add_months(first, 1) - timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """Which pieces count: by their current format, channel and owner (None: all)."""

    format: str | None = None
    channel: str | None = None
    owner: str | None = None

    def admits(self, line: PieceLine) -> bool:
        cur = line.current
        return ((self.format is None or cur.get("format") == self.format)
                and (self.channel is None or self.channel in cur.get("channels", ()))
                and (self.owner is None or cur.get("owner") == self.owner))

    def describe(self) -> str:
        parts = [f"{k}:{v}" for k, v in asdict(self).items() if v]
        return " ".join(parts) or "everything"


EVERYTHING = Scope()


@dataclass(frozen=True)
class Spread:
    """A distribution: count, the nearest-rank p50 and p85, the max and the mean."""

    n: int = 0
    p50: float | None = None
    p85: float | None = None
    max: float | None = None
    mean: float | None = None

    @staticmethod
    def of(values: Iterable[float]) -> Spread:
        xs = sorted(values)
        if not xs:
            return Spread()
        return Spread(len(xs), rank(xs, 0.5), rank(xs, 0.85), xs[-1], sum(xs) / len(xs))


def rank(sorted_xs: Sequence[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least p of them at or below."""
    return sorted_xs[max(0, math.ceil(p * len(sorted_xs)) - 1)]


@dataclass(frozen=True)
class StageTime:
    stage: str
    pieces: int  # pieces that spent time in the stage during the period
    total_days: float
    mean_days: float
    longest: tuple[int, ...] = ()  # those pieces, longest stay first


@dataclass(frozen=True)
class FormatRevisions:
    format: str
    pieces: int
    mean: float
    limit: int
    over_limit: int
    distribution: dict[int, int]  # rounds -> pieces


@dataclass(frozen=True)
class OnTime:
    with_deadline: int = 0
    on_time: int = 0
    no_deadline: int = 0
    rate: float | None = None
    late: tuple[int, ...] = ()


@dataclass(frozen=True)
class Slips:
    count: int = 0  # due or publish dates moved later
    pieces: int = 0
    mean_days: float | None = None
    max_days: int | None = None


@dataclass(frozen=True)
class TrackReview:
    """One review track's figures (domain/track_metrics.py)."""

    role: str
    wait_hours: Spread = Spread()  # tracks decided in the period: opened → decided
    approved: int = 0  # decisions in the period
    changes: int = 0
    delegated: int = 0  # approvals in the period by the reviewer's delegate
    waiting: int = 0  # waiting on their reviewer now (current cycle, piece in review)
    waits: tuple[tuple[int, float], ...] = ()  # (piece, hours) of each wait, longest first


@dataclass(frozen=True)
class Review:
    wait_hours: Spread = Spread()  # finished rounds
    open_rounds: int = 0
    breaches: int = 0  # rounds (finished or open) past the review deadline
    delegated: int = 0
    sla_hours: float = 0.0
    tracks: tuple[TrackReview, ...] = ()  # per role, from the stored review tracks


@dataclass(frozen=True)
class Cost:
    total: float = 0.0
    per_piece: float | None = None
    by_format: dict[str, float] = field(default_factory=dict)  # format -> cost per piece


@dataclass(frozen=True)
class Load:
    person: str
    mean: float  # active pieces owned, over the days they were not away
    peak: int
    peak_day: date | None
    limit: int  # the person WIP limit (0: none)
    days_over: int
    away_days: int
    utilisation: float | None  # mean / limit
    peak_pieces: tuple[int, ...] = ()  # what they held on the peak day, when over the limit


@dataclass(frozen=True)
class Errors:
    overrides: int = 0
    rejections: int = 0
    change_requests: int = 0
    per_piece: float | None = None  # all three per published piece
    checklist_attempts: int = 0
    checklist_first_pass: int = 0
    first_pass_rate: float | None = None


@dataclass(frozen=True)
class Week:
    week: str  # ISO week, 2026-W47
    arrivals: int
    departures: int
    throughput: int


@dataclass(frozen=True)
class Point:
    """One published piece on the control chart."""

    piece: int
    day: date
    cycle_days: float


@dataclass(frozen=True)
class Report:
    period: Period
    scope: Scope
    timezone: str
    published: int
    created: int
    archived: int
    rejected: int
    imported: int  # in scope, placed by an import: left out of every duration
    in_progress: int
    velocity_weekly: tuple[tuple[str, int], ...]
    velocity_monthly: tuple[tuple[str, int], ...]
    per_week: float
    cycle: Spread
    lead: Spread
    first_draft: Spread
    stages: tuple[StageTime, ...]
    bottleneck: str | None
    revisions_mean: float | None
    revisions: tuple[FormatRevisions, ...]
    over_limit_share: float | None
    over_limit: tuple[int, ...]  # published pieces past their format's revision limit
    revised: tuple[int, ...]  # published pieces with at least one revision round
    on_time: OnTime
    slips: Slips
    review: Review
    cost: Cost
    load: tuple[Load, ...]
    errors: Errors
    days: tuple[date, ...]
    flow: dict[str, tuple[int, ...]]  # stage -> pieces in it at the end of each day
    weeks: tuple[Week, ...]
    points: tuple[Point, ...]
    lines: dict[int, str] = field(default_factory=dict, compare=False)  # id -> title


def compute(replay: Replay, period: Period, now: datetime, tz: tzinfo,
            scope: Scope = EVERYTHING, memo: Memo | None = None) -> Report:
    """The figures of ``period`` for the pieces in ``scope``, as of ``now``. With a
    ``memo``, each piece's share is worked out again only if it may have changed
    (domain/piece_figures.py); the figures are the same either way."""
    return _Sum(replay, period, now, tz, scope, memo).report()


def frame(replay: Replay, period: Period, now: datetime, tz: tzinfo) -> Frame:
    """``period`` as the shares read it: its bounds in UTC, now, and the end of each
    day so far (today's: now)."""
    start = _at(period.since, tz)
    end = _at(period.until + timedelta(days=1), tz)
    now = now.astimezone(UTC)
    marks: list[datetime] = []
    d = period.since
    while d <= period.until:
        mark = min(_at(d + timedelta(days=1), tz), now)
        if mark < _at(d, tz):
            break  # a day still to come
        marks.append(mark)
        d += timedelta(days=1)
    return Frame(start, end, now, min(end, now), tuple(marks), tz, replay.roles, replay.wf)


class _Sum:
    """The pieces' shares (worked out or reused), added up into the report."""

    def __init__(self, replay: Replay, period: Period, now: datetime, tz: tzinfo,
                 scope: Scope, memo: Memo | None) -> None:
        self.r, self.roles, self.wf = replay, replay.roles, replay.wf
        self.period, self.tz, self.scope = period, tz, scope
        self.f = f = frame(replay, period, now, tz)
        # The shares hold while the day count and the pieces stay the same (a new day
        # adds a mark, and the day's end then moves from now to midnight).
        kept = (memo.kept((period, str(tz), len(f.marks), scope), f) if memo is not None
                else Kept(f))
        kept.update(replay, f, scope.admits)
        self.kept = kept
        self.active = list(kept.active.values())
        self.published = [s for s in self.active if s.published is not None]

    def day(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def report(self) -> Report:
        pub = self.published
        cycles = [s for s in pub if s.cycle is not None]
        rev_mean, revisions, over_share = self.revisions()
        days, flow, loads = self.samples()
        stages, bottleneck = self.stage_times()
        weekly, monthly, per_week = self.velocity()
        return Report(
            period=self.period, scope=self.scope, timezone=str(self.tz),
            published=len(pub),
            created=sum(1 for s in self.active if s.created is not None),
            archived=sum(s.archived for s in self.active),
            rejected=sum(s.rejected for s in self.active),
            imported=self.kept.imported,
            in_progress=sum(1 for s in self.active if s.in_progress),
            velocity_weekly=weekly, velocity_monthly=monthly, per_week=per_week,
            cycle=Spread.of(s.cycle for s in cycles if s.cycle is not None),
            lead=Spread.of(s.lead for s in pub if s.lead is not None),
            first_draft=Spread.of(s.first_draft for s in self.active if s.first_draft is not None),
            stages=stages, bottleneck=bottleneck,
            revisions_mean=rev_mean, revisions=revisions, over_limit_share=over_share,
            over_limit=tuple(sorted(s.id for s in pub if s.over_limit)),
            revised=tuple(sorted(s.id for s in pub if s.rounds)),
            on_time=self.on_time(), slips=self.slips(), review=self.review(),
            cost=self.cost(), load=loads, errors=self.errors(),
            days=days, flow=flow, weeks=self.weeks(),
            points=tuple(sorted((Point(s.id, self.day(s.published), s.cycle)
                                 for s in cycles if s.published and s.cycle is not None),
                                key=lambda p: (p.day, p.piece))),
            lines={s.id: self.r.pieces[s.id].title for s in self.active},
        )

    # -- counts --------------------------------------------------------------------
    def velocity(self) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], float]:
        weeks: dict[str, int] = {}
        months: dict[str, int] = {}
        d = self.period.since
        while d <= self.period.until:
            weeks.setdefault(_iso_week(d), 0)
            months.setdefault(d.strftime("%Y-%m"), 0)
            d += timedelta(days=1)
        for s in self.published:
            assert s.published is not None
            day = self.day(s.published)
            weeks[_iso_week(day)] += 1
            months[day.strftime("%Y-%m")] += 1
        per_week = len(self.published) * 7 / self.period.days
        return tuple(weeks.items()), tuple(months.items()), per_week

    # -- durations -----------------------------------------------------------------
    def stage_times(self) -> tuple[tuple[StageTime, ...], str | None]:
        idle = (self.roles.first, self.roles.published)
        stays: dict[str, list[tuple[float, int]]] = {
            k: [] for k in self.roles.order if k not in idle}
        cap = self.f.cap
        for s in self.active:
            if s.open_stay is None:
                spent = s.spent
            else:  # the open stay adds its time until now
                stage, began = s.open_stay
                more = dict(s.spent)
                if cap > began:
                    more[stage] = more.get(stage, 0.0) + (cap - began).total_seconds()
                spent = tuple(more.items())
            for stage, secs in spent:
                stays[stage].append((-secs, s.id))
        out = []
        for k, these in stays.items():
            these.sort()
            # fsum: exact, so the same in any order (the shares come in no set order).
            total = math.fsum(-secs for secs, _ in these) / DAY
            out.append(StageTime(k, len(these), total, total / len(these) if these else 0.0,
                                 tuple(pid for _, pid in these)))
        busy = [s for s in out if s.pieces]
        bottleneck = max(busy, key=lambda s: s.mean_days).stage if busy else None
        return tuple(out), bottleneck

    def revisions(self) -> tuple[float | None, tuple[FormatRevisions, ...], float | None]:
        by: dict[str, list[int]] = {}
        for s in self.published:
            by.setdefault(s.format, []).append(s.rounds)
        out = []
        over_total = 0
        for fmt in sorted(by):
            rounds = by[fmt]
            limit = self.wf.revision_limit(fmt)
            over = sum(1 for n in rounds if n > limit)
            over_total += over
            dist: dict[int, int] = {}
            for n in sorted(rounds):
                dist[n] = dist.get(n, 0) + 1
            out.append(FormatRevisions(fmt, len(rounds), sum(rounds) / len(rounds), limit, over,
                                       dist))
        n = len(self.published)
        mean = sum(s.rounds for s in self.published) / n if n else None
        return mean, tuple(out), over_total / n if n else None

    def on_time(self) -> OnTime:
        counted = [s for s in self.published if s.deadline]
        late = tuple(sorted(s.id for s in counted if s.deadline == 2))
        none = sum(1 for s in counted if s.deadline == 3)
        with_deadline = len(counted) - none
        on_time = with_deadline - len(late)
        rate = on_time / with_deadline if with_deadline else None
        return OnTime(with_deadline, on_time, none, rate, late)

    def slips(self) -> Slips:
        moves = [m for s in self.active for m in s.slips]
        if not moves:
            return Slips()
        pieces = sum(1 for s in self.active if s.slips)
        return Slips(len(moves), pieces, sum(moves) / len(moves), max(moves))

    def review(self) -> Review:
        sla = self.wf.review_sla_hours
        if self.roles.review is None:
            return Review(sla_hours=sla)
        cap = self.f.cap
        waits = [w for s in self.active for w in s.waits]
        breaches = sum(s.breaches for s in self.active)
        opened = [s.open_round for s in self.active
                  if s.open_round is not None and s.open_round < cap]
        breaches += sum(1 for at in opened if (cap - at).total_seconds() / 3600 > sla)
        delegated = sum(s.delegated for s in self.active)
        return Review(Spread.of(waits), len(opened), breaches, delegated, sla)

    def cost(self) -> Cost:
        if not self.published:
            return Cost()
        total = math.fsum(s.cost for s in self.published)
        by: dict[str, list[float]] = {}
        for s in self.published:
            by.setdefault(s.format, []).append(s.cost)
        return Cost(total, total / len(self.published),
                    {fmt: math.fsum(v) / len(v) for fmt, v in sorted(by.items())})

    def errors(self) -> Errors:
        overrides = sum(s.overrides for s in self.active)
        rejections = sum(s.rejected for s in self.active)
        requests = sum(s.requests for s in self.active)
        n = len(self.published)
        tries = [s.checklist for s in self.active if s.checklist is not None]
        passed = sum(1 for t in tries if t)
        return Errors(overrides, rejections, requests,
                      (overrides + rejections + requests) / n if n else None,
                      len(tries), passed, passed / len(tries) if tries else None)

    def weeks(self) -> tuple[Week, ...]:
        rows: dict[str, list[int]] = {}
        d = self.period.since
        while d <= self.period.until:
            rows.setdefault(_iso_week(d), [0, 0, 0])
            d += timedelta(days=1)
        for s in self.active:
            if s.created is not None:
                rows[_iso_week(s.created)][0] += 1
            for day in s.departed:
                rows[_iso_week(day)][1] += 1
        for s in self.published:
            assert s.published is not None
            week = _iso_week(self.day(s.published))
            rows[week][1] += 1
            rows[week][2] += 1
        return tuple(Week(w, *v) for w, v in rows.items())

    # -- day by day: cumulative flow and load ----------------------------------------
    def samples(self) -> tuple[tuple[date, ...], dict[str, tuple[int, ...]], tuple[Load, ...]]:
        """Pieces per stage and active pieces per owner at the end of each day (today:
        now): each stretch of a piece's life counts on the days whose end it spans
        (the shares keep the day by day differences)."""
        marks = list(self.f.marks)
        n = len(marks)
        days = [self.period.since + timedelta(days=i) for i in range(n)]
        series = {k: tuple(_running(v)[:n]) for k, v in self.kept.flow.items()}
        load = {who: diff for who, diff in self.kept.load.items() if any(diff)}
        return tuple(days), series, self.loads(days, marks, load)

    def loads(self, days: list[date], marks: list[datetime],
              diffs: dict[str, list[int]]) -> tuple[Load, ...]:
        limit = self.wf.wip_per_person
        out = []
        people = sorted(set(diffs) | ({self.scope.owner} if self.scope.owner else set()))
        for handle in people:
            counts = _running(diffs.get(handle, [0] * (len(marks) + 1)))[: len(marks)]
            person = self.r.people.get(handle)
            present = [(d, c) for d, m, c in zip(days, marks, counts, strict=True)
                       if person is None or not person.away_at(m)]
            away = len(marks) - len(present)
            mean = sum(c for _, c in present) / len(present) if present else 0.0
            peak_day, peak = max(present, key=lambda x: (x[1], x[0]), default=(None, 0))
            over = sum(1 for _, c in present if limit and c > limit)
            held = self.held(handle, marks[days.index(peak_day)]) if over and peak_day else ()
            out.append(Load(handle, mean, peak, peak_day, limit, over, away,
                            mean / limit if limit else None, held))
        return tuple(out)

    def held(self, handle: str, mark: datetime) -> tuple[int, ...]:
        """The active pieces ``handle`` owned at ``mark``."""
        idle = (self.roles.first, self.roles.published)
        return tuple(sorted(
            s.id for s in self.active if handle in s.owners
            for a, b, stage, owner, archived in self.r.pieces[s.id].segments
            if owner == handle and stage not in idle and not archived
            and a <= mark and (b is None or mark < b)))


def _running(diff: list[int]) -> list[int]:
    out, total = [], 0
    for x in diff:
        total += x
        out.append(total)
    return out


def _at(day: date, tz: tzinfo) -> datetime:
    """The start of ``day`` in ``tz``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"

"""Review tracks as pure functions: states, routing, decisions, resets, escalation.

A format may name the roles whose sign-off it needs (``reviews = ["editor", "legal"]``).
Each time a piece enters the approval stage it starts a new *cycle*: one track per
role, each routed to a reviewer. Tracks run in parallel, or one after another when
the format is sequential. The piece leaves review once every track approved; one
request for changes ends the cycle (the piece goes back for a revision round).

Nothing here reads the database: ``services/reviews.py`` stores what these decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from prodboard.domain.values import PersonView, PieceView
from prodboard.domain.workflow import Workflow

WAITING, APPROVED, CHANGES = "waiting", "approved", "changes"
MARKS = {WAITING: "", APPROVED: "✓", CHANGES: "✗"}


@dataclass(frozen=True)
class TrackView:
    """One role's sign-off on one piece in one review cycle."""

    piece_id: int
    cycle: int
    role: str
    position: int
    reviewer: str | None = None
    state: str = WAITING
    opened_at: str | None = None  # when it began to wait on its reviewer (its turn came)
    decided_by: str | None = None
    decided_at: str | None = None
    delegated: bool = False  # decided by the reviewer's delegate, after the deadline
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- routing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """Who gets a track, and why: ``named`` (a reviewer named on the piece), ``previous``
    (the reviewer of the last cycle), ``least_load`` (fewest open reviews), ``delegate``
    (for ``instead_of``, who is away), or ``none`` (nobody available)."""

    role: str
    reviewer: str | None
    via: str
    instead_of: str | None = None


def _available(p: PersonView | None, role: str | None, exclude: set[str]) -> bool:
    return (p is not None and not p.away and p.handle not in exclude
            and (role is None or role in p.roles))


def _delegate_of(p: PersonView, people: Mapping[str, PersonView], exclude: set[str]) -> str | None:
    d = people.get(p.delegate) if p.delegate else None
    return d.handle if d is not None and _available(d, None, exclude) else None


def route(
    role: str,
    people: Mapping[str, PersonView],
    load: Mapping[str, int],
    *,
    named: Sequence[str] = (),
    previous: str | None = None,
    exclude: Iterable[str] = (),
    busy: Iterable[str] = (),
) -> Route:
    """The reviewer for ``role``: a named reviewer holding the role (their delegate when
    they are away), else last cycle's reviewer, else the holder of the role with the
    fewest open reviews who is not away, else the delegate of the least loaded one who
    is. ``exclude`` (the piece's owner) never reviews; ``busy`` (already reviewing
    another track of this piece) is taken only when nobody else is free."""
    out = set(exclude)
    for handle in named:
        p = people.get(handle)
        if p is None or role not in p.roles or handle in out:
            continue
        if not p.away:
            return Route(role, handle, "named")
        delegate = _delegate_of(p, people, out)
        if delegate:
            return Route(role, delegate, "delegate", handle)
    if previous and _available(people.get(previous), role, out):
        return Route(role, previous, "previous")
    taken = set(busy)
    holders = sorted((p for p in people.values() if role in p.roles and p.handle not in out),
                     key=lambda p: (p.handle in taken, load.get(p.handle, 0), p.handle))
    for p in holders:
        if not p.away:
            return Route(role, p.handle, "least_load")
    for p in holders:
        delegate = _delegate_of(p, people, out)
        if delegate:
            return Route(role, delegate, "delegate", p.handle)
    return Route(role, None, "none")


def route_owner(role: str, people: Mapping[str, PersonView], load: Mapping[str, int],
                current: str | None) -> Route:
    """The owner a piece gets on entering a stage that assigns ``role``: the current
    owner when they hold it and are here, else routed like a review track."""
    if current and _available(people.get(current), role, set()):
        return Route(role, current, "current")
    return route(role, people, load)


# -- a cycle -------------------------------------------------------------------------------
def open_tracks(tracks: Sequence[TrackView], sequential: bool) -> list[TrackView]:
    """The tracks waiting for a decision now: every waiting one, or when sequential
    the first waiting one (those before it approved)."""
    ordered = sorted(tracks, key=lambda t: t.position)
    if any(t.state == CHANGES for t in ordered):
        return []
    waiting = [t for t in ordered if t.state == WAITING]
    return waiting[:1] if sequential else waiting


def outcome(tracks: Sequence[TrackView]) -> str:
    """``approved`` (every track), ``changes`` (one asked), or ``pending``."""
    if any(t.state == CHANGES for t in tracks):
        return CHANGES
    if tracks and all(t.state == APPROVED for t in tracks):
        return APPROVED
    return "pending"


def new_cycle(
    piece_id: int, cycle: int, roles: Sequence[str], at: str, *, sequential: bool,
    previous: Sequence[TrackView] = (), reset: str = "all",
) -> list[TrackView]:
    """The tracks of a piece entering review. ``reset`` "all" starts every track
    afresh; "keep_approved" keeps the approvals of last cycle's tracks that asked for
    nothing. Reviewers are not chosen here (see ``route``)."""
    before = {t.role: t for t in previous}
    out: list[TrackView] = []
    for pos, role in enumerate(roles):
        old = before.get(role)
        if reset == "keep_approved" and old is not None and old.state == APPROVED:
            out.append(replace(old, piece_id=piece_id, cycle=cycle, position=pos))
        else:
            out.append(TrackView(piece_id, cycle, role, pos))
    return opened(out, at, sequential)


def opened(tracks: Sequence[TrackView], at: str, sequential: bool) -> list[TrackView]:
    """``tracks`` with ``opened_at`` set on each one whose turn has come."""
    now_open = {t.role for t in open_tracks(tracks, sequential)}
    return [replace(t, opened_at=at) if t.role in now_open and t.opened_at is None else t
            for t in tracks]


@dataclass(frozen=True)
class Decision:
    tracks: tuple[TrackView, ...]
    outcome: str  # approved, changes, pending
    opened: tuple[str, ...]  # roles whose turn came with this decision (sequential)


def decide(
    tracks: Sequence[TrackView], role: str, approve: bool, by: str, at: str, *,
    sequential: bool, delegated: bool = False, note: str = "",
) -> Decision:
    """The cycle after ``by`` approved (or asked for changes on) the ``role`` track."""
    was_open = {t.role for t in open_tracks(tracks, sequential)}
    state = APPROVED if approve else CHANGES
    changed = [replace(t, state=state, decided_by=by, decided_at=at, delegated=delegated,
                       note=note) if t.role == role else t for t in tracks]
    after = opened(changed, at, sequential)
    now_open = {t.role for t in open_tracks(after, sequential)}
    return Decision(tuple(after), outcome(after), tuple(sorted(now_open - was_open)))


# -- who decides -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pick:
    """The track a person acts on, or why they cannot (``refusal``)."""

    track: TrackView | None
    delegated: bool = False
    refusal: str = ""
    bad_input: bool = False


def overdue(track: TrackView, sla_hours: float, now: datetime, times: float = 1.0) -> bool:
    """The track has waited on its reviewer longer than ``times`` the deadline."""
    waited = waited_for(track, now)
    return waited is not None and waited > timedelta(hours=sla_hours * times)


def _utc(value: str | datetime) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def waited_for(track: TrackView, now: datetime) -> timedelta | None:
    """How long an open track has waited (None before its turn or once decided)."""
    if track.opened_at is None or track.state != WAITING:
        return None
    return _utc(now) - _utc(track.opened_at)


def time_left(track: TrackView, sla_hours: float, now: datetime) -> timedelta | None:
    waited = waited_for(track, now)
    return None if waited is None else timedelta(hours=sla_hours) - waited


def may_decide(track: TrackView, me: PersonView | None, delegators: set[str],
               sla_hours: float, now: datetime) -> tuple[bool, bool]:
    """(may decide, as a delegate): the track's reviewer; anyone holding the role
    while nobody is assigned; the reviewer's delegate once the deadline passed."""
    if me is None:
        return False, False
    if track.reviewer == me.handle:
        return True, False
    if track.reviewer is None and track.role in me.roles:
        return True, False
    if track.reviewer in delegators and overdue(track, sla_hours, now):
        return True, True
    return False, False


def pick_track(
    piece: PieceView, tracks: Sequence[TrackView], wf: Workflow, me: PersonView | None,
    delegators: set[str], now: datetime, wanted: str | None = None,
) -> Pick:
    """The track ``me`` decides on ``piece``: ``wanted`` (a role), or the open track
    that waits on them (their own first, then one they may take as a delegate)."""
    review = wf.gate_stage("approval")
    if review is None or piece.stage != review.key:
        where = review.name if review else "review"
        return Pick(None, refusal=f"piece #{piece.id} is not in {where}")
    if me is not None and piece.owner == me.handle:
        return Pick(None, refusal=f"#{piece.id} is your own piece: someone else must review it")
    seq = wf.sequential(piece.format)
    sla = wf.review_sla_hours
    if wanted is not None:
        role = wanted.strip().lower().lstrip("@")
        track = next((t for t in tracks if t.role == role), None)
        if track is None:
            names = ", ".join(t.role for t in tracks)
            return Pick(None, refusal=f"#{piece.id} has no {role!r} track (tracks: {names})",
                        bad_input=True)
        if track.state != WAITING:
            return Pick(None, refusal=f"the {role} track of #{piece.id} is already "
                        f"{'approved' if track.state == APPROVED else 'sent back'}")
        if track not in open_tracks(tracks, seq):
            first = open_tracks(tracks, seq)
            before = f" the {first[0].role} track" if first else " another track"
            return Pick(None, refusal=f"the {role} track of #{piece.id} waits for{before} first")
        allowed, delegated = may_decide(track, me, delegators, sla, now)
        if not allowed:
            return Pick(None, refusal=_not_yours(piece, track, sla))
        return Pick(track, delegated)
    candidates = open_tracks(tracks, seq)
    found = [(t, *may_decide(t, me, delegators, sla, now)) for t in candidates]
    for track, allowed, delegated in sorted(found, key=lambda f: f[2]):  # own before delegated
        if allowed:
            return Pick(track, delegated)
    listing = ", ".join(f"{t.role}: {t.reviewer or 'nobody'}" for t in candidates) or "none open"
    return Pick(None, refusal=f"no track of #{piece.id} waits on you (open tracks: {listing})")


def _not_yours(piece: PieceView, track: TrackView, sla: float) -> str:
    who = track.reviewer or "nobody"
    return (f"not your track: the {track.role} track of #{piece.id} is {who}'s (their "
            f"delegate may decide once the {sla:g} h review deadline has passed)")


# -- escalation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Escalation:
    """One step of a track's ladder that is due: 1 past the deadline (the reviewer and
    their delegate hear it; the delegate may now decide), 2 past twice the deadline
    (the project managers hear it). ``key`` makes it happen once."""

    step: int
    kind: str
    key: str
    track: TrackView
    waited_hours: float


ESCALATION_KINDS = ("alert.review_track_overdue", "alert.review_track_escalated")


def escalations(track: TrackView, sla_hours: float, now: datetime) -> list[Escalation]:
    waited = waited_for(track, now)
    if waited is None:
        return []
    hours = round(waited.total_seconds() / 3600, 1)
    out = []
    for step, kind in enumerate(ESCALATION_KINDS, 1):
        if overdue(track, sla_hours, now, times=step):
            key = f"review_track:{track.piece_id}:{track.cycle}:{track.role}:{step}:{track.opened_at}"
            out.append(Escalation(step, kind, key, track, hours))
    return out


# -- seen at a glance ------------------------------------------------------------------------
def compact(tracks: Sequence[TrackView], width: int = 0) -> str:
    """``✓editor · sme · ✗legal``; roles cut to three letters when it must fit ``width``."""
    ordered = sorted(tracks, key=lambda t: t.position)

    def line(cut: int | None) -> str:
        return " · ".join(MARKS.get(t.state, "") + (t.role[:cut] if cut else t.role)
                          for t in ordered)

    full = line(None)
    return full if not width or len(full) <= width else line(3)


def awaiting(piece: PieceView, wf: Workflow, handle: str,
             delegators: set[str] | frozenset[str] = frozenset(),
             now: datetime | None = None) -> bool:
    """The piece waits on ``handle``: an open track is theirs (or, past the deadline,
    of someone they stand in for); a piece without tracks in review names them."""
    review = wf.gate_stage("approval")
    if review is None or piece.stage != review.key or piece.archived or piece.owner == handle:
        return False
    if not wf.reviews_for(piece.format):
        return handle in piece.reviewers and not piece.approved_by
    for t in open_tracks(piece.tracks, wf.sequential(piece.format)):
        if t.reviewer == handle:
            return True
        if now is not None and t.reviewer in delegators and overdue(t, wf.review_sla_hours, now):
            return True
    return False


def hours(delta: timedelta | None) -> str:
    """A duration to the nearest hour: ``3 h``, ``2 d 4 h``, ``2 d``, ``-5 h`` (overdue)."""
    if delta is None:
        return "—"
    total = round(delta.total_seconds() / 3600)
    sign, total = ("-", -total) if total < 0 else ("", total)
    days, rest = divmod(total, 24)
    if not days:
        return f"{sign}{rest} h"
    return f"{sign}{days} d {rest} h" if rest else f"{sign}{days} d"


def changes_refusal(piece: PieceView, wf: Workflow, me: PersonView | None,
                    delegators: set[str], now: datetime) -> str | None:
    """Why ``me`` may not request changes on ``piece`` now (None if they may): their
    track for a format with tracks, else the single-approval rule. The board asks this
    before it asks for the note."""
    from prodboard.domain.rules import request_changes_refusal

    if not wf.reviews_for(piece.format):
        return request_changes_refusal(piece, wf, me, delegators)
    return pick_track(piece, piece.tracks, wf, me, delegators, now).refusal or None


def decided_text(piece: PieceView, me: str) -> str:
    """What the board says after ``me`` approved: the piece moved on, or their track."""
    if not piece.tracks or piece.approved_by:
        return f"#{piece.id} approved"
    mine = max((t for t in piece.tracks if t.decided_by == me and t.state == APPROVED),
               key=lambda t: t.decided_at or "", default=None)
    track = f" the {mine.role} track" if mine else ""
    return f"#{piece.id}: approved{track} ({compact(piece.tracks)})"

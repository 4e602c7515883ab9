"""Review tracks on the board: routing on entry, per-track decisions, reassignment and
the escalation ladder. The rules are ``domain/reviews.py``; this stores what they say.

Everything here runs inside a command's ``BEGIN IMMEDIATE`` transaction (``conn``), so
two reviewers approving at once from two boards are applied one after the other, and
the second sees the first's approval. Each routing assignment, decision and
reassignment is one event; the escalation steps are raised once through the ledger
(``Commands.raise_once``), like the other time-based alerts.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from prodboard.domain import reviews as rv
from prodboard.domain.reviews import TrackView
from prodboard.domain.values import PersonView, PieceView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput, Refused
from prodboard.storage import tracks as store_tracks

if TYPE_CHECKING:
    from prodboard.services.commands import Commands

_team = store_tracks.team


def _number(value: float) -> float | int:
    """96.0 -> 96, for "more than 96 h"."""
    return int(value) if float(value).is_integer() else value


def tracked(cmds: Commands, piece: PieceView) -> bool:
    return bool(cmds.wf.reviews_for(piece.format))


# -- routing on entry ------------------------------------------------------------------------
def entered(cmds: Commands, conn: Connection, piece: PieceView, *, imported: bool = False) -> None:
    """A piece has just entered ``piece.stage``: start its review cycle (the approval
    stage of a format with tracks), or give it an owner (a stage that assigns a role;
    an imported piece keeps the owner it came with)."""
    if store_tracks.in_review(piece, cmds.wf):
        start_cycle(cmds, conn, piece)
    role = cmds.wf.stage(piece.stage).assign
    if role and not piece.archived and not (imported and piece.owner):
        _route_owner(cmds, conn, piece, role)


def start_cycle(cmds: Commands, conn: Connection, piece: PieceView) -> list[TrackView]:
    """A new cycle for ``piece`` (in review): tracks reset per ``review_reset``, each
    routed to a reviewer; an event per assignment, an alert to the managers for a
    track nobody can take."""
    wf = cmds.wf
    cycle, _, previous = store_tracks.last_cycle(conn, piece.id)
    carried = previous if rv.outcome(previous) != rv.APPROVED else []
    tracks = rv.new_cycle(piece.id, cycle + 1, wf.reviews_for(piece.format),
                          piece.stage_entered_at, sequential=wf.sequential(piece.format),
                          previous=carried, reset=wf.review_reset)
    before = {t.role: t.reviewer for t in previous}
    people = _team(conn)
    review = wf.gate_stage("approval")
    load = store_tracks.open_load(conn, review.key) if review else {}
    chosen: list[str] = []
    routed: list[tuple[TrackView, rv.Route]] = []
    out: list[TrackView] = []
    for t in tracks:
        if t.state == rv.APPROVED:  # kept from the last cycle
            out.append(t)
            continue
        r = rv.route(t.role, people, load, named=piece.reviewers, previous=before.get(t.role),
                     exclude=[piece.owner] if piece.owner else [], busy=chosen)
        if r.reviewer:
            chosen.append(r.reviewer)
            load = {**load, r.reviewer: load.get(r.reviewer, 0) + 1}
        t = TrackView(t.piece_id, t.cycle, t.role, t.position, r.reviewer, t.state, t.opened_at)
        out.append(t)
        routed.append((t, r))
    store_tracks.write(conn, out, piece.stage_entered_at)
    for t, r in routed:
        base = {"title": piece.title, "role": t.role, "cycle": t.cycle}
        if r.reviewer is None:
            cmds._emit(conn, "review.unrouted", piece.id, base, actor="prodboard")
        else:
            cmds._emit(conn, "review.assigned", piece.id,
                       {**base, "reviewer": r.reviewer, "via": r.via, "instead_of": r.instead_of,
                        "waiting": t.opened_at is not None}, actor="prodboard")
    return out


def _route_owner(cmds: Commands, conn: Connection, piece: PieceView, role: str) -> None:
    people = _team(conn)
    load = {h: cmds.q.active_count(conn, h) for h, p in people.items() if role in p.roles}
    r = rv.route_owner(role, people, load, piece.owner)
    if r.reviewer is None:
        cmds._emit(conn, "review.unrouted", piece.id,
                   {"title": piece.title, "role": role, "owner": True}, actor="prodboard")
        return
    if r.reviewer == piece.owner:
        return
    diff = cmds._update(conn, piece, {"owner": r.reviewer})
    cmds._emit(conn, "piece.assigned", piece.id,
               {"title": piece.title, "changes": diff, "version": piece.version + 1,
                "routed": role, "via": r.via}, actor="prodboard")


def current_tracks(cmds: Commands, conn: Connection, piece: PieceView) -> list[TrackView]:
    """The piece's current tracks, stored (routing them now if it entered review before
    its format named them)."""
    stored, tracks = store_tracks.current(conn, piece, cmds.wf)
    if stored or not store_tracks.in_review(piece, cmds.wf):
        return tracks
    return start_cycle(cmds, conn, piece)


# -- decisions -----------------------------------------------------------------------------------
def _pick(cmds: Commands, conn: Connection, piece: PieceView, wanted: str | None) -> rv.Pick:
    tracks = current_tracks(cmds, conn, piece) if store_tracks.in_review(piece, cmds.wf) else []
    me = cmds.q.person_in(conn, cmds.actor)
    pick = rv.pick_track(piece, tracks, cmds.wf, me, cmds.q.delegators_of(conn, cmds.actor),
                         cmds.clock(), wanted)
    if pick.track is None:
        raise (BadInput if pick.bad_input else Refused)(pick.refusal)
    return pick


def decide(cmds: Commands, conn: Connection, piece: PieceView, *, approve: bool,
           wanted: str | None, note: str = "") -> PieceView:
    """Approve (or request changes on) the actor's track of ``piece``."""
    wf = cmds.wf
    pick = _pick(cmds, conn, piece, wanted)
    assert pick.track is not None
    track = pick.track
    tracks = list(store_tracks.current(conn, piece, wf)[1])
    now = cmds._now()
    d = rv.decide(tracks, track.role, approve, cmds.actor, now,
                  sequential=wf.sequential(piece.format), delegated=pick.delegated, note=note)
    store_tracks.write(conn, d.tracks, piece.stage_entered_at)
    review = wf.gate_stage("approval")
    assert review is not None
    extra: dict[str, Any] = {
        "track": track.role, "cycle": track.cycle, "delegated": pick.delegated,
        "track_reviewers": sorted({t.reviewer for t in d.tracks if t.reviewer}),
        "tracks": rv.compact(d.tracks),
    }
    if pick.delegated:
        extra["on_behalf_of"] = track.reviewer
    i = wf.index(review.key)
    if not approve:
        return cmds._move(conn, piece.id, wf.stages[i - 1].key, None, None, note,
                          kind="piece.changes_requested", extra=extra)
    if d.outcome == rv.APPROVED:
        approval = {"approved_by": cmds.actor, "approved_at": now,
                    "approval_delegated": pick.delegated}
        if wf.review_advance:
            return cmds._move(conn, piece.id, wf.stages[i + 1].key, None, None, "",
                              kind="piece.approved", set_values=approval,
                              extra={**extra, "approved_by": cmds.actor})
        diff = cmds._update(conn, piece, approval)
        cmds._emit(conn, "review.approved", piece.id,
                   {"title": piece.title, **extra, "complete": True, "changes": diff,
                    "version": piece.version + 1})
        return cmds._piece(conn, piece.id)
    cmds._update(conn, piece, {})  # the card changes: a new version, so boards reload it
    cmds._emit(conn, "review.approved", piece.id,
               {"title": piece.title, **extra, "version": piece.version + 1})
    for role in d.opened:  # a sequential track's turn has come
        t = next(x for x in d.tracks if x.role == role)
        if t.reviewer:
            cmds._emit(conn, "review.turn", piece.id,
                       {"title": piece.title, "role": role, "reviewer": t.reviewer,
                        "cycle": t.cycle}, actor="prodboard")
    return cmds._piece(conn, piece.id)


# -- reassignment ----------------------------------------------------------------------------------
def reassign(cmds: Commands, conn: Connection, piece: PieceView, role: str, handle: str) -> PieceView:
    """Give the ``role`` track to ``handle``: the track's reviewer hands it on, or a
    manager or admin moves it. The new reviewer must hold the role."""
    wf = cmds.wf
    review = wf.gate_stage("approval")
    if review is None or piece.stage != review.key:
        raise Refused(f"piece #{piece.id} is not in {review.name if review else 'review'}")
    if not wf.reviews_for(piece.format):
        raise Refused(f"#{piece.id} has no review tracks (its format {piece.format!r} needs "
                      "one approval)")
    tracks = current_tracks(cmds, conn, piece)
    role = role.strip().lower().lstrip("@")
    track = next((t for t in tracks if t.role == role), None)
    if track is None:
        raise BadInput(f"#{piece.id} has no {role!r} track (tracks: "
                       f"{', '.join(t.role for t in tracks)})")
    if track.state != rv.WAITING:
        raise Refused(f"the {role} track of #{piece.id} is already decided")
    me = cmds.q.person_in(conn, cmds.actor)
    mine = set(me.roles) if me else set()
    if track.reviewer != cmds.actor and not mine & {*wf.manager_roles, *wf.admin_roles}:
        raise Refused(f"only the track's reviewer ({track.reviewer or 'nobody'}) or a "
                      f"{' or '.join(dict.fromkeys((*wf.manager_roles, *wf.admin_roles)))} "
                      "may reassign it")
    who = cmds._require_person(conn, handle)
    person = cmds.q.person_in(conn, who)
    assert person is not None
    if role not in person.roles:
        raise Refused(f"{who} does not hold the {role} role")
    if who == piece.owner:
        raise Refused(f"#{piece.id} is {who}'s own piece: someone else must review it")
    if person.away:
        raise Refused(f"{who} is away")
    if who == track.reviewer:
        return piece
    moved = [TrackView(t.piece_id, t.cycle, t.role, t.position, who, t.state, t.opened_at)
             if t.role == role else t for t in tracks]
    store_tracks.write(conn, moved, piece.stage_entered_at)
    cmds._update(conn, piece, {})
    cmds._emit(conn, "review.reassigned", piece.id,
               {"title": piece.title, "role": role, "cycle": track.cycle, "reviewer": who,
                "previous": track.reviewer, "changes": {"reviewer": [track.reviewer, who]},
                "version": piece.version + 1})
    return cmds._piece(conn, piece.id)


# -- the escalation ladder ---------------------------------------------------------------------------
def pending_escalations(cmds: Commands, now: datetime) -> list[tuple[str, str, int, dict[str, Any]]]:
    """(key, kind, piece id, data) of every escalation step due and not yet raised."""
    with cmds.store.read() as conn:
        pieces = store_tracks.review_pieces(conn, cmds.wf)
        if not pieces:
            return []
        people = _team(conn)
        due = [step for p in pieces for step in escalation_steps(p, people, cmds.wf, now)]
        raised = store_tracks.raised_keys(conn, [d[0] for d in due])
    return [d for d in due if d[0] not in raised]


def escalation_steps(p: PieceView, people: dict[str, PersonView], wf: Workflow,
                     now: datetime) -> list[tuple[str, str, int, dict[str, Any]]]:
    """(key, kind, piece id, data) of each step of the piece's ladder due at ``now``
    (raised or not); ``p`` carries its tracks."""
    due: list[tuple[str, str, int, dict[str, Any]]] = []
    for t in rv.open_tracks(p.tracks, wf.sequential(p.format)):
        for step in rv.escalations(t, wf.review_sla_hours, now):
            reviewer = people.get(t.reviewer) if t.reviewer else None
            due.append((step.key, step.kind, p.id, {
                "title": p.title, "owner": p.owner, "stage": p.stage, "role": t.role,
                "cycle": t.cycle, "step": step.step, "reviewer": t.reviewer,
                "delegate": reviewer.delegate if reviewer else None,
                "hours": _number(wf.review_sla_hours * step.step),
                "waited_hours": step.waited_hours, "since": t.opened_at,
            }))
    return due


def run_escalations(cmds: Commands, now: datetime | None = None) -> list[int]:
    """Raise each due escalation step once, across every board; returns the new event ids."""
    out: list[int] = []
    for key, kind, pid, data in pending_escalations(cmds, now or cmds.clock()):
        eid = cmds.raise_once(key, kind, pid, data)
        if eid is not None:
            out.append(eid)
    return out

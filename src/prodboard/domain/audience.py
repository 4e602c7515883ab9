"""Whom an event concerns, and why: one table from event kind to its audiences.

``RULES`` maps each event kind to the audiences it reaches, in order of precedence
(the first that names a person gives the reason stored with them). A new event kind
is one entry: ``"person.roles_set": ("subject", "admin")``. ``AUDIENCES`` says how
each audience is found in the event and a snapshot (``AlertContext``).

The board calls these rules inside the event's own transaction, with the snapshot as
it is right after the change (the event's ``changes`` hold what it was before), and
stores the result (``recipients.record``). Nothing reads them again later, so a
reassignment never moves past alerts from one person to another. Pure functions:
nothing here reads the database or imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prodboard.domain.values import EventView, PersonView, RecipientView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput

STAGE_KINDS = ("piece.moved", "piece.approved", "piece.changes_requested")
ADMIN_ROLES = ("admin",)  # used when the workflow names none


@dataclass(frozen=True)
class PieceFacts:
    """What the rules need about one piece, as it is at the snapshot."""

    owner: str | None = None
    reviewers: tuple[str, ...] = ()
    stage: str = ""
    title: str = ""


@dataclass(frozen=True)
class AlertContext:
    """A snapshot for the rules: the team, the touched pieces, their watchers.

    ``stored`` holds the recipients written with the events (event id -> person ->
    row). When it is given, who hears an event is read from it; without it (the pure
    rules, and the moment of writing) the audience is worked out from the snapshot.
    """

    workflow: Workflow
    people: Mapping[str, PersonView] = field(default_factory=dict)
    pieces: Mapping[int, PieceFacts] = field(default_factory=dict)
    watchers: Mapping[int, frozenset[str]] = field(default_factory=dict)
    stored: Mapping[int, Mapping[str, RecipientView]] | None = None

    def holders(self, roles: Iterable[str]) -> set[str]:
        """Everyone holding one of ``roles``."""
        wanted = set(roles)
        if not wanted:
            return set()
        return {h for h, p in self.people.items() if wanted & set(p.roles)}

    def level(self, handle: str) -> str:
        person = self.people.get(handle)
        return person.alert_level if person else "involved"

    def roles_of(self, handle: str) -> set[str]:
        person = self.people.get(handle)
        return set(person.roles) if person else set()

    def facts(self, event: EventView) -> PieceFacts | None:
        return self.pieces.get(event.piece_id) if event.piece_id is not None else None


Audience = Callable[[EventView, AlertContext], Iterable[str]]


def _responsible(wf: Workflow, stage_key: Any) -> tuple[str, ...]:
    try:
        return wf.stage(str(stage_key)).responsible
    except BadInput:  # a stage since removed from the config
        return ()


def entered_stage(event: EventView) -> str | None:
    """The stage a piece entered with this event, if it entered one."""
    if event.kind in STAGE_KINDS:
        stage = event.changes.get("stage")
        return str(stage[1]) if stage else None
    if event.kind == "piece.created" and event.data.get("stage"):
        return str(event.data["stage"])
    return None


def _owner(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    facts = ctx.facts(ev)
    owner = ev.changes.get("owner")
    yield from (facts.owner,) if facts and facts.owner else ()
    if ev.kind == "piece.created" and ev.data.get("owner"):
        yield str(ev.data["owner"])
    if owner and owner[1]:
        yield str(owner[1])


def _previous_owner(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    owner = ev.changes.get("owner")
    return (str(owner[0]),) if owner and owner[0] else ()


def _reviewers(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    facts = ctx.facts(ev)
    yield from facts.reviewers if facts else ()
    for side in ev.changes.get("reviewers") or ():
        yield from (str(r) for r in side or ())


def _watchers(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    return ctx.watchers.get(ev.piece_id, ()) if ev.piece_id is not None else ()


def _mentioned(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    for name in ev.data.get("mentions") or ():
        if name in ctx.people:
            yield name
        yield from ctx.holders([name])  # a role mention reaches everyone with the role


def _stage(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    entered = entered_stage(ev)
    return ctx.holders(_responsible(ctx.workflow, entered)) if entered else ()


def _manager(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    d = ev.data
    if d.get("override") or "revision_limit_exceeded" in d:
        return ctx.holders(ctx.workflow.manager_roles)
    return ()


def _wip(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    wip, person_wip = ev.data.get("wip_exceeded"), ev.data.get("person_wip_exceeded")
    if not (wip or person_wip):
        return
    facts = ctx.facts(ev)
    stage = (wip or {}).get("stage") or entered_stage(ev) or (facts.stage if facts else None)
    yield from ctx.holders(_responsible(ctx.workflow, stage)) | ctx.holders(ctx.workflow.manager_roles)
    if person_wip and person_wip.get("person"):
        yield str(person_wip["person"])


def _subject(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    """The person a team change names, and the delegates it names (before and after)."""
    yield from (str(ev.data[k]) for k in ("handle", "delegate") if ev.data.get(k))
    yield from (str(x) for x in ev.changes.get("delegate") or () if x)


def _admin(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    return ctx.holders(ctx.workflow.admin_roles or ADMIN_ROLES)


def _all_managers(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    return ctx.holders(ctx.workflow.manager_roles)


def _time_owner(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    facts = ctx.facts(ev)
    owner = facts.owner if facts and facts.owner else ev.data.get("owner")
    return (str(owner),) if owner else ()


def _time_reviewers(ev: EventView, ctx: AlertContext) -> set[str]:
    facts = ctx.facts(ev)
    return set(facts.reviewers if facts else ()) | set(ev.data.get("reviewers") or ())


def _time_delegates(ev: EventView, ctx: AlertContext) -> Iterable[str]:
    yield from ev.data.get("delegates") or ()
    for reviewer in _time_reviewers(ev, ctx):
        person = ctx.people.get(reviewer)
        if person and person.delegate:
            yield person.delegate


def _named(*keys: str) -> Audience:
    """People an event names in its data (a track's reviewer, the one it left...)."""

    def find(ev: EventView, ctx: AlertContext) -> Iterable[str]:
        for key in keys:
            value = ev.data.get(key)
            for who in value if isinstance(value, list) else (value,):
                if who:
                    yield str(who)

    return find


# audience name -> (how to find its people, the reason stored with them)
AUDIENCES: dict[str, tuple[Audience, str]] = {
    "owner": (_owner, "owner"),
    "previous_owner": (_previous_owner, "previous_owner"),
    "reviewer": (_reviewers, "reviewer"),
    "watcher": (_watchers, "watcher"),
    "mention": (_mentioned, "mention"),
    "stage": (_stage, "stage"),
    "manager": (_manager, "manager"),
    "wip": (_wip, "wip"),
    "subject": (_subject, "subject"),
    "admin": (_admin, "admin"),
    "managers": (_all_managers, "manager"),
    "time_owner": (_time_owner, "owner"),
    "time_reviewer": (_time_reviewers, "reviewer"),
    "time_delegate": (_time_delegates, "delegate"),
    # review tracks (services/reviews.py): who the event names, fixed when written
    "track_reviewer": (_named("reviewer"), "reviewer"),
    "track_previous": (_named("previous"), "previous_reviewer"),
    "track_people": (_named("on_behalf_of", "track_reviewers"), "reviewer"),
    "track_delegate": (_named("delegate"), "delegate"),
}

PIECE = ("owner", "previous_owner", "reviewer", "watcher", "stage", "manager", "wip")
RULES: dict[str, tuple[str, ...]] = {
    **{kind: PIECE for kind in (
        "piece.created", "piece.moved", "piece.edited", "piece.assigned", "piece.approved",
        "piece.changes_requested", "piece.archived", "piece.rejected", "piece.restored",
        "checklist.ticked", "checklist.unticked",
    )},
    "comment.added": ("mention", *PIECE),
    "piece.reordered": (),  # heard at level "all" only
    "piece.watched": (), "piece.unwatched": (), "board.renamed": (),
    # a team change: the person, the delegates it names, and every admin
    **{kind: ("subject", "admin") for kind in (
        "person.joined", "person.added", "person.away", "person.back", "person.changed",
    )},
    "alert.overdue": ("time_owner",), "alert.due_soon": ("time_owner",),
    "alert.stage_overdue": ("time_owner",), "alert.at_risk": ("managers",),
    "alert.summary": ("time_owner",),  # many of the above for one owner (services/checks.py)
    "alert.review_overdue": ("time_reviewer", "time_delegate"),
    # review tracks: the reviewer routed, the one a track left, every reviewer of the
    # piece for a decision; the managers for a track nobody can take and the last step
    "piece.approved": (*PIECE, "track_people"),
    "piece.changes_requested": (*PIECE, "track_people"),
    "review.assigned": ("track_reviewer",), "review.turn": ("track_reviewer",),
    "review.unrouted": ("managers",),
    "review.approved": ("owner", "track_people", "watcher"),
    "review.reassigned": ("track_reviewer", "track_previous", "owner"),
    "alert.review_track_overdue": ("track_reviewer", "track_delegate"),
    "alert.review_track_escalated": ("managers",),
}


# Kinds nobody hears, whatever their level (level "all" included). A kind taken out
# of here needs an audience in RULES too.
NOISE = frozenset({"piece.watched", "piece.unwatched"})


def audiences_of(kind: str, piece_id: int | None) -> tuple[str, ...]:
    """The audiences of ``kind``; an unknown kind reaches a piece's people, or the
    person it names."""
    if kind in RULES:
        return RULES[kind]
    return PIECE if piece_id is not None else ("subject",)


def concerned_reasons(event: EventView, ctx: AlertContext) -> dict[str, str]:
    """Each person the event concerns, with the reason of the first audience naming
    them. The actor is not removed here (nobody is told about their own actions)."""
    out: dict[str, str] = {}
    for name in audiences_of(event.kind, event.piece_id):
        find, reason = AUDIENCES[name]
        for who in find(event, ctx):
            if who and who not in out:
                out[who] = reason
    return out


def concerned(event: EventView, ctx: AlertContext) -> set[str]:
    """The people an event concerns (whose alert level is "involved" hears it).

    The piece's owner (and the one it was taken from), reviewers and watchers; the
    people a comment mentions (a role mention reaches everyone holding the role);
    the roles responsible for the stage a piece enters; the managers for a gate
    override, a revision limit exceeded or a piece at risk; the stage's responsible
    roles and the managers when a WIP limit is exceeded; the person a team change
    names, the delegates it names, and every admin. Time alerts go to the owner
    (overdue, due soon), or the reviewers and
    their delegates (review overdue).
    """
    return set(concerned_reasons(event, ctx))

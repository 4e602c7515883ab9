"""Who is told what: levels, severities, texts and bursts, as pure functions.

Whom an event concerns is decided when it is written (``audience.RULES``, stored by
``recipients.record``); ``alerts_for(handle, events, ctx)`` turns a batch of events
into one person's alerts from those stored recipients (or, in the pure rules, from
``concerned`` on a snapshot): their alert level decides what they hear, their own
actions never alert them, and one actor's burst becomes one alert. ``load_inbox``,
``unread_alerts`` and ``summary_since`` serve the inbox, its unread count and the
launch summary from the person's read cursor; ``alerts_in`` the live toasts.

The rules read nothing and write nothing; only the ``load_*`` functions and their
wrappers read the database (call them off the UI thread). Nothing here imports
Textual. Alert texts are plain text: render them with markup off.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from prodboard.domain.audience import (
    NOISE,
    STAGE_KINDS,
    AlertContext,
    PieceFacts,
    concerned,
    concerned_reasons,
    entered_stage,
)
from prodboard.domain.describe import (
    ALERT_LABELS,
    NOTE_WIDTH,
    _short,
    _stage_name,
    change_text,
    describe_event,
)
from prodboard.domain.values import EventView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput
from prodboard.storage.queries import Queries, Stored

__all__ = ["AlertContext", "PieceFacts", "concerned", "entered_stage"]

SEVERITIES = ("information", "warning", "error")
QUIET = frozenset({"piece.reordered"})  # heard at level "all" only
BURST_SECONDS = 2.0
ERROR_KINDS = frozenset({
    "alert.overdue", "alert.review_overdue", "alert.review_track_overdue",
    "alert.review_track_escalated", "alert.summary",
})
WARNING_KINDS = frozenset({
    "piece.changes_requested", "piece.rejected", "alert.due_soon", "alert.at_risk",
    "alert.stage_overdue", "review.unrouted",
})

# The verb of a burst of one kind on several pieces: "ana moved 40 pieces".
BURST_VERBS = {
    "piece.moved": "moved", "piece.edited": "edited", "piece.created": "created",
    "piece.assigned": "assigned", "comment.added": "commented on",
    "checklist.ticked": "ticked checklist items on", "checklist.unticked":
    "unticked checklist items on", "piece.archived": "archived", "piece.rejected": "rejected",
    "piece.restored": "restored", "piece.approved": "approved",
    "piece.changes_requested": "requested changes on", "piece.reordered": "reordered",
}
# What a merged description says for kinds whose field changes say too little.
_DONE_TO_PIECE = {
    "piece.approved": "approved", "piece.archived": "archived", "piece.rejected": "rejected",
    "piece.restored": "restored",
}
# A burst of board-level events of one kind: "ana added 5 people".
BOARD_BURSTS = {
    "person.added": "added {n} people", "person.away": "marked {n} people away",
    "person.back": "marked {n} people back", "person.changed": "updated {n} people",
}
# Fields a merged description leaves out: bookkeeping, not what a person changed.
_HIDDEN = frozenset({
    "rank", "version", "updated_at", "stage_entered_at", "approved_at", "approval_delegated",
    "checklist", "revision_rounds", "archive_reason", "approved_by",
})


@dataclass(frozen=True)
class Alert:
    """One thing to tell one person: who did what to which piece, and how loud.

    A coalesced burst carries every event id it stands for; ``piece_id`` is set
    when all of them concern one piece (None for board-level or many pieces).
    ``kind`` is the events' kind, or "burst" when they differ; ``at`` the time of
    its latest event (ISO 8601, UTC).
    """

    recipient: str
    severity: str
    text: str
    piece_id: int | None
    event_ids: tuple[int, ...]
    actor: str
    kind: str
    at: str = ""

    @property
    def first_id(self) -> int:
        return self.event_ids[0]

    @property
    def last_id(self) -> int:
        return self.event_ids[-1]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "event_ids": list(self.event_ids)}


def load_context(queries: Queries, piece_ids: Iterable[int | None]) -> AlertContext:
    """Read the snapshot for a batch as it is now: all people, and only the pieces in
    ``piece_ids`` (archived or not) with their watchers. Two read transactions. The
    inbox and the toasts do not use it (they read the stored recipients)."""
    ids = {pid for pid in piece_ids if pid is not None}
    people = {p.handle: p for p in queries.people()}
    pieces, watchers = queries.pieces_and_watchers(ids) if ids else ({}, {})
    return AlertContext(
        workflow=queries.wf,
        people=people,
        pieces={pid: PieceFacts(p.owner, p.reviewers, p.stage, p.title) for pid, p in pieces.items()},
        watchers={pid: frozenset(w) for pid, w in watchers.items()},
    )


# -- how loud ------------------------------------------------------------------------
def _sent_back(event: EventView, wf: Workflow) -> bool:
    stage = event.changes.get("stage")
    if event.kind not in STAGE_KINDS or not stage:
        return False
    try:
        return wf.index(str(stage[1])) < wf.index(str(stage[0]))
    except BadInput:
        return False


def severity(event: EventView, recipient: str, ctx: AlertContext) -> str:
    """error: a gate override, a revision limit exceeded, overdue, review overdue;
    warning: changes requested or sent back, rejected, a WIP limit exceeded, due soon,
    at risk, a piece taken from the recipient; information otherwise."""
    d = event.data
    if d.get("override") or "revision_limit_exceeded" in d or event.kind in ERROR_KINDS:
        return "error"
    if event.kind in WARNING_KINDS or d.get("wip_exceeded") or d.get("person_wip_exceeded"):
        return "warning"
    if _sent_back(event, ctx.workflow):
        return "warning"
    owner = event.changes.get("owner")
    if owner and owner[0] == recipient and owner[1] != recipient:
        return "warning"
    return "information"


def _loudest(levels: Iterable[str]) -> str:
    return max(levels, key=SEVERITIES.index, default="information")


# -- what it says ----------------------------------------------------------------------
def event_text(event: EventView, wf: Workflow) -> str:
    """describe_event's line, plus the limits the event broke."""
    text = describe_event(event, wf)
    d = event.data
    extra: list[str] = []
    if "revision_limit_exceeded" in d:
        extra.append(f"over the revision limit of {d['revision_limit_exceeded']}")
    wip = d.get("wip_exceeded")
    if isinstance(wip, dict):
        extra.append(f"{_stage_name(wf, wip.get('stage'))} is over its WIP limit "
                     f"({wip.get('count')}/{wip.get('limit')})")
    person_wip = d.get("person_wip_exceeded")
    if isinstance(person_wip, dict):
        extra.append(f"{person_wip.get('person')} is over the personal WIP limit "
                     f"({person_wip.get('count')}/{person_wip.get('limit')})")
    return "; ".join([text, *extra])


def merge_changes(events: Iterable[EventView]) -> dict[str, list[Any]]:
    """Field changes of several events on one piece: per field the first 'from' and
    the last 'to', in the order the fields first changed."""
    out: dict[str, list[Any]] = {}
    for ev in events:
        for name, pair in ev.changes.items():
            before, after = (list(pair) + [None, None])[:2]
            if name in out:
                out[name][1] = after
            else:
                out[name] = [before, after]
    return out


def _value(wf: Workflow, name: str, value: Any) -> str:
    if name == "stage":
        return _stage_name(wf, value)
    if value in (None, "", [], ()):
        return "nobody" if name == "owner" else "—"
    if isinstance(value, list | tuple):
        return _short(", ".join(str(v) for v in value), 20)
    return _short(value, 20)


def _merged_text(group: Sequence[EventView], wf: Workflow) -> str:
    """One piece, several events by one actor: one line with the net changes."""
    first, last = group[0], group[-1]
    kinds = {ev.kind for ev in group}
    merged = merge_changes(group)
    title = f"'{_short(first.data.get('title', ''), 50)}'"
    if len(kinds) == 1 and first.kind in ("piece.moved", "piece.edited", "piece.assigned"):
        data: dict[str, Any] = {}
        for ev in group:
            data.update(ev.data)
        data["title"] = first.data.get("title", "")
        data["changes"] = merged
        return event_text(EventView(last.id, last.at, last.actor, first.kind, last.piece_id, data), wf)
    if kinds == {"comment.added"}:
        return f"{first.actor} commented {len(group)} times on {title}: {_short(last.data.get('body'), 60)}"
    created = next((ev for ev in group if ev.kind == "piece.created"), None)
    if created is not None:  # a new piece: say where it ended up, not each step
        stage = merged.pop("stage", [None, created.data.get("stage")])[1]
        head = f"{first.actor} created {title} in {_stage_name(wf, stage)}"
    else:
        head = f"{first.actor} changed {title}"
    parts = [
        f"{name} {_value(wf, name, before)} → {_value(wf, name, after)}"
        if name in ("stage", "owner") else f"{name} {change_text(before, after)}"
        for name, (before, after) in merged.items()
        if name not in _HIDDEN and before != after
    ]
    parts += [f"requested changes: {_short(ev.data['note'], NOTE_WIDTH)}"
              for ev in group if ev.kind == "piece.changes_requested" and ev.data.get("note")]
    for kind, verb in _DONE_TO_PIECE.items():
        if kind in kinds:
            parts.append(verb)
    ticked = [wf.label(str(ev.data.get("item", ""))) for ev in group if ev.kind == "checklist.ticked"]
    if ticked:
        parts.append("ticked " + ", ".join(dict.fromkeys(ticked)))
    comments = [ev for ev in group if ev.kind == "comment.added"]
    if len(comments) == 1:
        parts.append(f"commented: {_short(comments[0].data.get('body'), 60)}")
    elif comments:
        parts.append(f"{len(comments)} comments")
    if created is not None:
        return "; ".join([head, *parts])
    return f"{head}: {'; '.join(parts) or f'{len(group)} changes'}"


def burst_text(group: Sequence[EventView], wf: Workflow) -> str:
    """The one line for a coalesced burst ("ana moved 40 pieces")."""
    if len(group) == 1:
        return event_text(group[0], wf)
    actor = group[0].actor
    kinds = {ev.kind for ev in group}
    pieces = list(dict.fromkeys(ev.piece_id for ev in group))
    if all(k.startswith("alert.") for k in kinds):
        if len(pieces) == 1:
            return "; ".join(dict.fromkeys(event_text(ev, wf) for ev in group))
        counts = Counter(ALERT_LABELS.get(ev.kind, ev.kind) for ev in group)
        if len(counts) == 1:
            label = next(iter(counts))
            return f"{len(pieces)} pieces are {label}"
        return f"{len(group)} deadline alerts: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    if None not in pieces and len(pieces) == 1:
        return _merged_text(group, wf)
    if None not in pieces:
        noun = f"{len(pieces)} pieces"
        if len(kinds) == 1 and group[0].kind in BURST_VERBS:
            return f"{actor} {BURST_VERBS[group[0].kind]} {noun}"
        return f"{actor} changed {noun}"
    if len(kinds) == 1 and group[0].kind in BOARD_BURSTS:
        return f"{actor} " + BOARD_BURSTS[group[0].kind].format(n=len(group))
    return f"{actor} made {len(group)} changes"


# -- one person's alerts -----------------------------------------------------------------
def _handle(handle: str) -> str:
    return handle.strip().lower().lstrip("@")


def reason_of(handle: str, event: EventView, ctx: AlertContext) -> str | None:
    """Why ``event`` concerns ``handle`` (None when it does not): the stored reason
    when the context carries the stored recipients, else the rules on the snapshot."""
    if ctx.stored is not None:
        row = ctx.stored.get(event.id, {}).get(handle)
        return row.reason if row else None
    if event.kind in QUIET:
        return None
    return concerned_reasons(event, ctx).get(handle)


def hears(handle: str, event: EventView, ctx: AlertContext) -> bool:
    """Whether ``handle`` is told about ``event`` at all (before coalescing). The
    alert level is applied here, at read time: "involved" hears its recipients,
    "all" every event but its own and the noise, "none" nothing."""
    me = _handle(handle)
    level = ctx.level(me)
    if level == "none" or event.actor == me or event.kind in NOISE:
        return False
    if level == "all":
        return True
    return reason_of(me, event, ctx) is not None


def _severity(event: EventView, me: str, ctx: AlertContext) -> str:
    row = ctx.stored.get(event.id, {}).get(me) if ctx.stored is not None else None
    return row.severity if row else severity(event, me, ctx)


def _moment(at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None


def continues(last: EventView, ev: EventView, window: float = BURST_SECONDS) -> bool:
    """Whether ``ev`` extends the burst that ``last`` ends: the same actor, both piece
    events or both board-level ones, at most ``window`` seconds apart by event time.
    The one burst rule: the inbox groups by it, and the board's toasts too."""
    if last.actor != ev.actor or (last.piece_id is None) != (ev.piece_id is None):
        return False
    before, at = _moment(last.at), _moment(ev.at)
    if before is None or at is None:
        return False
    return abs((at - before).total_seconds()) <= window


def bursts(events: Iterable[EventView], window: float = BURST_SECONDS) -> list[list[EventView]]:
    """Split events into bursts: runs of consecutive events by one actor, each within
    ``window`` seconds of the one before (``continues``). Board-level events (no
    piece) and piece events never share a burst."""
    out: list[list[EventView]] = []
    for ev in events:
        if out and continues(out[-1][-1], ev, window):
            out[-1].append(ev)
        else:
            out.append([ev])
    return out


def alerts_for(handle: str, events: Iterable[EventView], ctx: AlertContext) -> list[Alert]:
    """The alerts ``handle`` gets for ``events`` (oldest first), bursts coalesced.

    Level "none" gets nothing; "involved" (the default) the events that concern
    them; "all" everything. Never their own actions; never watch/unwatch;
    reorders only at level "all". Bursts are found in the whole batch, then cut
    down to what ``handle`` hears: someone else's event in between (their own
    included) ends a burst, one they do not hear about does not split it apart.
    """
    me = _handle(handle)
    if ctx.level(me) == "none":
        return []
    out: list[Alert] = []
    for run in bursts(ev for ev in events if ev.kind not in NOISE):
        group = [ev for ev in run if hears(me, ev, ctx)]
        if not group:
            continue
        first = group[0]
        kinds = {ev.kind for ev in group}
        pieces = {ev.piece_id for ev in group}
        out.append(Alert(
            recipient=me,
            severity=_loudest(_severity(ev, me, ctx) for ev in group),
            text=burst_text(group, ctx.workflow),
            piece_id=next(iter(pieces)) if len(pieces) == 1 else None,
            event_ids=tuple(ev.id for ev in group),
            actor=first.actor,
            kind=first.kind if len(kinds) == 1 else "burst",
            at=group[-1].at,
        ))
    return out


def alerts_in(queries: Queries, handle: str, events: Sequence[EventView],
              cache: Stored | None = None) -> list[Alert]:
    """``handle``'s alerts for a batch from the change feed, from the recipients
    stored with the events (reads the database: for a thread worker). ``cache``
    keeps the rows read so far (``{}`` for an event not theirs), for a caller that
    sees one burst grow over many batches: each event's rows are read once."""
    if not events:
        return []
    me = _handle(handle)
    known: Stored = {} if cache is None else cache
    new = [ev.id for ev in events if ev.id not in known]
    if new:
        found = queries.recipients_for(me, new)
        for i in new:
            known[i] = found.get(i, {})
    people = {p.handle: p for p in queries.people()}
    return alerts_for(me, events, AlertContext(queries.wf, people=people, stored=known))


# -- the inbox and "since you last read" -------------------------------------------------------
_CATEGORY_KINDS = {
    "piece.created": ("new piece", "new pieces"),
    "piece.approved": ("approval", "approvals"),
    "piece.changes_requested": ("request for changes", "requests for changes"),
    "checklist.ticked": ("checklist change", "checklist changes"),
    "checklist.unticked": ("checklist change", "checklist changes"),
    "piece.archived": ("piece archived", "pieces archived"),
    "piece.rejected": ("rejection", "rejections"),
    "piece.restored": ("piece restored", "pieces restored"),
    "alert.overdue": ("overdue", "overdue"),
    "alert.due_soon": ("due soon", "due soon"),
    "alert.review_overdue": ("review overdue", "reviews overdue"),
    "alert.at_risk": ("at risk", "at risk"),
    "alert.stage_overdue": ("late in its stage", "late in their stage"),
    "alert.review_track_overdue": ("review track overdue", "review tracks overdue"),
    "alert.review_track_escalated": ("review escalated", "reviews escalated"),
    "alert.summary": ("summary of deadline alerts", "summaries of deadline alerts"),
    "review.assigned": ("review for you", "reviews for you"),
    "review.turn": ("review for you", "reviews for you"),
    "review.approved": ("track approved", "tracks approved"),
    "review.reassigned": ("review reassigned", "reviews reassigned"),
    "review.unrouted": ("review nobody can take", "reviews nobody can take"),
}


def category(event: EventView, handle: str, ctx: AlertContext) -> tuple[str, str]:
    """A short label (singular, plural) for the summary, from ``handle``'s side, by
    why the event concerned them when it happened."""
    me = _handle(handle)
    reason = reason_of(me, event, ctx)
    mine = reason == "owner"
    if event.kind == "comment.added":
        if reason == "mention":
            return ("comment mentioning you", "comments mentioning you")
        if mine:
            return ("comment on your pieces", "comments on your pieces")
        return ("comment", "comments")
    if event.kind == "piece.moved":
        return ("move on your pieces", "moves on your pieces") if mine else ("move", "moves")
    if event.kind == "piece.assigned":
        before, after = (event.changes.get("owner") or [None, None])[:2]
        if after == me:
            return ("piece assigned to you", "pieces assigned to you")
        if before == me:
            return ("piece taken from you", "pieces taken from you")
        return ("assignment", "assignments")
    if event.kind == "piece.edited":
        return ("edit to your pieces", "edits to your pieces") if mine else ("edit", "edits")
    if event.kind.startswith("person."):
        return ("team change", "team changes")
    return _CATEGORY_KINDS.get(event.kind, ("other change", "other changes"))


def summarize(handle: str, events: Iterable[EventView], ctx: AlertContext, most: int = 4,
              alerts: Sequence[Alert] | None = None) -> str:
    """ "3 unread alerts since you last read: 3 moves on your pieces, 2 comments
    mentioning you, 1 overdue". The head counts ``handle``'s alerts (the number the
    header and the inbox show), the parts the events in them by category. Empty
    when there is nothing to tell."""
    me = _handle(handle)
    events = list(events)
    if alerts is None:
        alerts = alerts_for(me, events, ctx)
    if not alerts:
        return ""
    heard = {eid for a in alerts for eid in a.event_ids}
    counts: Counter[tuple[str, str]] = Counter(
        category(ev, me, ctx) for ev in events if ev.id in heard
    )
    n = len(alerts)
    head = f"{n} unread alert{'s' if n != 1 else ''} since you last read"
    # What is about me comes first (a mention or an assignment must not hide behind
    # "…"), then the rest by how often it happened.
    personal = ("you", "your")
    ranked = sorted(counts.items(), key=lambda item: (
        not any(word in item[0][1].split() for word in personal), -item[1]))
    parts = [f"{k} {one if k == 1 else many}" for (one, many), k in ranked[:most]]
    if len(counts) > most:
        parts.append("…")
    return f"{head}: {', '.join(parts)}"


class _HasQueries(Protocol):
    queries: Queries


@dataclass(frozen=True)
class Inbox:
    """A person's unread alerts, from their read cursor up to ``last_event_id``.

    ``unread`` is the one unread count: the header, the inbox title, the launch
    summary and ``inbox --json`` all show this inbox. Mark them read with
    ``Commands.mark_read(inbox.last_event_id)``: that also passes the events that
    alerted nobody, and nothing newer than what was shown.
    """

    handle: str
    alerts: tuple[Alert, ...]
    read_cursor: int
    last_event_id: int
    summary: str

    @property
    def unread(self) -> int:
        return len(self.alerts)


def _queries(source: Queries | _HasQueries) -> Queries:
    return source if isinstance(source, Queries) else source.queries


def load_inbox(
    source: Queries | _HasQueries, handle: str, *, since: int | None = None, limit: int = 10_000
) -> Inbox:
    """Read ``handle``'s unread alerts (after their read cursor, or after ``since``),
    from the recipients stored with the events: who they concerned when they
    happened, whatever has changed since.

    ``source`` is a Session or a Queries. At most ``limit`` events are read, oldest
    first; marking those read lets the next call read on.
    """
    q = _queries(source)
    me = _handle(handle)
    cursor = q.read_cursor(me) if since is None else since
    events, stored = q.inbox_events(me, cursor, limit=limit)
    if not events:
        return Inbox(me, (), cursor, cursor, "")
    ctx = AlertContext(q.wf, people={p.handle: p for p in q.people()}, stored=stored)
    alerts = alerts_for(me, events, ctx)
    return Inbox(me, tuple(alerts), cursor, events[-1].id, summarize(me, events, ctx, alerts=alerts))


def unread_alerts(source: Queries | _HasQueries, handle: str) -> list[Alert]:
    """``handle``'s alerts after their read cursor (the inbox), oldest first."""
    return list(load_inbox(source, handle).alerts)


def summary_since(source: Queries | _HasQueries, handle: str, since: int | None = None) -> str:
    """The launch summary since ``since`` (default: the read cursor)."""
    return load_inbox(source, handle, since=since).summary

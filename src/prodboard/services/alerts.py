"""Who is told what: levels, severities, texts and bursts, as pure functions.

Whom an event concerns is decided when it is written (``audience.RULES``, stored by
``recipients.record``); ``alerts_for(handle, events, ctx)`` turns a batch of events
into one person's alerts from those stored recipients (or, in the pure rules, from
``concerned`` on a snapshot): their alert level decides what they hear, their own
actions never alert them, and one actor's burst becomes one alert, in the reader's
second person, naming the pieces it groups. ``load_inbox``, ``unread_alerts`` and
``summary_since`` serve the inbox, its unread count and the launch summary from the
person's read cursor and per-item read marks; ``alerts_in`` the live toasts, and
``UnreadTally`` the header's count between reads of the inbox.

The rules read nothing and write nothing; only the ``load_*`` functions and their
wrappers read the database (call them off the UI thread). Nothing here imports
Textual. Alert texts are plain text: render them with markup off.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from itertools import islice
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
    you,
)
from prodboard.domain.inbox_kinds import INBOX_KINDS, inbox_kind
from prodboard.domain.values import EventView, PersonView
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
    piece_ids: tuple[int, ...] = ()  # every piece it names, in order (a burst, a summary)
    inbox_kind: str = "system"  # one of INBOX_KINDS: what the inbox filters by
    written: tuple[str, ...] = ()  # what people wrote, whole (``text`` shortens it)

    @property
    def first_id(self) -> int:
        return self.event_ids[0]

    @property
    def last_id(self) -> int:
        return self.event_ids[-1]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "event_ids": list(self.event_ids),
                "piece_ids": list(self.piece_ids), "written": list(self.written)}


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
def event_text(event: EventView, wf: Workflow, me: str | None = None) -> str:
    """describe_event's line, plus the limits the event broke; ``me`` is "you"."""
    text = describe_event(event, wf, me=me)
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
        who = you(person_wip.get("person"), me)
        extra.append(f"{who} {'are' if who == 'you' else 'is'} over the personal WIP limit "
                     f"({person_wip.get('count')}/{person_wip.get('limit')})")
    return "; ".join([text, *extra])


def _merge_into(out: dict[str, list[Any]], event: EventView) -> None:
    for name, pair in event.changes.items():
        before, after = (list(pair) + [None, None])[:2]
        if name in out:
            out[name][1] = after
        else:
            out[name] = [before, after]


def merge_changes(events: Iterable[EventView]) -> dict[str, list[Any]]:
    """Field changes of several events on one piece: per field the first 'from' and
    the last 'to', in the order the fields first changed."""
    out: dict[str, list[Any]] = {}
    for ev in events:
        _merge_into(out, ev)
    return out


def _value(wf: Workflow, name: str, value: Any, me: str | None = None) -> str:
    if name == "stage":
        return _stage_name(wf, value)
    if value in (None, "", [], ()):
        return "nobody" if name == "owner" else "—"
    if name == "owner":
        return you(value, me)
    if isinstance(value, list | tuple):
        return _short(", ".join(str(v) for v in value), 20)
    return _short(value, 20)


NAMED = 3  # pieces a grouped alert names before "and N more"
# The free text an event may carry, whole, with what it is: the inbox shows it in full.
WRITTEN = {"body": "comment", "note": "requested changes", "reason": "reason",
           "override": "override"}


def written(ev: EventView) -> list[str]:
    """ "ana's comment: …": every free text in ``ev``, uncut."""
    return [f"{ev.actor}'s {what}: {value}" for key, what in WRITTEN.items()
            if isinstance(value := ev.data.get(key), str) and value.strip()]


def pieces_of(event: EventView) -> list[tuple[int, str]]:
    """The pieces an event names, with their titles: its own piece, and any a
    summarising event lists in its payload (``piece_ids`` with ``titles`` alongside,
    or the time checks' summary's ``pieces``)."""
    out: list[tuple[int, str]] = []
    if event.piece_id is not None:
        out.append((event.piece_id, str(event.data.get("title", ""))))
    ids, titles = event.data.get("piece_ids"), event.data.get("titles")
    if isinstance(ids, list):
        names = titles if isinstance(titles, list) else []
        out += [(int(pid), str(names[i]) if i < len(names) else "")
                for i, pid in enumerate(ids) if isinstance(pid, int) and pid != event.piece_id]
    listed = event.data.get("pieces")  # alert.summary: [{id, kind, title, due}, …]
    if isinstance(listed, list):
        out += [(p["id"], str(p.get("title", ""))) for p in listed
                if isinstance(p, dict) and isinstance(p.get("id"), int)]
    return out


def name_pieces(pieces: Mapping[int, str], most: int = NAMED) -> str:
    """ "'Launch', 'Q3 plan' and 4 more": the first ``most`` titles (or #ids) of
    ``pieces`` (id -> title, in order; only the first ``most`` are looked at)."""
    names = [f"'{_short(t, 30)}'" if t else f"#{pid}"
             for pid, t in islice(pieces.items(), most)]
    rest = len(pieces) - len(names)
    if rest > 0:
        return f"{', '.join(names)} and {rest} more"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else ""


class BurstSummary:
    """What one burst's alert says, kept up event by event.

    Each ``add`` costs the same however long the burst already is (nothing in it is
    gone over again), so a burst that grows over many feed batches (one person
    writing steadily never closes theirs) costs each batch only its new events.
    ``alerts_for`` folds every burst through one; the board's feed keeps one per
    actor's open burst. ``me`` (the reader) is "you" in the text.
    """

    def __init__(self, wf: Workflow, me: str | None = None) -> None:
        self.wf, self.me = wf, me
        self.count = 0
        self.first: EventView | None = None
        self.first_names = 0  # the pieces the first event names
        self.last: EventView | None = None
        self.kinds: dict[str, None] = {}
        self.pieces: dict[int | None, None] = {}  # each event's own piece, in order
        self.named: dict[int, str] = {}  # every piece named (id -> first title seen)
        self.ids: list[int] = []
        self.written: list[str] = []
        self.severity = "information"
        self.topics: set[str] = set()
        self.merged: dict[str, list[Any]] = {}  # merge_changes of the events so far
        self.data: dict[str, Any] = {}  # their payloads, later keys over earlier
        self.created: EventView | None = None
        self.notes: list[str] = []  # requested changes, shortened
        self.ticked: dict[str, None] = {}
        self.comments = 0
        self.first_comment: EventView | None = None
        # while every event is a time alert (alert.*): their texts, and pieces by label
        self.alert_texts: dict[str, None] | None = {}
        self.labels: dict[str, dict[int, str]] = {}

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, ev: EventView, severity: str = "information", topic: str = "system") -> None:
        """One more event of the burst, one the reader hears (``severity`` and the
        inbox ``topic`` as they hear it)."""
        named = pieces_of(ev)
        self.count += 1
        if self.first is None:
            self.first = ev
            self.first_names = len(named)
        self.last = ev
        self.kinds[ev.kind] = None
        self.pieces[ev.piece_id] = None
        for pid, title in named:
            self.named.setdefault(pid, title)
        self.ids.append(ev.id)
        self.written += written(ev)
        self.severity = _loudest((self.severity, severity))
        self.topics.add(topic)
        _merge_into(self.merged, ev)
        self.data.update(ev.data)
        if ev.kind == "piece.created" and self.created is None:
            self.created = ev
        if ev.kind == "piece.changes_requested" and ev.data.get("note"):
            self.notes.append(f"requested changes: {_short(ev.data['note'], NOTE_WIDTH)}")
        if ev.kind == "checklist.ticked":
            self.ticked[self.wf.label(str(ev.data.get("item", "")))] = None
        if ev.kind == "comment.added":
            self.comments += 1
            if self.first_comment is None:
                self.first_comment = ev
        if self.alert_texts is not None:
            if ev.kind.startswith("alert."):
                self.alert_texts[event_text(ev, self.wf, self.me)] = None
                label = self.labels.setdefault(ALERT_LABELS.get(ev.kind, ev.kind), {})
                for pid, title in named:
                    label.setdefault(pid, title)
            else:
                self.alert_texts, self.labels = None, {}

    def hear(self, ev: EventView, ctx: AlertContext) -> bool:
        """Add ``ev`` when the reader (``me``) hears it; whether they do."""
        me = _handle(self.me or "")
        if not hears(me, ev, ctx):
            return False
        self.add(ev, _severity(ev, me, ctx), inbox_kind(ev, reason_of(me, ev, ctx)))
        return True

    def text(self) -> str:
        """The one line for the burst ("ana moved 3 pieces: 'A', 'B' and 'C'"),
        naming the pieces it is about."""
        first, wf, me = self.first, self.wf, self.me
        assert first is not None, "an empty burst says nothing"
        if self.count == 1 and (self.first_names <= 1 or first.kind == "alert.summary"):
            return event_text(first, wf, me)  # a summary says itself what it stands for
        actor = first.actor
        if self.alert_texts is not None:
            if len(self.named) <= 1:
                return "; ".join(self.alert_texts)
            if len(self.labels) == 1:
                label = next(iter(self.labels))
                return f"{len(self.named)} pieces are {label}: {name_pieces(self.named)}"
            return f"{self.count} deadline alerts: " + ", ".join(
                f"{len(ps)} {label} ({name_pieces(ps)})" for label, ps in self.labels.items())
        if None not in self.pieces and len(self.pieces) == 1:
            return self._one_piece()
        if None not in self.pieces:
            noun = f"{len(self.named)} pieces: {name_pieces(self.named)}"
            if len(self.kinds) == 1 and first.kind in BURST_VERBS:
                return f"{actor} {BURST_VERBS[first.kind]} {noun}"
            return f"{actor} changed {noun}"
        if len(self.kinds) == 1 and first.kind in BOARD_BURSTS:
            return f"{actor} " + BOARD_BURSTS[first.kind].format(n=self.count)
        return f"{actor} made {self.count} changes"

    def _one_piece(self) -> str:
        """One piece, several events by one actor: one line with the net changes."""
        first, last, wf, me = self.first, self.last, self.wf, self.me
        assert first is not None and last is not None
        kinds, merged = self.kinds, dict(self.merged)
        title = f"'{_short(first.data.get('title', ''), 50)}'"
        if len(kinds) == 1 and first.kind in ("piece.moved", "piece.edited", "piece.assigned"):
            data = {**self.data, "title": first.data.get("title", ""), "changes": merged}
            merged_event = EventView(last.id, last.at, last.actor, first.kind, last.piece_id, data)
            return event_text(merged_event, wf, me)
        if len(kinds) == 1 and first.kind == "comment.added":
            return (f"{first.actor} commented {self.count} times on {title}: "
                    f"{_short(last.data.get('body'), 60)}")
        created = self.created
        if created is not None:  # a new piece: say where it ended up, not each step
            stage = merged.pop("stage", [None, created.data.get("stage")])[1]
            head = f"{first.actor} created {title} in {_stage_name(wf, stage)}"
        else:
            head = f"{first.actor} changed {title}"
        parts = [
            f"{name} {_value(wf, name, before, me)} → {_value(wf, name, after, me)}"
            if name in ("stage", "owner") else f"{name} {change_text(before, after)}"
            for name, (before, after) in merged.items()
            if name not in _HIDDEN and before != after
        ]
        parts += self.notes
        parts += [verb for kind, verb in _DONE_TO_PIECE.items() if kind in kinds]
        if self.ticked:
            parts.append("ticked " + ", ".join(self.ticked))
        if self.comments == 1 and self.first_comment is not None:
            parts.append(f"commented: {_short(self.first_comment.data.get('body'), 60)}")
        elif self.comments:
            parts.append(f"{self.comments} comments")
        if created is not None:
            return "; ".join([head, *parts])
        return f"{head}: {'; '.join(parts) or f'{self.count} changes'}"

    def alert(self) -> Alert:
        """The burst's alert for the reader, as it stands."""
        first, last = self.first, self.last
        assert first is not None and last is not None, "an empty burst alerts nobody"
        one_piece = len(self.pieces) == 1 and len(self.named) <= 1
        return Alert(
            recipient=self.me or "",
            severity=self.severity,
            text=self.text(),
            piece_id=next(iter(self.pieces)) if one_piece else None,
            event_ids=tuple(self.ids),
            actor=first.actor,
            kind=first.kind if len(self.kinds) == 1 else "burst",
            at=last.at,
            piece_ids=tuple(self.named),
            inbox_kind=next(k for k in INBOX_KINDS if k in self.topics),
            written=tuple(self.written),
        )


def burst_text(group: Sequence[EventView], wf: Workflow, me: str | None = None) -> str:
    """The one line for a coalesced burst ("ana moved 3 pieces: 'A', 'B' and 'C'"),
    naming the pieces it is about; ``me`` (the reader) is "you"."""
    summary = BurstSummary(wf, me)
    for ev in group:
        summary.add(ev)
    return summary.text()


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
        summary = BurstSummary(ctx.workflow, me)
        for ev in run:
            summary.hear(ev, ctx)
        if summary:
            out.append(summary.alert())
    return out


def read_recipients(queries: Queries, handle: str, events: Iterable[EventView],
                    cache: Stored) -> None:
    """Add to ``cache``, in one read, the rows ``handle`` holds among ``events`` it does
    not know yet (``{}`` for an event not theirs)."""
    new = [ev.id for ev in events if ev.id not in cache]
    if new:
        found = queries.recipients_for(_handle(handle), new)
        for i in new:
            cache[i] = found.get(i, {})


def alerts_in(queries: Queries, handle: str, events: Sequence[EventView],
              cache: Stored | None = None,
              people: Mapping[str, PersonView] | None = None) -> list[Alert]:
    """``handle``'s alerts for a batch from the change feed, from the recipients
    stored with the events (reads the database: for a thread worker). ``cache``
    keeps the rows read so far (``{}`` for an event not theirs), for a caller that
    sees one burst grow over many batches: each event's rows are read once.
    ``people``, when given, is the team as the caller last read it (else read now)."""
    if not events:
        return []
    me = _handle(handle)
    known: Stored = {} if cache is None else cache
    read_recipients(queries, me, events, known)
    if people is None:
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
    """A person's alerts after their read cursor, up to ``last_event_id``, each read
    or unread.

    Everything up to the cursor is read; above it, an alert is read when every event
    it stands for is in ``read_ids`` (marked one by one: ``Commands.mark_items``).
    ``unread`` is the one unread count: the header, the inbox title, the launch
    summary and ``inbox --json`` all show this inbox. "Mark all read" is
    ``Commands.mark_read(inbox.last_event_id)``: that also passes the events that
    alerted nobody, and nothing newer than what was shown.
    """

    handle: str
    alerts: tuple[Alert, ...]
    read_cursor: int
    last_event_id: int
    summary: str
    read_ids: frozenset[int] = frozenset()

    def is_read(self, alert: Alert) -> bool:
        return all(i in self.read_ids for i in alert.event_ids)

    @property
    def unread(self) -> int:
        return sum(1 for a in self.alerts if not self.is_read(a))

    def with_read(self, event_ids: Iterable[int], read: bool = True) -> Inbox:
        """This inbox with those events marked read (or unread): what the screen shows
        while the mark is being saved."""
        ids = set(event_ids)
        marks = self.read_ids | ids if read else self.read_ids - ids
        return replace(self, read_ids=frozenset(marks))

    def find(self, event_id: int) -> Alert | None:
        """The alert that stands for ``event_id`` (any of its events' ids)."""
        return next((a for a in self.alerts if event_id in a.event_ids), None)

    def item_json(self, alert: Alert) -> dict[str, Any]:
        """docs/json.md's inbox item: the alert, its id (its first event's) and read flag."""
        return {"id": alert.first_id, **alert.to_json(), "read": self.is_read(alert)}


def by_piece(alerts: Iterable[Alert]) -> list[tuple[int | None, list[Alert]]]:
    """Alerts grouped by the piece they are about, the group with the newest alert
    last (like the list). An alert naming several pieces is in each of their groups,
    so each can be opened from it; one about no piece is a group of its own."""
    groups: dict[Any, list[Alert]] = {}
    for alert in alerts:
        keys: list[Any] = list(alert.piece_ids) or [("board", alert.first_id)]
        for key in keys:
            group = groups.pop(key, [])  # re-inserted: the order follows the newest alert
            groups[key] = [*group, alert]
    return [(key if isinstance(key, int) else None, group) for key, group in groups.items()]


class UnreadTally:
    """The unread count kept up from each feed batch, without re-reading the inbox.

    Recipients are fixed when an event is written, so the batch's alerts say which
    of its events I hear. The inbox makes one alert of each run of events by one
    actor (``continues``) holding any I hear, so the tally walks every event in feed
    order, mine and unheard ones included (they end a run), and counts a run once,
    at the first event I hear in it. ``reset`` takes the count the inbox itself read
    and the last event it read (``upto``): those are counted already.
    """

    def __init__(self) -> None:
        self.count = 0
        self.upto = 0
        self._last: EventView | None = None
        self._counted = False  # the run ``_last`` is in has been counted

    def reset(self, count: int, upto: int | None = None) -> None:
        self.count = count
        if upto is not None:
            self.upto = max(self.upto, upto)

    def feed(self, events: Iterable[EventView], heard: Iterable[int]) -> bool:
        """Count what ``events`` (a feed batch, in order) add; whether the count moved."""
        mine = set(heard)
        before = self.count
        for ev in events:
            if ev.kind in NOISE:
                continue
            if self._last is None or not continues(self._last, ev):
                self._counted = False
            self._last = ev
            if ev.id in mine and not self._counted:
                self._counted = True
                if ev.id > self.upto:  # the inbox read up to ``upto`` counted it
                    self.count += 1
        return self.count != before


def _queries(source: Queries | _HasQueries) -> Queries:
    return source if isinstance(source, Queries) else source.queries


def load_inbox(
    source: Queries | _HasQueries, handle: str, *, since: int | None = None, limit: int = 10_000
) -> Inbox:
    """Read ``handle``'s alerts after their read cursor (or after ``since``) and
    which of them were marked read, from the recipients stored with the events: who
    they concerned when they happened, whatever has changed since.

    ``source`` is a Session or a Queries. At most ``limit`` events are read, oldest
    first; marking those read lets the next call read on. The summary counts the
    unread alerts only.
    """
    q = _queries(source)
    me = _handle(handle)
    cursor = q.read_cursor(me) if since is None else since
    events, stored = q.inbox_events(me, cursor, limit=limit)
    if not events:
        return Inbox(me, (), cursor, cursor, "")
    read_ids = q.read_items(me, cursor)
    ctx = AlertContext(q.wf, people={p.handle: p for p in q.people()}, stored=stored)
    alerts = alerts_for(me, events, ctx)
    box = Inbox(me, tuple(alerts), cursor, events[-1].id, "", read_ids)
    unread = [a for a in alerts if not box.is_read(a)]
    fresh = {i for a in unread for i in a.event_ids}
    summary = summarize(me, [ev for ev in events if ev.id in fresh], ctx, alerts=unread)
    return replace(box, summary=summary)


def unread_alerts(source: Queries | _HasQueries, handle: str) -> list[Alert]:
    """``handle``'s unread alerts (the inbox's), oldest first."""
    box = load_inbox(source, handle)
    return [a for a in box.alerts if not box.is_read(a)]


def summary_since(source: Queries | _HasQueries, handle: str, since: int | None = None) -> str:
    """The launch summary since ``since`` (default: the read cursor)."""
    return load_inbox(source, handle, since=since).summary

"""Plain-text descriptions of events and pieces, shared by the CLI, alerts and board."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from prodboard.domain import timefmt
from prodboard.domain.fields import BRIEF, BY_NAME, describe_name
from prodboard.domain.text import clean
from prodboard.domain.values import EventView, PieceView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput


def _stage_name(wf: Workflow, key: Any) -> str:
    try:
        return wf.stage(str(key)).name
    except BadInput:  # a stage since removed from the config
        return str(key)


def _short(value: Any, width: int = 40) -> str:
    text = clean(str(value)) if value not in (None, "") else "—"
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


NOTE_WIDTH = 280  # a request for changes is shown whole, up to a comment's length
VALUE_WIDTH = 20  # an edited value shown whole when both sides fit
CONTEXT = 8  # characters kept either side of what changed in a long value


def _flat(value: Any) -> str:
    if value in (None, "", [], ()):
        return "—"
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return " ".join(clean(str(value)).split())


def change_text(before: Any, after: Any, width: int = VALUE_WIDTH) -> str:
    """``before → after`` for an edited value, showing the part that changed: short
    values whole; long ones cut to what differs, with a little context either side
    ("…for March → …for April"), never two identical-looking cut values."""
    old, new = _flat(before), _flat(after)
    if len(old) <= width and len(new) <= width:
        return f"{old} → {new}"
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start = max(0, head - CONTEXT)

    def cut(text: str) -> str:
        end = min(len(text), len(text) - tail + CONTEXT)
        middle = text[start:end]
        if len(middle) > 3 * width:
            middle = middle[: 3 * width - 1] + "…"
        return ("…" if start else "") + middle + ("…" if end < len(text) else "")

    return f"{cut(old)} → {cut(new)}"


def you(handle: Any, me: str | None) -> str:
    """``handle`` as the reader sees it: "you" when it is the reader."""
    return "you" if me is not None and handle == me else str(handle)


def describe_event(ev: EventView, wf: Workflow, with_actor: bool = True,
                   me: str | None = None) -> str:
    """One line: who did what to which piece; ``me``, the reader, is "you"."""
    title = f"'{_short(ev.data.get('title', ''), 50)}'" if ev.piece_id else ""
    changes = ev.changes
    who = f"{ev.actor} " if with_actor else ""
    k = ev.kind
    if k in ("piece.moved", "piece.approved", "piece.changes_requested"):
        before, after = changes.get("stage", ["?", "?"])
        arrow = f"{_stage_name(wf, before)} → {_stage_name(wf, after)}"
        verb = {"piece.moved": "moved", "piece.approved": "approved",
                "piece.changes_requested": "requested changes on"}[k]
        extra = ""
        if "revision" in ev.data:
            extra = f" (revision {ev.data['revision']})"
        if ev.data.get("override"):
            extra += f" overriding the {'/'.join(ev.data.get('overridden', []))} gate: " \
                     f"{_short(ev.data['override'], 60)}"
        if ev.data.get("track"):
            extra += f" (the {ev.data['track']} track)"
        if ev.data.get("delegated"):
            extra += " (delegated" + (f" for {ev.data['on_behalf_of']})"
                                      if ev.data.get("on_behalf_of") else ")")
        if ev.data.get("note"):  # what the reviewer asks for: the writer's next step
            extra += f": {_short(ev.data['note'], NOTE_WIDTH)}"
        return f"{who}{verb} {title} {arrow}{extra}"
    if k == "piece.created":
        how = " (imported)" if ev.data.get("imported") else ""
        if ev.data.get("override"):
            how = f" overriding the {'/'.join(ev.data.get('overridden', []))} gate: " \
                  f"{_short(ev.data['override'], 60)}"
        return f"{who}created {title} in {_stage_name(wf, ev.data.get('stage'))}{how}"
    if k == "piece.edited":
        parts = [f"{describe_name(f)} {change_text(b, a)}" for f, (b, a) in changes.items()]
        return f"{who}edited {title}: " + "; ".join(parts)
    if k == "piece.assigned":
        before, after = changes.get("owner", [None, None])
        return (f"{who}assigned {title} to {you(after or 'nobody', me)} "
                f"(was {you(before or 'nobody', me)})")
    if k == "piece.reordered":
        return f"{who}reordered {title}"
    if k == "comment.added":
        return f"{who}commented on {title}: {_short(ev.data.get('body', ''), 60)}"
    if k in ("checklist.ticked", "checklist.unticked"):
        verb = "ticked" if k == "checklist.ticked" else "unticked"
        return f"{who}{verb} {wf.label(ev.data.get('item', ''))} on {title}"
    if k in ("piece.archived", "piece.rejected"):
        verb = "archived" if k == "piece.archived" else "rejected"
        reason = ev.data.get("reason")
        return f"{who}{verb} {title}" + (f": {_short(reason, 60)}" if reason else "")
    if k == "piece.restored":
        return f"{who}restored {title}"
    if k in ("piece.watched", "piece.unwatched"):
        return f"{who}{'started' if k == 'piece.watched' else 'stopped'} watching {title}"
    if k.startswith("person."):
        return who + describe_person(ev, me)
    if k == "board.renamed":
        return f"{who}renamed the board to '{_short(changes.get('board_name', ['', ''])[1])}'"
    if k.startswith("review."):
        return who + describe_review(ev, title, me)
    if k.startswith("alert."):
        return describe_alert(ev, wf, title, me)
    if k == "hook.disabled":
        d = ev.data
        return (f"{who}disabled webhook {d.get('hook_id')} ({_short(str(d.get('url', '')), 60)}) "
                f"after {d.get('failures')} failed deliveries: {_short(str(d.get('error', '')), 60)}")
    return f"{who}{k} {title}".rstrip()


def _person_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _short(value)


def describe_person(ev: EventView, me: str | None = None) -> str:
    """A team change without its actor: who, and each field before → after."""
    d, k = ev.data, ev.kind
    handle = you(d.get("handle", "?"), me)
    if k == "person.joined":
        return "joined the board"
    if k == "person.added":
        roles = ", ".join(d.get("roles") or ())
        return f"added {handle}" + (f" ({roles})" if roles else "")
    verbs = {"person.away": f"marked {handle} away", "person.back": f"marked {handle} back",
             "person.changed": f"changed {handle}"}
    head = verbs.get(k, k)
    note = d.get("away_note")
    if k == "person.away" and note:
        head += f" ({_short(note)})"
    hidden = {"away", "away_note"} if k in ("person.away", "person.back") else set()
    parts = [f"{f.replace('_', ' ')} {_person_value(b)} → {_person_value(a)}"
             for f, (b, a) in ev.changes.items() if f not in hidden]
    if parts:
        return f"{head}: " + "; ".join(parts)
    return head if k != "person.changed" else f"updated {handle}"


def describe_review(ev: EventView, title: str, me: str | None = None) -> str:
    """A review-track event without its actor."""
    d, k = ev.data, ev.kind
    reviewer = you(d.get("reviewer"), me)
    role = d.get("role") or d.get("track") or "?"
    if k == "review.assigned":
        via = {"named": "named reviewer", "previous": "reviewed it last time",
               "least_load": "fewest open reviews", "delegate": f"delegate of {d.get('instead_of')}"}
        return (f"routed the {role} review of {title} to {reviewer} "
                f"({via.get(str(d.get('via')), d.get('via'))})")
    if k == "review.turn":
        return f"opened the {role} review of {title} for {reviewer} (its turn)"
    if k == "review.unrouted":
        what = "an owner" if d.get("owner") else f"the {role} review"
        return f"found nobody for {what} of {title} (no one with the {role} role is available)"
    if k == "review.approved":
        proxy = f" (delegated for {d.get('on_behalf_of')})" if d.get("delegated") else ""
        done = ": every track approved" if d.get("complete") else ""
        return f"approved the {role} track of {title}{proxy}{done}"
    if k == "review.reassigned":
        return f"reassigned the {role} review of {title} to {reviewer} " \
               f"(was {you(d.get('previous') or 'nobody', me)})"
    return f"{k} {title}"


# What a piece with the alert is ("3 pieces are overdue"), in bursts and summaries.
ALERT_LABELS = {
    "alert.overdue": "overdue", "alert.due_soon": "due soon",
    "alert.review_overdue": "waiting too long in review", "alert.at_risk": "at risk",
    "alert.stage_overdue": "late in their stage",
    "alert.review_track_overdue": "past a review deadline",
    "alert.review_track_escalated": "escalated in review",
    "alert.summary": "summed up",  # "3 deadline alerts: 2 overdue, 1 summed up"
}
SUMMARY_LISTS = 3  # pieces a summary's line names; the event lists them all


def describe_summary(d: dict[str, Any], me: str | None = None) -> str:
    """"14 of wes's pieces need attention (12 overdue, 2 due soon): #3 'Launch post', …"
    ("of your pieces" when ``me`` is the owner)."""
    counts = d.get("counts")
    counts = counts if isinstance(counts, dict) else {}
    what = ", ".join(f"{n} {ALERT_LABELS.get(k, _short(k))}" for k, n in counts.items())
    pieces = [p for p in d.get("pieces") or () if isinstance(p, dict)]
    named = ", ".join(f"#{p.get('id')} '{_short(p.get('title', ''), 30)}'"
                      for p in pieces[:SUMMARY_LISTS])
    more = f" and {len(pieces) - SUMMARY_LISTS} more" if len(pieces) > SUMMARY_LISTS else ""
    owner = str(d.get("owner", ""))
    whose = "your" if me is not None and owner.lower() == me.lower() else f"{_short(owner)}'s"
    return f"{d.get('count', len(pieces))} of {whose} pieces need attention ({what}): {named}{more}"


def describe_alert(ev: EventView, wf: Workflow, title: str, me: str | None = None) -> str:
    d = ev.data
    k = ev.kind
    if k == "alert.summary":
        return describe_summary(d, me)
    reviewer = you(d.get("reviewer") or "nobody", me)
    if k == "alert.overdue":
        return f"{title} is overdue (due {d.get('due')})"
    if k == "alert.due_soon":
        return f"{title} is due soon ({d.get('due')})"
    if k == "alert.review_overdue":
        return f"{title} has waited in review more than {d.get('hours', '?')} h"
    if k == "alert.at_risk":
        away = "you are" if you(d.get("owner"), me) == "you" else f"{d.get('owner')} is"
        return f"{title} is at risk: {away} away and it is due {d.get('due')}"
    if k == "alert.review_track_overdue":
        return (f"the {d.get('role')} review of {title} is past its {d.get('hours', '?')} h "
                f"deadline ({reviewer}; their delegate may now decide)")
    if k == "alert.review_track_escalated":
        return (f"the {d.get('role')} review of {title} has waited more than "
                f"{d.get('hours', '?')} h ({reviewer})")
    if k == "alert.stage_overdue":
        return (f"{title} is late in {_stage_name(wf, d.get('stage'))} "
                f"(should have left it by {d.get('stage_due')})")
    return f"{k} {title}"


def change_requests(history: list[EventView]) -> list[dict[str, Any]]:
    """The reviewers' requests for changes in a piece's history, oldest first: when,
    by whom, which revision round, and the note (the writer's next step)."""
    return [
        {"at": ev.at, "by": ev.actor, "revision": ev.data.get("revision"),
         "note": str(ev.data.get("note", "")), "event_id": ev.id}
        for ev in history if ev.kind == "piece.changes_requested"
    ]


def piece_lines(p: PieceView, wf: Workflow, zone: tzinfo, now: datetime) -> list[str]:
    """The piece as readable lines for `prodboard show`, times in ``zone``."""
    stage = _stage_name(wf, p.stage)
    due = f"{p.due} ({timefmt.due_in(p.due, now, zone)})" if p.due else "-"
    lines = [
        f"#{p.id} {clean(p.title)}",
        f"  stage: {stage}   format: {p.format}   owner: {p.owner or '-'}   version: {p.version}",
        f"  due: {due}   publish: {p.publish_date or '-'}   priority: {p.priority}"
        f"   revision rounds: {p.revision_rounds}   cost: {p.cost:g}",
        f"  reviewers: {', '.join(p.reviewers) or '-'}   channels: {', '.join(p.channels) or '-'}"
        f"   tags: {', '.join(p.tags) or '-'}",
    ]
    if p.archived:
        lines.append(f"  ARCHIVED {('— ' + clean(p.archive_reason)) if p.archive_reason else ''}")
    if p.approved_by:
        how = " (delegated)" if p.approval_delegated else ""
        lines.append(f"  approved by {p.approved_by}{how} at "
                     + (timefmt.when(p.approved_at, zone, now) if p.approved_at else "-"))
    if p.tracks:  # who signs off what: prodboard reviews ID has the detail
        lines.append("  review tracks: " + ", ".join(
            f"{t.role} {t.reviewer or 'nobody'} {t.state}" for t in p.tracks))
    lines.append("\nBrief:")
    for f in BRIEF:
        lines.append(f"  {BY_NAME[f].describe}: {clean(getattr(p, f)) or '—'}")
    lines.append("\nChecklist:")
    for item in wf.checklist_for(p.format):
        tick = p.checklist.get(item)
        mark = f"[x] by {tick['by']} at {timefmt.clock_time(tick['at'], zone, now)}" if tick else "[ ]"
        lines.append(f"  {mark} {wf.label(item)}")
    return lines

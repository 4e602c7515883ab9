"""Alerts that reach a person in the background: which kinds, and the terminal escapes
that carry them (the bell, OSC 9 and OSC 777 desktop notifications).

Pure: the board's app decides when (only while the terminal says it is not focused)
and writes the bytes. Everything put inside an escape sequence is cleaned here, so a
title or comment cannot end the sequence early and smuggle in one of its own.
"""

from __future__ import annotations

import re

from prodboard.domain.audience import entered_stage
from prodboard.domain.text import clean_line
from prodboard.domain.values import EventView

# kind -> what the settings screen and the docs call it
KINDS: dict[str, str] = {
    "mention": "you are mentioned",
    "assignment": "a piece is assigned to you",
    "review_request": "your review is asked for",
    "changes_requested": "changes are requested",
    "approval": "a piece is approved",
    "overdue": "something is overdue",
    "due_soon": "a piece is due soon",
    "at_risk": "a piece is at risk",
    "comment": "a comment on your pieces",
    "team": "a change to the team",
}
DEFAULT_KINDS = ("mention", "assignment", "review_request", "changes_requested", "overdue")

_BY_EVENT = {
    "piece.assigned": "assignment",
    "review.assigned": "review_request", "review.turn": "review_request",
    "review.reassigned": "review_request",
    "piece.changes_requested": "changes_requested",
    "piece.approved": "approval", "review.approved": "approval",
    "alert.overdue": "overdue", "alert.review_overdue": "overdue",
    "alert.review_track_overdue": "overdue", "alert.stage_overdue": "overdue",
    "alert.review_track_escalated": "overdue",
    "alert.due_soon": "due_soon", "alert.at_risk": "at_risk",
}
TITLE_MAX = 60
BODY_MAX = 240
BEL = "\a"


def kind_of(event: EventView, me: str, roles: tuple[str, ...] = (),
            review_stage: str | None = None) -> str | None:
    """The notification kind of an event that alerts ``me`` (None: none of them).

    A comment naming me or one of my roles is a mention, any other a comment; a
    piece entering the approval stage (``review_stage``) asks the people it alerts
    for their review, as a review track routed to them does.
    """
    if event.kind == "comment.added":
        named = {str(m).lower() for m in event.data.get("mentions") or ()}
        return "mention" if named & {me.lower(), *(r.lower() for r in roles)} else "comment"
    if review_stage is not None and event.kind != "piece.created" \
            and entered_stage(event) == review_stage:
        return "review_request"
    if event.kind.startswith("person."):
        return "team"
    if event.kind == "piece.assigned":
        owner = event.changes.get("owner")
        return "assignment" if owner and owner[1] == me else None
    return _BY_EVENT.get(event.kind)


_BLANKS = re.compile(r"\s+")


def osc_text(text: str, limit: int) -> str:
    """``text`` fit for an OSC field: escapes and every control character removed
    (ESC, BEL, C1 too: they would end the sequence), ``;`` (OSC 777's field
    separator) made a comma, runs of blanks one space, at most ``limit`` characters."""
    line = clean_line(text).replace(";", ",")
    line = _BLANKS.sub(" ", line).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def desktop_escapes(title: str, body: str) -> str:
    """The OSC 777 (``notify;title;body``) and OSC 9 (one text) sequences for one
    notification: terminals that know neither ignore both."""
    t, b = osc_text(title, TITLE_MAX), osc_text(body, BODY_MAX)
    return f"\x1b]777;notify;{t};{b}{BEL}\x1b]9;{t}: {b}{BEL}"

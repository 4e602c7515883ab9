"""The inbox's kinds: what a person filters their inbox by, and the one table that
puts every event kind in one of them. Pure: the CLI's ``--kind`` choices and the
inbox screen read the names from here without importing the services."""

from __future__ import annotations

from prodboard.domain.values import EventView

# What the inbox filters by, most personal first (a burst of several takes the first
# it holds), with what each holds; KIND_OF puts every event kind in one of them.
INBOX_KINDS: dict[str, str] = {
    "mentions": "comments, and anything that mentions you",
    "assignments": "pieces given to or taken from someone, new pieces",
    "reviews": "approvals, requested changes, rejections, review routing",
    "deadlines": "overdue, due soon, at risk, review deadlines",
    "system": "moves, edits, checklists, archiving, the team, the board",
}
KIND_OF: dict[str, str] = {  # an event kind, or a prefix ending in ".", -> inbox kind
    "comment.added": "mentions",
    "piece.assigned": "assignments", "piece.created": "assignments",
    "piece.approved": "reviews", "piece.changes_requested": "reviews",
    "piece.rejected": "reviews", "review.": "reviews",
    "alert.": "deadlines",
    "piece.": "system", "checklist.": "system", "person.": "system", "board.": "system",
    "hook.": "system",
}


def inbox_kind(event: EventView, reason: str | None = None) -> str:
    """The inbox kind of one event (``reason``: why it concerned the reader)."""
    if reason == "mention":
        return "mentions"
    if event.kind in KIND_OF:
        return KIND_OF[event.kind]
    prefix = event.kind.split(".", 1)[0] + "."
    return KIND_OF.get(prefix, "system")

"""The production rules as pure functions of a piece and the workflow.

The commands call these inside their transaction, so the board and the command
line refuse and warn alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from prodboard.domain.values import PersonView, PieceView
from prodboard.domain.workflow import BRIEF_FIELDS, Workflow


@dataclass(frozen=True)
class GateCheck:
    """What a forward move from one stage past its gate still needs."""

    stage: str
    gate: str
    missing: tuple[str, ...]

    def reason(self) -> str:
        what = ", ".join(self.missing)
        if self.gate == "brief":
            return f"brief gate: the brief is missing {what}"
        if self.gate == "approval":
            if self.missing != ("an approval",):  # review tracks
                return f"review gate: still needs the {what} (prodboard reviews ID)"
            return "review gate: needs an approval (prodboard approve) or a request for changes"
        return f"pre-publish gate: not ticked: {what}"


def gate_checks(piece: PieceView, wf: Workflow, to_stage: str) -> list[GateCheck]:
    """Every gate between the piece's stage and ``to_stage`` (forward only) still unmet."""
    start, end = wf.index(piece.stage), wf.index(to_stage)
    failed: list[GateCheck] = []
    for st in wf.stages[start:end]:
        missing = gate_missing(piece, wf, st.gate)
        if missing:
            failed.append(GateCheck(st.key, st.gate, missing))
    return failed


def gate_missing(piece: PieceView, wf: Workflow, gate: str) -> tuple[str, ...]:
    if gate == "brief":
        return tuple(f.replace("_", " ") for f in BRIEF_FIELDS if not getattr(piece, f).strip())
    if gate == "approval":
        if piece.approved_by:
            return ()
        if piece.tracks:  # a format with review tracks: the tracks still to approve
            return tuple(f"{t.role} approval" for t in piece.tracks if t.state != "approved")
        return ("an approval",)
    if gate == "checklist":
        return tuple(
            wf.label(item) for item in wf.checklist_for(piece.format) if item not in piece.checklist
        )
    return ()


def is_revision(wf: Workflow, from_stage: str, to_stage: str) -> bool:
    """A move from the approval stage back to the stage before it is a revision round."""
    review = wf.gate_stage("approval")
    if review is None:
        return False
    i = wf.index(review.key)
    return from_stage == review.key and i > 0 and to_stage == wf.stages[i - 1].key


def can_override(person: PersonView | None, wf: Workflow) -> bool:
    return person is not None and bool(set(person.roles) & set(wf.override_roles))


def is_approver(person: PersonView | None, wf: Workflow) -> bool:
    return person is not None and bool(set(person.roles) & set(wf.approver_roles))


def request_changes_refusal(
    piece: PieceView, wf: Workflow, me: PersonView | None, delegators: set[str]
) -> str | None:
    """Why ``me`` may not send ``piece`` back for changes now, or None if they may.
    ``delegators`` are the people who named ``me`` their delegate. The board asks this
    before it asks for the note, and the command asks it again inside its transaction."""
    review = wf.gate_stage("approval")
    if review is None:
        return "this workflow has no approval stage"
    if piece.stage != review.key:
        return f"piece #{piece.id} is not in {review.name}"
    reviewers = set(piece.reviewers)
    handle = me.handle if me is not None else None
    if not (is_approver(me, wf) or handle in reviewers or reviewers & delegators):
        roles = " or ".join(wf.approver_roles)
        return f"only a {roles}, or one of the piece's reviewers, may request changes"
    return None


def review_overdue(piece: PieceView, wf: Workflow, now: datetime) -> bool:
    review = wf.gate_stage("approval")
    if review is None or piece.stage != review.key or piece.archived:
        return False
    entered = datetime.fromisoformat(piece.stage_entered_at)
    return now - entered > timedelta(hours=wf.review_sla_hours)


def due_state(piece: PieceView, wf: Workflow, now: datetime) -> str:
    """'overdue', 'due_soon' or '' for a piece not yet published."""
    if not piece.due or piece.stage == wf.last.key or piece.archived:
        return ""
    due_end = datetime.combine(date.fromisoformat(piece.due), datetime.max.time(), now.tzinfo)
    if due_end < now:
        return "overdue"
    if due_end - now <= timedelta(hours=wf.due_soon_hours):
        return "due_soon"
    return ""


def at_risk(piece: PieceView, owner: PersonView | None, wf: Workflow, today: date) -> bool:
    """The owner is away and the piece is due within ``at_risk_days``."""
    return owner is not None and owner.away and at_risk_days_left(piece, wf, today)


def stage_due_dates(publish: date, wf: Workflow) -> dict[str, date]:
    """Per-stage due dates derived backwards from the publish date.

    Follows the product's time budget: planning ~20 %, creation and review ~60 %,
    optimisation ~20 % of a 15-working-day cycle.
    """
    budget = {"ideas": 15, "brief": 12, "draft": 9, "review": 5, "optimize": 2, "scheduled": 0}
    return {
        st.key: _days_before(publish, budget[st.key])
        for st in wf.stages
        if st.key in budget
    }


def _days_before(day: date, days: int) -> date:
    """``day`` minus ``days``, or the first day there is (a publish date in year 1
    would otherwise overflow)."""
    return day - timedelta(days=days) if day.toordinal() > days else date.min


def at_risk_days_left(piece: PieceView, wf: Workflow, today: date) -> bool:
    """The piece is due within the at-risk window (whoever owns it)."""
    if not piece.due or piece.archived or piece.stage == wf.last.key:
        return False
    return date.fromisoformat(piece.due) - today <= timedelta(days=wf.at_risk_days)


def stage_overdue(piece: PieceView, wf: Workflow, today: date) -> date | None:
    """The derived due date of the piece's stage when it has passed (derive_stage_due)."""
    if not wf.derive_stage_due or not piece.publish_date or piece.archived:
        return None
    if piece.stage == wf.last.key:
        return None
    due = stage_due_dates(date.fromisoformat(piece.publish_date), wf).get(piece.stage)
    return due if due is not None and due < today else None

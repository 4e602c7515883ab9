"""Event texts say what changed, even when the values are long."""

from __future__ import annotations

from prodboard.domain.values import EventView, PersonView
from prodboard.domain.workflow import default_workflow
from prodboard.services.alerts import AlertContext, alerts_for, event_text

WF = default_workflow()
BEFORE, AFTER = "Newsletter #48: brief for the March launch", "Newsletter #48: brief for the April launch"


def edit(eid: int, changes: dict[str, list[object]]) -> EventView:
    return EventView(eid, "2026-11-20T09:00:00.000000+00:00", "ana", "piece.edited", 1,
                     {"title": BEFORE, "changes": changes, "version": eid})


def test_a_long_title_edit_shows_the_part_that_changed() -> None:
    text = event_text(edit(1, {"title": [BEFORE, AFTER]}), WF)
    old, new = text.split(": title ", 1)[1].split(" → ")
    assert "March" in old and "April" in new and old != new


def test_a_burst_of_edits_shows_the_changed_part_too() -> None:
    people = {"ben": PersonView("ben", "Ben", ("writer",), False, "", None, "all")}
    ctx = AlertContext(WF, people=people)
    middle = "Newsletter #48: brief for the May launch"
    events = [edit(1, {"title": [BEFORE, middle]}), edit(2, {"title": [middle, AFTER]})]
    [alert] = alerts_for("ben", events, ctx)
    assert "March" in alert.text and "April" in alert.text


def test_change_text() -> None:
    from prodboard.domain.describe import change_text  # here: main has no such function

    assert change_text("draft", "final") == "draft → final"
    assert change_text(None, "2025-04-01") == "— → 2025-04-01"
    assert change_text(["a", "b"], ["a"]) == "a, b → a"
    long_old, long_new = "x" * 30 + "tail", "x" * 30 + "TAIL"
    old, new = change_text(long_old, long_new).split(" → ")
    assert old.startswith("…") and old.endswith("tail") and new.endswith("TAIL")

"""Time-based alerts from the board: with a fake clock, two running boards raise the
review-deadline, overdue and at-risk alerts once each, and each person hears them once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from prodboard.services.alerts import load_inbox
from prodboard.services.context import Workspace
from prodboard.tui.app import make_app

from .helpers import shown_alerts, until

LATER = "2026-11-23T09:00:00+00:00"  # three days after the demo was made


def alert_events(session: Workspace) -> Counter[tuple[str, int | None]]:
    return Counter((e.kind, e.piece_id) for e in session.queries.events_since(0)
                   if e.kind.startswith("alert."))


async def test_time_alerts_once_across_two_boards(
    open_as: Callable[..., Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    open_as("ana").board.set_away("dev", True, "out sick")
    monkeypatch.setenv("PRODBOARD_NOW", LATER)
    ana, ben = make_app(open_as("ana"), live=True), make_app(open_as("ben"), live=True)
    ana_alerts, ben_alerts = shown_alerts(ana), shown_alerts(ben)
    async with ana.run_test(size=(120, 35), notifications=True) as pilot:
        async with ben.run_test(size=(120, 35), notifications=True) as ben_pilot:
            await until(pilot, lambda: ("alert.at_risk", 9) in alert_events(open_as()))
            last = open_as().queries.last_event_id()
            await until(pilot, lambda: ana.feed_cursor >= last and ben.feed_cursor >= last)
            await ben_pilot.pause(0.3)
            raised = alert_events(open_as())
            assert raised[("alert.review_overdue", 11)] == 1
            assert raised[("alert.at_risk", 9)] == 1
            assert raised[("alert.overdue", 10)] == 1
            for alerts in (ana_alerts, ben_alerts):  # no event toasted twice
                ids = [i for a in alerts for i in a.event_ids]
                assert len(ids) == len(set(ids))
            # each person hears it once: as a toast, or in the inbox if it was raised
            # before their board started following
            ben_inbox = load_inbox(open_as(), "ben").alerts
            assert sum(1 for a in ben_inbox if a.kind == "alert.review_overdue"
                       and 11 in [e.piece_id for e in open_as().queries.events_since(0)
                                  if e.id in a.event_ids]) >= 1
            ana_inbox = load_inbox(open_as(), "ana").alerts
            assert [a.piece_id for a in ana_inbox if a.kind == "alert.at_risk"] == [9]
            assert all(a.kind != "alert.review_overdue" for a in ana_inbox)  # not hers
            # the board marks the piece at risk (once its feed has applied the alert)
            await until(pilot, lambda: "⚠ risk" in "".join(
                str(ana.column("draft").cards.render_line(y).text) for y in range(12)))
    before = alert_events(open_as())
    again = make_app(open_as("ana"), live=True)
    checked: list[bool] = []
    run_checks = again.run_time_checks

    def checks() -> None:
        run_checks()
        checked.append(True)

    again.run_time_checks = checks  # type: ignore[method-assign]
    async with again.run_test(size=(120, 35)) as pilot:
        # the restarted board ran its time checks (a look, then its writes) to the end
        await until(pilot, lambda: bool(checked) and not any(
            w.group in ("write", "checks") and not w.is_finished for w in again.workers))
    assert alert_events(open_as()) == before  # a restart raises nothing new

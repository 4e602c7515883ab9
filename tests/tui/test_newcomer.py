"""Someone the board does not know is told, once, who they are and how to pick one
of its people; a person on the board is not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prodboard.services.context import Workspace
from prodboard.tui.app import make_app


def hints(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Who you are"]  # type: ignore[attr-defined]


async def test_a_guest_is_told_how_to_pick_a_person(
    open_as: Callable[..., Workspace], board_db: Path,
) -> None:
    app = make_app(open_as("zoe", newcomer=True), live=False)  # as an OS login would
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        [hint] = hints(app)
        assert hint.startswith("You are 'zoe', who is not on this board")
        assert "prodboard --user ana" in hint and "PRODBOARD_USER=ana" in hint
        assert "ana (" in hint and "prodboard join" in hint and str(board_db) in hint
        app.start_board(announce=False)  # a reopened board does not say it again
        await pilot.pause()
        assert len(hints(app)) == 1


async def test_a_person_on_the_board_gets_no_hint(open_as: Callable[..., Workspace]) -> None:
    app = make_app(open_as("ben"), live=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert hints(app) == []

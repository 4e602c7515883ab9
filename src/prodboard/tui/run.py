"""Entry from the CLI into the board."""

from __future__ import annotations

from prodboard.services.context import Workspace


def run_board(session: Workspace) -> None:
    from prodboard.tui.app import make_app

    make_app(session).run()

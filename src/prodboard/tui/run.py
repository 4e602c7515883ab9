"""Entry from the CLI into the board."""

from __future__ import annotations

from prodboard.services.context import Workspace


def run_board(session: Workspace) -> None:
    from prodboard.tui.app import make_app  # Textual loads only when the board runs

    make_app(session).run()

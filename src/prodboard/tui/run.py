"""Entry from the CLI into the board."""

from __future__ import annotations

from ..core.context import Session


def run_board(session: Session) -> None:
    from .app import make_app

    make_app(session).run()

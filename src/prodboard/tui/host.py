"""What a screen may read from the app it runs in, typed, without importing the app."""

from __future__ import annotations

from datetime import tzinfo
from typing import Protocol, runtime_checkable

from textual.dom import DOMNode

from prodboard.config.ui import UISettings
from prodboard.domain.workflow import Workflow
from prodboard.services.context import Workspace
from prodboard.tui.board_state import BoardState


@runtime_checkable
class Host(Protocol):
    """What a screen may read from the app it runs in (the app is never imported)."""

    session: Workspace  # replaced when a lost board file is reopened: read it when needed
    wf: Workflow
    ui: UISettings
    zone: tzinfo  # the zone times are shown in (config/zone.py)
    model: BoardState  # the pieces the board holds, and its filter (the calendar shows them too)

    def writable(self) -> bool:
        """False (and says so) on a read-only or lost board, before any form opens."""
        ...


def host(node: DOMNode) -> Host:
    """The app ``node`` runs in, as a Host (screens change things by posting messages)."""
    app = node.app
    if not isinstance(app, Host):
        raise TypeError(f"{type(app).__name__} is not a prodboard board app")
    return app

"""The messages that carry changes to the app: from the feed worker, from the write
workers, and up from the screens. The app handles each in one ``on_*`` method; no
screen calls back into the app.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from textual.message import Message
from textual.message_pump import MessagePump

from prodboard.domain.values import EventView, PieceView
from prodboard.errors import ProdboardError
from prodboard.services.alerts import Alert
from prodboard.services.commands import Commands

Job = Callable[[Commands], object]  # a command, run on the writer thread with the board


@dataclass(frozen=True)
class Reads:
    """What the feed worker read for a batch, off the event loop."""

    pieces: list[PieceView] = field(default_factory=list)
    alerts: dict[str, list[Alert]] = field(default_factory=dict)  # by actor
    # actor -> their open burst: its first event, then the ones this batch added to it
    bursts: dict[str, list[EventView]] = field(default_factory=dict)
    away: set[str] | None = None  # the people away, when a person changed


class EventsArrived(Message, bubble=False):
    """The feed brought ``events`` (others' changes, or mine from elsewhere), and the
    worker already read what they touch."""

    def __init__(self, events: Sequence[EventView], reads: Reads) -> None:
        super().__init__()
        self.events = list(events)
        self.reads = reads


class PieceSaved(Message, bubble=False):
    """A write succeeded. ``pieces`` are the new states to show; ``result`` is what
    the command returned; ``focus`` a piece the focus follows (a moved card)."""

    def __init__(self, result: object, pieces: Sequence[PieceView], *,
                 focus: int | None = None, note: str = "") -> None:
        super().__init__()
        self.result = result
        self.pieces = list(pieces)
        self.focus = focus
        self.note = note  # a line to tell the person ("#12 approved")


class WriteFailed(Message, bubble=False):
    """A write was refused or conflicted: it is shown, and a form keeps what was typed."""

    def __init__(self, error: ProdboardError) -> None:
        super().__init__()
        self.error = error


class SaveRequested(Message):
    """A screen asks for ``job`` to run on the writer thread. ``reply_to`` gets the
    PieceSaved / WriteFailed too (a form closes, or shows why not)."""

    def __init__(self, job: Job, *, reply_to: MessagePump | None = None,
                 note: str = "") -> None:
        super().__init__()
        self.job = job
        self.reply_to = reply_to
        self.note = note


Decision = Literal["approve", "request-changes", "override"]


class DecisionRequested(Message):
    """The piece screen asks for a decision on ``piece`` (the app checks the rules and
    asks for a reason where one is needed)."""

    def __init__(self, decision: Decision, piece: PieceView) -> None:
        super().__init__()
        self.decision = decision
        self.piece = piece


class LaunchNoticesAway(Message):
    """A form or the inbox opened: these launch notices ("demo": where the demo board
    is and who you are on it; "summary": the unread summary) would cover it at 80x24."""

    def __init__(self, kinds: tuple[str, ...]) -> None:
        super().__init__()
        self.kinds = kinds


class FocusPiece(Message):
    """Put the board's focus on a piece (the inbox's enter)."""

    def __init__(self, piece_id: int) -> None:
        super().__init__()
        self.piece_id = piece_id


class ShowFocus(Message):
    """The board was laid out again (resize, back from a screen): bring the focus into view."""

"""Reassign a review track: pick a waiting track and the person (holding its role)
who takes it. The command decides who may; a refusal keeps the form open."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from prodboard.domain import reviews as rv
from prodboard.domain.values import PersonView, PieceView
from prodboard.tui.screens.forms import FormScreen


class ReassignForm(FormScreen):
    """One option per (waiting track, person with its role who could take it)."""

    def __init__(self, piece: PieceView, people: list[PersonView]) -> None:
        super().__init__()
        self.piece = piece
        self.choices: list[tuple[str, str]] = []
        for t in sorted(piece.tracks, key=lambda t: t.position):
            if t.state != rv.WAITING:
                continue
            for p in people:
                if t.role in p.roles and p.handle != piece.owner and not p.away:
                    self.choices.append((t.role, p.handle))

    def compose(self) -> ComposeResult:
        with Vertical(classes="form form-small"):
            yield Label(Content(f"Reassign a review of #{self.piece.id} {self.piece.title}"),
                        classes="form-title")
            current = {t.role: t.reviewer for t in self.piece.tracks}
            options = []
            for i, (role, handle) in enumerate(self.choices):
                mark = "● " if current.get(role) == handle else "  "
                options.append(Option(Content(f"{mark}{role} → {handle}"), id=str(i)))
            if not options:
                options.append(Option(Content("no waiting track anyone else could take"),
                                      id="-", disabled=True))
            yield OptionList(*options, id="tracks")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        olist = self.query_one(OptionList)
        if olist.highlighted is None or not self.choices:
            return
        role, handle = self.choices[olist.highlighted]
        pid = self.piece.id
        self.submit(lambda board: board.reassign_track(pid, role, handle))

"""The review-track commands: ``reviews ID`` (the tracks), ``reassign ID ROLE USER``,
and what ``approve`` and ``ls --awaiting-me`` print for them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import click

from prodboard.cli.base import PIECE_ID, Ctx, emit_json, fail, pass_ctx
from prodboard.cli.board import cli
from prodboard.domain import reviews as rv
from prodboard.domain.text import clean
from prodboard.domain.timefmt import clock_time
from prodboard.domain.values import PieceView

if TYPE_CHECKING:  # commands import the services when they run, not at import
    from prodboard.services.context import Workspace


def approved_line(piece: PieceView, me: str) -> str:
    """``#12 approved → optimize``; for a track still in review, which tracks remain."""
    if not piece.tracks or piece.approved_by:
        how = " (delegated)" if piece.approval_delegated else ""
        return f"#{piece.id} approved{how} → {piece.stage}"
    mine = max((t for t in piece.tracks if t.decided_by == me and t.state == rv.APPROVED),
               key=lambda t: t.decided_at or "", default=None)
    track = f" the {mine.role} track" if mine else ""
    how = " (delegated)" if mine and mine.delegated else ""
    return f"#{piece.id} approved{track}{how}; tracks: {rv.compact(piece.tracks)}"


def awaiting_me(s: Workspace, pieces: Iterable[PieceView]) -> Iterator[PieceView]:
    """The pieces whose review waits on the session's person (a track of theirs, or one
    they may decide as a delegate now that its deadline has passed), as they come."""
    delegators = {p.handle for p in s.queries.people() if p.delegate == s.user}
    now = s.board.clock()
    return (p for p in pieces if rv.awaiting(p, s.workflow, s.user, delegators, now))


def track_lines(piece: PieceView, s: Workspace) -> list[str]:
    wf = s.workflow
    from prodboard.config.zone import display_zone  # imported when the command runs

    now, zone = s.board.clock(), display_zone(s.config_path)
    seq = wf.sequential(piece.format)
    opened = {t.role for t in rv.open_tracks(piece.tracks, seq)}
    lines = [f"#{piece.id} {clean(piece.title)}: {'sequential' if seq else 'parallel'} review, "
             f"{rv.compact(piece.tracks)}"]
    for t in sorted(piece.tracks, key=lambda t: t.position):
        if t.state == rv.WAITING:
            state = "waiting" if t.role in opened else "not yet (waits its turn)"
            timing = (f"   waited {rv.hours(rv.waited_for(t, now))}, "
                      f"left {rv.hours(rv.time_left(t, wf.review_sla_hours, now))}"
                      if t.role in opened else "")
        else:
            word = "approved" if t.state == rv.APPROVED else "changes requested"
            proxy = " (delegated)" if t.delegated else ""
            at = clock_time(t.decided_at, zone, now) if t.decided_at else "-"
            state = f"{word} by {t.decided_by}{proxy} at {at}"
            timing = ""
        lines.append(f"  {t.role:<12} {(t.reviewer or 'nobody'):<12} {state}{timing}")
        if t.note:
            lines.append(f"  {'':<12} note: {clean(t.note)}")
    return lines


@cli.command("reviews")
@click.argument("piece_id", type=PIECE_ID)
@click.option("--json", "as_json", is_flag=True, help="The tracks as one JSON list.")
@pass_ctx
def reviews_cmd(c: Ctx, piece_id: int, as_json: bool) -> None:
    """A piece's review tracks: reviewer, decision, time waited and left."""
    s = c.session()
    piece = s.queries.piece(piece_id)
    if piece is None:
        fail(f"no piece #{piece_id}", 2)
        return
    if as_json:
        emit_json([t.to_json() for t in piece.tracks])
        return
    if not piece.tracks:
        review = s.workflow.gate_stage("approval")
        if not s.workflow.reviews_for(piece.format):
            click.echo(f"#{piece.id}: {piece.format} has no review tracks (one approval)")
        else:
            click.echo(f"#{piece.id} is not in {review.name if review else 'review'}")
        return
    for line in track_lines(piece, s):
        click.echo(line)


@cli.command("reassign")
@click.argument("piece_id", type=PIECE_ID)
@click.argument("role")
@click.argument("user")
@pass_ctx
def reassign_cmd(c: Ctx, piece_id: int, role: str, user: str) -> None:
    """Give the ROLE review track of a piece to USER (the track's reviewer, or a
    manager or admin, may)."""
    piece = c.session().board.reassign_track(piece_id, role, user)
    who = next((t.reviewer for t in piece.tracks if t.role == role.strip().lower()), user)
    click.echo(f"#{piece.id} {role.strip().lower()} track → {who}")

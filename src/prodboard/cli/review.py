"""Review: approve, request changes, reject."""

from __future__ import annotations

import click

from prodboard.cli.base import PIECE_ID, Ctx, pass_ctx
from prodboard.cli.board import cli
from prodboard.cli.tracks import approved_line


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--track", default=None, metavar="ROLE",
              help="The review track to approve (default: the one waiting on you).")
@pass_ctx
def approve(c: Ctx, piece_id: int, track: str | None) -> None:
    """Approve a piece in review (moves it on), or your track of it."""
    piece = c.session().board.approve(piece_id, track=track)
    click.echo(approved_line(piece, c.session().user))


@cli.command("request-changes")
@click.argument("piece_id", type=PIECE_ID)
@click.option("--note", required=True, help="What needs changing.")
@click.option("--track", default=None, metavar="ROLE",
              help="The review track asking (default: the one waiting on you).")
@pass_ctx
def request_changes(c: Ctx, piece_id: int, note: str, track: str | None) -> None:
    """Send a piece in review back to draft: one revision round."""
    piece = c.session().board.request_changes(piece_id, note, track=track)
    click.echo(f"#{piece.id} → {piece.stage} (revision {piece.revision_rounds})")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--reason", required=True)
@pass_ctx
def reject(c: Ctx, piece_id: int, reason: str) -> None:
    """Reject a piece: archive it with a reason."""
    c.session().board.reject(piece_id, reason)
    click.echo(f"#{piece_id} rejected")

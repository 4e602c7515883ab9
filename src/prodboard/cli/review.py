"""Review: approve, request changes, reject."""

from __future__ import annotations

import click

from prodboard.cli.base import PIECE_ID, Ctx, pass_ctx
from prodboard.cli.board import cli


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@pass_ctx
def approve(c: Ctx, piece_id: int) -> None:
    """Approve a piece in review (moves it on)."""
    piece = c.session().board.approve(piece_id)
    how = " (delegated)" if piece.approval_delegated else ""
    click.echo(f"#{piece.id} approved{how} → {piece.stage}")


@cli.command("request-changes")
@click.argument("piece_id", type=PIECE_ID)
@click.option("--note", required=True, help="What needs changing.")
@pass_ctx
def request_changes(c: Ctx, piece_id: int, note: str) -> None:
    """Send a piece in review back to draft: one revision round."""
    piece = c.session().board.request_changes(piece_id, note)
    click.echo(f"#{piece.id} → {piece.stage} (revision {piece.revision_rounds})")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--reason", required=True)
@pass_ctx
def reject(c: Ctx, piece_id: int, reason: str) -> None:
    """Reject a piece: archive it with a reason."""
    c.session().board.reject(piece_id, reason)
    click.echo(f"#{piece_id} rejected")

"""Pieces: add, edit, move, assign, comment, tick, archive, restore, show, ls."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click

from prodboard.cli.base import PIECE_ID, VERSION, Ctx, emit_json, emit_json_array, pass_ctx, read_stdin
from prodboard.cli.board import cli
from prodboard.cli.fields import field_options, given
from prodboard.domain.describe import change_requests, describe_event, piece_lines
from prodboard.domain.text import clean, clean_line
from prodboard.domain.timefmt import clock_time
from prodboard.domain.values import PieceView
from prodboard.errors import NotFound


@cli.command()
@click.argument("title")
@field_options("add")
@click.option("--override", default=None, metavar="REASON",
              help="Create past a gate (role-limited), e.g. work done elsewhere.")
@pass_ctx
def add(c: Ctx, /, title: str, override: str | None, **options: Any) -> None:
    """Add a piece; prints its id. A piece added past a gate must meet it."""
    fields = given(options)
    stage, owner = fields.pop("stage", None), fields.pop("owner", None)
    pid = c.session().board.create(title, stage=stage, owner=owner, override=override, **fields)
    click.echo(pid)


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@field_options("edit")
@click.option("--version", "base_version", type=VERSION, default=None,
              help="The version you edited from: a conflicting change is refused.")
@pass_ctx
def edit(c: Ctx, /, piece_id: int, base_version: int | None, **options: Any) -> None:
    """Edit fields of a piece (--title, --due, --audience, …)."""
    piece = c.session().board.edit(piece_id, given(options), base_version=base_version)
    click.echo(f"#{piece.id} version {piece.version}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.argument("stage")
@click.option("--override", default=None, metavar="REASON", help="Force past a gate (role-limited).")
@click.option("--version", "base_version", type=VERSION, default=None,
              help="Refuse if someone else moved it since this version.")
@pass_ctx
def move(c: Ctx, piece_id: int, stage: str, override: str | None, base_version: int | None) -> None:
    """Move a piece to STAGE; exits 1 with the reason when a rule refuses."""
    piece = c.session().board.move(piece_id, stage, base_version=base_version, override=override)
    click.echo(f"#{piece.id} → {piece.stage}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.argument("user")
@pass_ctx
def assign(c: Ctx, piece_id: int, user: str) -> None:
    """Give a piece to USER ('me' for yourself, '-' for nobody)."""
    board = c.session().board
    who = None if user in ("-", "none") else board.actor if user.lower() == "me" else user
    piece = board.assign(piece_id, who)
    click.echo(f"#{piece.id} → {piece.owner or 'nobody'}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.argument("text")
@pass_ctx
def comment(c: Ctx, piece_id: int, text: str) -> None:
    """Comment on a piece ('-' reads the text from stdin); @handle and @role mention."""
    body = read_stdin() if text == "-" else text
    cid = c.session().board.comment(piece_id, body)
    click.echo(cid)


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--reason", default="")
@pass_ctx
def archive(c: Ctx, piece_id: int, reason: str) -> None:
    """Archive a piece."""
    c.session().board.archive(piece_id, reason)
    click.echo(f"#{piece_id} archived")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.argument("item")
@click.option("--undo", is_flag=True, help="Untick instead.")
@pass_ctx
def tick(c: Ctx, piece_id: int, item: str, undo: bool) -> None:
    """Tick a pre-publish checklist item (brand_voice, seo, legal, channels, analytics)."""
    c.session().board.tick(piece_id, item, not undo)
    click.echo(f"#{piece_id} {clean_line(item)} {'unticked' if undo else 'ticked'}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def show(c: Ctx, piece_id: int, as_json: bool) -> None:
    """Show a piece with its comments and full history."""
    s = c.session()
    piece = s.queries.piece(piece_id)
    if piece is None:
        raise NotFound(f"no piece #{piece_id}")
    comments = s.queries.comments(piece_id)
    history = s.queries.history(piece_id)
    requests = change_requests(history)
    if as_json:  # docs/json.md: a Piece, plus its thread, history and change requests
        emit_json({**piece.to_json(), "comments": [x.to_json() for x in comments],
                   "history": [e.to_json() for e in history], "change_requests": requests})
        return
    from prodboard.config.zone import display_zone  # imported when the command runs

    zone, now = display_zone(s.config_path), s.board.clock()
    for line in piece_lines(piece, s.workflow, zone, now):
        click.echo(line)
    if requests:
        click.echo("\nChanges requested:")
    for r in requests:
        click.echo(f"  {clock_time(r['at'], zone, now)} {r['by']} (revision {r['revision']}): "
                   f"{clean(r['note'])}")
    click.echo("\nComments:" if comments else "\nNo comments.")
    for cm in comments:
        click.echo(f"  {clock_time(cm.created_at, zone, now)} {cm.author}: {clean(cm.body)}")
    click.echo("\nHistory:")
    for ev in history:
        click.echo(f"  {clock_time(ev.at, zone, now)} {describe_event(ev, s.workflow)}")


@cli.command("ls")
@click.option("--stage", default=None)
@click.option("--owner", default=None)
@click.option("--archived", is_flag=True, help="List archived pieces instead.")
@click.option("--awaiting-me", is_flag=True, help="Only the pieces whose review waits on you.")
@click.option("--mine", is_flag=True,
              help="My work: the pieces you own and the ones waiting on your review.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ls_cmd(c: Ctx, stage: str | None, owner: str | None, archived: bool, awaiting_me: bool,
           mine: bool, as_json: bool) -> None:
    """List pieces in board order (--owner me: yours)."""
    s = c.session()
    if owner is not None and owner.lower() == "me":
        owner = s.user
    if as_json and not (awaiting_me or mine):  # the JSON straight from the rows, streamed
        emit_json_array(s.queries.iter_piece_json(stage=stage, owner=owner, archived=archived))
        return
    pieces: Iterable[PieceView] = s.queries.iter_pieces(stage=stage, owner=owner,
                                                         archived=archived)  # streamed
    if awaiting_me or mine:  # (imported with its commands only then)
        from prodboard.cli.tracks import awaiting_me as waiting_on
    if awaiting_me:
        pieces = waiting_on(s, pieces)
    if mine:
        pieces = list(pieces)  # read twice: the owner's and the reviews waiting on them
        waiting = {p.id for p in waiting_on(s, pieces)}
        pieces = [p for p in pieces if p.owner == s.user or p.id in waiting]
    if as_json:
        emit_json_array(p.to_json() for p in pieces)
        return
    for p in pieces:
        click.echo(_piece_row(p))


def _piece_row(p: PieceView) -> str:
    due = p.due or "-"
    return f"{p.id:>5}  {p.stage:<10} {due:<10} {(p.owner or '-'):<10} {clean(p.title)}"

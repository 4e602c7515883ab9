"""`prodboard migrate --to URL_OR_FILE`: copy the board, whole, to a new place."""

from __future__ import annotations

import os

import click

from prodboard.cli.base import Ctx, pass_ctx
from prodboard.cli.board import cli
from prodboard.cli.transfer import Bar
from prodboard.domain.text import clean
from prodboard.errors import BadInput


@cli.command()
@click.option("--to", "target", required=True, metavar="URL_OR_FILE",
              help="Where the copy goes: a new board file, or postgresql://…[?board=NAME] "
                   "(a new or empty board).")
@pass_ctx
def migrate(c: Ctx, target: str) -> None:
    """Copy this board (every table, ids kept) to another file or PostgreSQL board.

    Refused when the target already holds a board. The copy's row counts and the
    checksum of its events are checked against this board's.
    """
    from prodboard.services.migrate import migrate as copy_board  # storage: only when it runs
    from prodboard.storage.store import is_postgres_url

    if not target.strip() or not target.isprintable():
        raise BadInput("--to: the target has control characters or is empty; name a "
                       "file or a postgresql:// URL")
    if not is_postgres_url(target) and target.endswith(("/", os.sep)):
        raise BadInput(f"--to: {target} names a folder; name the new board file in it")
    source = c.session().store
    bar = Bar("copying")  # on a terminal, for a big board: as import shows it
    try:
        copied = copy_board(source, target, bar)
    except BadInput as exc:  # the URL checks name --db; here it was the target
        if exc.message.startswith("--db: "):
            raise BadInput(f"--to: {exc.message.removeprefix('--db: ')}") from None
        raise
    finally:
        bar.close()
    click.echo(f"Copied {clean(source.location)} to {clean(copied.target)}:")
    for table, n in copied.counts.items():
        click.echo(f"  {table:<12} {n:>8}")
    click.echo(f"  events checksum (sha256) {copied.checksum}")

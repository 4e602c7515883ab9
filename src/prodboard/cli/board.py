"""The root command: global options, the board itself (no command), and `init`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from prodboard.cli.base import Ctx, ProdboardGroup, pass_ctx
from prodboard.domain.text import clean, one_line
from prodboard.errors import BadInput


@click.group(cls=ProdboardGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="PRODBOARD_DB",
              help="Board database: a file (default: the user data dir's board.db) or "
                   "postgresql://[user@]host[:port]/dbname[?board=NAME].")
@click.option("--board", "board_name", envvar="PRODBOARD_BOARD", default=None,
              help="Which board on a PostgreSQL server (default: prodboard).")
@click.option("--user", envvar="PRODBOARD_USER", help="Who you are (default: your OS login).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
              envvar="PRODBOARD_CONFIG",
              help="The team's config: workflow and rules (TOML; default: beside the board).")
@click.version_option(package_name="prodboard")
@click.pass_context
def cli(ctx: click.Context, db: str | None, board_name: str | None, user: str | None,
        config: Path | None) -> None:
    """prodboard: the production board for content teams.

    With no command, opens the board.
    """
    if db is not None and Path(db).expanduser().is_dir() and not _is_postgres_url(db):
        raise click.BadParameter(f"{db!r} is a directory, not a board file", param_hint="'--db'")
    c = ctx.obj = Ctx(db, user, config, board_name)
    ctx.call_on_close(c.close)
    if ctx.invoked_subcommand is None:
        if not (sys.stdout.isatty() and sys.stdin.isatty()):
            # Textual would wait for a terminal that never answers, writing escapes.
            raise BadInput("the board needs a terminal (stdin and stdout); "
                           "for a listing use: prodboard ls")
        c.board = True
        session = c.session(demo_if_missing=True)  # only here may a demo appear
        if session.note:
            click.echo(f"prodboard: {clean(session.note)}", err=True)
        session.require_member()  # a guest is told how to join, not let in to fail later
        from prodboard.tui.run import run_board  # Textual is only imported for the board

        run_board(session)


@cli.command()
@click.option("--demo", is_flag=True, help="Fill the new board with the demo team and pieces.")
@click.option("--history", is_flag=True,
              help="With --demo: twelve weeks of the team's past work (for the Metrics screen).")
@click.option("--name", default=None, help="The board's name.")
@pass_ctx
def init(c: Ctx, demo: bool, history: bool, name: str | None) -> None:
    """Create the board database (empty, or with --demo the demo team and pieces)."""
    if history and not demo:
        raise BadInput("--history goes with --demo")
    from prodboard.services.demo_history import play_history
    from prodboard.storage.store import remove_board

    s = c.session(create=True, demo=demo, newcomer=True)
    if not s.created:
        raise BadInput(f"{s.store.location} already holds a board")
    if name or history:
        try:
            if history:
                play_history(s.board)
            if name:
                s.board.rename(name)
        except BaseException:
            s.close()
            remove_board(s.store.location, c.board_name)  # a failed init leaves no half-made board
            raise
    click.echo(f"created {one_line(s.store.location)}")


def _is_postgres_url(db: str) -> bool:
    from prodboard.storage.store import is_postgres_url  # storage: only when --db is given

    return is_postgres_url(db)

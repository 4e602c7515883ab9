"""Work in and out from the command line: export, import, backup, restore, info."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from prodboard.cli.base import Ctx, emit_json, fail, pass_ctx
from prodboard.cli.board import cli
from prodboard.domain.text import clean, one_line

PROGRESS_FROM = 300  # pieces: a bigger import shows a progress bar (on a terminal)


def _write_out(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    tmp = out.with_name(f".{out.name}.part")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(out)  # a reader never sees half a file
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        fail(f"cannot write {out}: {exc.strerror}", 2)


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              help="json: everything, re-importable; csv: one row per piece.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to FILE instead of standard output.")
@pass_ctx
def export_cmd(c: Ctx, fmt: str, out: Path | None) -> None:
    """Export the board (JSON: people, pieces, comments, ticks, cursors, history)."""
    from prodboard.services.transfer import export

    _write_out(export(c.session().store, fmt), out)
    if out is not None:
        click.echo(f"exported to {one_line(str(out))}", err=True)


class Bar:
    """A rich progress bar on stderr, shown only on a terminal and for big imports
    (and copies: ``migrate``)."""

    def __init__(self, label: str = "importing") -> None:
        self.label = label
        self.progress: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM or not sys.stderr.isatty():
            return
        if self.progress is None:
            from rich.console import Console
            from rich.progress import Progress

            self.progress = Progress(console=Console(stderr=True), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, completed=done)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "trello"]), default=None,
              help="Default: from the file (.csv is CSV; JSON is a prodboard or Trello export).")
@click.option("--map", "stage_map", default=None, metavar="'LIST=stage,…'",
              help="Source lists or status values -> stages.")
@click.option("--people", "people_map", default=None, metavar="'NAME=handle,…'",
              help="Source people (Trello username, CSV owner) -> handles here.")
@click.option("--columns", default=None, metavar="'HEADER=field,…'", help="CSV headers -> fields.")
@click.option("--dry-run", is_flag=True, help="Say what would be created, updated, skipped; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="The outcome as one JSON object.")
@pass_ctx
def import_cmd(c: Ctx, file: Path, fmt: str | None, stage_map: str | None, people_map: str | None,
               columns: str | None, dry_run: bool, as_json: bool) -> None:
    """Import pieces from a CSV file, a prodboard JSON export or a Trello board export.

    All or nothing; importing the same file again updates what it made.
    """
    from prodboard.services.importing import ImportReport
    from prodboard.services.imports import run_import

    s = c.session()
    bar = Bar()
    try:
        result = run_import(s.board, file, fmt=fmt, stage_map=stage_map, people_map=people_map,
                            columns=columns, dry_run=dry_run, progress=bar)
    finally:
        bar.close()
    warnings = result.warnings if isinstance(result, ImportReport) else []
    for warning in warnings:
        click.echo(f"prodboard: warning: {one_line(warning)}", err=True)
    if as_json:
        emit_json(result.to_json())
        return
    if isinstance(result, ImportReport) and dry_run:
        for line in result.lines():
            click.echo(clean(line))
    click.echo(result.summary())




@cli.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_ctx
def backup_cmd(c: Ctx, file: Path, force: bool) -> None:
    """A consistent, verified copy of the board while it is open (SQLite backup API;
    a board on PostgreSQL: use export, or pg_dump)."""
    from prodboard.services.backup import backup, backup_summary

    click.echo(one_line(backup_summary(backup(c.session().store, file, force=force))))


@cli.command("restore")
@click.argument("target")
@click.option("--force", is_flag=True, help="Restore a backup even while others have the board open.")
@pass_ctx
def restore_cmd(c: Ctx, target: str, force: bool) -> None:
    """Bring an archived piece back (TARGET a piece id), or restore the board from a
    backup file (TARGET a file made by `prodboard backup`)."""
    if target.strip().isdigit():
        from prodboard.cli.base import PIECE_ID

        piece_id = PIECE_ID.convert(target, None, None)
        c.session().board.restore(piece_id)
        click.echo(f"#{piece_id} restored")
        return
    from prodboard.services.backup import counts_text, restore
    from prodboard.services.context import default_db_path, open_board
    from prodboard.storage.store import is_postgres_url

    board: Path | str = c.db if c.db and is_postgres_url(c.db) else Path(
        c.db or default_db_path()).expanduser()
    counts = restore(board, Path(target), force=force)  # before the board opens here
    # Opened once (as nobody in particular: the restored team may not hold --user), so an
    # older backup's schema is migrated now.
    open_board(board, None, config=c.config).close()
    click.echo(f"restored {one_line(str(board))} from {one_line(target)} ({counts_text(counts)})")


@cli.command("info")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def info_cmd(c: Ctx, as_json: bool) -> None:
    """Version, board location and size, config files, data dir, who acts, live mode."""
    from prodboard.services.info import gather, lines

    info = gather(c.session())
    if as_json:
        emit_json(info)
        return
    for line in lines(info):
        click.echo(clean(line))

"""Work in and out from the command line: export, import, backup, restore, info."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from prodboard.cli import Ctx, emit_json, fail, guarded
from prodboard.domain.text import clean, one_line

pass_ctx = click.make_pass_decorator(Ctx)

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


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              help="json: everything, re-importable; csv: one row per piece.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to FILE instead of standard output.")
@pass_ctx
@guarded
def export_cmd(c: Ctx, fmt: str, out: Path | None) -> None:
    """Export the board (JSON: people, pieces, comments, ticks, cursors, history)."""
    from prodboard.services.transfer import export

    _write_out(export(c.session().store, fmt), out)
    if out is not None:
        click.echo(f"exported to {one_line(str(out))}", err=True)


class _Bar:
    """A rich progress bar on stderr, shown only on a terminal and for big imports."""

    def __init__(self) -> None:
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
            self.task = self.progress.add_task("importing", total=total)
        self.progress.update(self.task, completed=done)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@click.command("import")
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
@guarded
def import_cmd(c: Ctx, file: Path, fmt: str | None, stage_map: str | None, people_map: str | None,
               columns: str | None, dry_run: bool, as_json: bool) -> None:
    """Import pieces from a CSV file, a prodboard JSON export or a Trello board export.

    All or nothing; importing the same file again updates what it made.
    """
    from prodboard.services.importing import ImportReport
    from prodboard.services.imports import run_import

    s = c.session()
    bar = _Bar()
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


def register(group: click.Group) -> None:
    """Add these commands to the ``prodboard`` group."""
    for command in (export_cmd, import_cmd):
        group.add_command(command)

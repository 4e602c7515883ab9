"""What every command module shares: the root group class (the ONE error handler,
and commands imported only when used), the lazily opened board, id types, stdin
and JSON output.

Nothing here imports the board's services or storage at import time: ``--help``,
``--version`` and tab completion run on this module, click and the command table.
"""

from __future__ import annotations

import gc
import importlib
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from click.shell_completion import CompletionItem

from prodboard.cli.command_table import COMMANDS
from prodboard.domain.text import clean, has_surrogates, one_line
from prodboard.errors import BadInput, ProdboardError
from prodboard.settings import undecodable as undecodable_setting

if TYPE_CHECKING:
    from prodboard.services.context import Workspace

INT64_MAX = 2**63 - 1  # SQLite's INTEGER: a larger id cannot be looked up at all


def say_error(message: str) -> None:
    """One line on stderr: escapes stripped, newlines shown as \\n."""
    click.echo(f"prodboard: {one_line(message)}", err=True)


def fail(message: str, code: int) -> NoReturn:
    say_error(message)
    sys.exit(code)


def _undecodable(args: list[str]) -> str | None:
    """What is not valid UTF-8 among the arguments and settings, if anything."""
    for n, arg in enumerate(args, 1):
        if has_surrogates(arg):
            return f"argument {n} is not valid UTF-8"
    return undecodable_setting()


class ProdboardGroup(click.Group):
    """The root group, and the one place an error becomes an exit code.

    ``invoke`` catches what a command raises (a prodboard error: one line and its
    code; Ctrl-C: 130 with nothing printed; a closed pipe: a quiet 0), before click
    would print its own text. ``run`` catches what click raises while parsing the
    command line, and a bug, as one line too. No command needs a decorator.

    The commands are those of ``cli/command_table.py``: help and completion list
    them from the table; ``get_command`` imports a command's module on first use
    (the module registers its commands on this group as it is imported).
    """

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if cmd_name not in self.commands and entry is not None:
            importlib.import_module(f"prodboard.cli.{entry.module}")
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands.keys() | COMMANDS.keys())

    def listed_help(self, name: str, limit: int = 45) -> str:
        """A command's short help, shortened as click does: its own once imported, else
        the table's (through a stand-in command: the same shortening)."""
        command = self.commands.get(name) or click.Command(name, help=COMMANDS[name].help)
        return command.get_short_help_str(limit)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        with formatter.section("Commands"):
            formatter.write_dl([(name, self.listed_help(name, limit)) for name in names])

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Command names (with their help) from the table, then the group's own options."""
        names = [name for name in self.list_commands(ctx) if name.startswith(incomplete)]
        items = [CompletionItem(name, help=self.listed_help(name)) for name in names]
        return items + click.Command.shell_complete(self, ctx, incomplete)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:  # suggest from every command, not the imported
            raise click.exceptions.NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx),
                                                 ctx=ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProdboardError as exc:
            fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)

    def run(self, args: list[str]) -> int:
        """Run one command line and return its exit code; never a traceback."""
        try:
            bad = _undecodable(args)
            if bad:
                raise BadInput(bad)
            code = self.main(args=args, prog_name="prodboard", standalone_mode=False)
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
        except click.exceptions.Abort:
            return 130
        except click.UsageError as exc:
            # One line, like every other error; `--help` still prints the full usage.
            path = exc.ctx.command_path if exc.ctx else "prodboard"
            return _report(f"{exc.format_message()} (see: {path} --help)", exc.exit_code)
        except click.ClickException as exc:
            return _report(exc.format_message(), exc.exit_code)
        except ProdboardError as exc:  # raised before any command ran
            return _report(exc.message, exc.exit_code)
        except Exception as exc:  # noqa: BLE001  (a bug: still one line, never a traceback)
            return _report(f"unexpected error ({type(exc).__name__}: {exc}); please report it", 2)
        return code if isinstance(code, int) else 0


def _report(message: str, code: int) -> int:
    say_error(message)
    return code


class IdType(click.ParamType[int, Any]):
    """A piece id, event id or version: a whole number SQLite can hold."""

    name = "id"

    def __init__(self, lowest: int = 1) -> None:
        self.lowest = lowest

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a valid integer", param, ctx)
        if not self.lowest <= number <= INT64_MAX:
            self.fail(f"{value!r} is out of range ({self.lowest} to {INT64_MAX})", param, ctx)
        return number


PIECE_ID = IdType(1)
EVENT_ID = IdType(0)
VERSION = IdType(0)


def read_stdin() -> str:
    """All of standard input, which must be UTF-8 (a clear error, not a traceback)."""
    stream = getattr(sys.stdin, "buffer", None)  # the bytes: the locale's decoding may differ
    try:
        text = stream.read().decode("utf-8") if stream is not None else sys.stdin.read()
    except UnicodeDecodeError:
        raise BadInput("standard input is not valid UTF-8") from None
    if has_surrogates(text):
        raise BadInput("standard input is not valid UTF-8")
    return str(text)


class Ctx:
    """What the global options say; the board opens lazily, once."""

    def __init__(self, db: str | None, user: str | None, config: Path | None,
                 board: str | None = None) -> None:
        self.db, self.user, self.config, self.board_name = db, user, config, board
        self._session: Workspace | None = None
        self.board = False  # opening the board: it shows config warnings itself

    def session(self, **kw: Any) -> Workspace:
        if self._session is None:
            from prodboard.services.context import open_board  # the heavy part: only to open one

            self._session = open_board(self.db, self.user, config=self.config,
                                       server_board=self.board_name, **kw)
            for warning in () if self.board else self._session.ui.warnings:
                click.echo(f"prodboard: warning: {clean(warning)}", err=True)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


pass_ctx = click.make_pass_decorator(Ctx)


def _json_safe(value: Any) -> Any:
    """Every string cleaned of escapes and controls (tab and newline stay, and JSON
    escapes them), every float finite: what a board written by an older version may
    still hold must reach neither a terminal nor a strict JSON reader."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {clean(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


# One encoder for every document: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def _dumps(data: Any) -> str:
    text = _clean_json(data)
    return text if text is not None else _ENCODER.encode(_json_safe(data))


def _clean_json(data: Any) -> str | None:
    """``data`` as JSON when nothing in it needs ``_json_safe``, else None."""
    try:
        text = _ENCODER.encode(data)
    except ValueError:  # a number that is not finite: _json_safe writes null
        return None
    return None if _may_need_cleaning(text) else text


def _may_need_cleaning(text: str) -> bool:
    """Whether a string inside this JSON may hold what ``clean`` removes. JSON writes
    every C0 control as an escape (``\\u00XX``, ``\\r``, ``\\b``, ``\\f``; tab and
    newline, which stay, as ``\\t`` and ``\\n``) and the rest (DEL, C1, bidi
    overrides, surrogates) as itself, unprintable. When none is there, the document
    is already what _json_safe would make of it (string keys, as every to_json has):
    one scan of the text instead of a walk of every value of a big listing."""
    # ASCII JSON text holds no raw control but DEL (JSON escapes the rest): isascii() is
    # a flag of the string, and one search for DEL is quicker than isprintable's scan.
    printable = "\x7f" not in text if text.isascii() else text.isprintable()
    return not printable or _CONTROL_ESCAPE.search(text) is not None


_CONTROL_ESCAPE = re.compile(r"\\(?:u00|[rbf])")  # one scan (a backslash is rare in titles)


def emit_json(data: Any) -> None:
    click.echo(_dumps(data))


def emit_json_array(items: Iterable[Any], batch: int = 500) -> None:
    """One JSON array, written a batch of items at a time as they come: the same bytes
    as ``emit_json(list(items))``, in memory that does not grow with the list. The
    first batch is read before anything is written, so an error there (a bad
    ``--stage``) leaves stdout empty."""
    opening = "["
    for some in _batches(items, batch):
        whole = _clean_json(some)  # one encoding and one scan for the batch: its items
        # are written with the separator ", ", as a list's items are
        text = whole[1:-1] if whole is not None else ", ".join(map(_dumps, some))
        click.echo(opening + text, nl=False)
        opening = ", "
    click.echo("[]" if opening == "[" else "]")


def emit_json_lines(items: Iterable[Any], batch: int = 500) -> None:
    """JSON Lines, one object per line, written a batch at a time (one flush per batch)."""
    for some in _batches(items, batch):
        try:
            lines = [_ENCODER.encode(item) for item in some]
        except ValueError:  # a number that is not finite
            lines = []
        if not lines or _may_need_cleaning("".join(lines)):  # one scan for the batch
            lines = [_dumps(item) for item in some]
        click.echo("\n".join(lines), nl=True)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    # What exists now (modules, the open board) outlives the listing: frozen, it is not
    # walked by the full collections its rows set off every few pages (a fifth of a
    # big listing's CPU). Unfrozen after, for a caller that goes on (the tests).
    gc.freeze()
    try:
        while batch := list(islice(it, size)):
            yield batch
    finally:
        gc.unfreeze()

"""The command line: a thin face over the core. Its interface is a contract for scripts.

Exit codes: 0 done, 1 refused by a rule, a conflict or a busy board, 2 bad usage
or bad input. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from prodboard.domain.describe import change_requests, describe_event, piece_lines
from prodboard.domain.text import clean, clean_line, has_surrogates, one_line
from prodboard.domain.values import EventView, PieceView
from prodboard.errors import BadInput, ProdboardError
from prodboard.services.context import Workspace, open_board
from prodboard.storage.store import remove_board

F = TypeVar("F", bound=Callable[..., Any])

INT64_MAX = 2**63 - 1  # SQLite's INTEGER: a larger id cannot be looked up at all


def fail(message: str, code: int) -> None:
    """One line on stderr (escapes stripped, newlines shown as \\n), then exit."""
    click.echo(f"prodboard: {one_line(message)}", err=True)
    sys.exit(code)


class IdType(click.ParamType):
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


def guarded(fn: F) -> F:
    """Turn every prodboard error into one line on stderr and its exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ProdboardError as exc:
            fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)

    return wrapper  # type: ignore[return-value]


class Ctx:
    """What the global options say; the board opens lazily, once."""

    def __init__(self, db: Path | None, user: str | None, config: Path | None) -> None:
        self.db, self.user, self.config = db, user, config
        self._session: Workspace | None = None
        self.board = False  # opening the board: it shows config warnings itself

    def session(self, **kw: Any) -> Workspace:
        if self._session is None:
            self._session = open_board(self.db, self.user, config=self.config, **kw)
            for warning in () if self.board else self._session.ui.warnings:
                click.echo(f"prodboard: warning: {clean(warning)}", err=True)
        return self._session


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
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    click.echo(json.dumps(_json_safe(data), ensure_ascii=False, indent=None, allow_nan=False))


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), envvar="PRODBOARD_DB",
              help="Board database (default: the user data dir's board.db).")
@click.option("--user", envvar="PRODBOARD_USER", help="Who you are (default: your OS login).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
              envvar="PRODBOARD_CONFIG",
              help="The team's config: workflow and rules (TOML; default: beside the board).")
@click.version_option(package_name="prodboard")
@click.pass_context
@guarded
def cli(ctx: click.Context, db: Path | None, user: str | None, config: Path | None) -> None:
    """prodboard: the production board for content teams.

    With no command, opens the board.
    """
    ctx.obj = Ctx(db, user, config)
    ctx.call_on_close(lambda: ctx.obj._session and ctx.obj._session.close())
    if ctx.invoked_subcommand is None:
        if not (sys.stdout.isatty() and sys.stdin.isatty()):
            # Textual would wait for a terminal that never answers, writing escapes.
            fail("the board needs a terminal (stdin and stdout); for a listing use: prodboard ls", 2)
        ctx.obj.board = True
        session = ctx.obj.session(demo_if_missing=True)  # only here may a demo appear
        if session.note:
            click.echo(f"prodboard: {clean(session.note)}", err=True)
        session.require_member()  # a guest is told how to join, not let in to fail later
        from prodboard.tui.run import run_board  # Textual is only imported for the board

        run_board(session)


@cli.command()
@click.option("--demo", is_flag=True, help="Fill the new board with the demo team and pieces.")
@click.option("--name", default=None, help="The board's name.")
@pass_ctx
@guarded
def init(c: Ctx, demo: bool, name: str | None) -> None:
    """Create the board database (empty, or with --demo the demo team and pieces)."""
    s = c.session(create=True, demo=demo, newcomer=True)
    if not s.created:
        fail(f"{s.store.path} already holds a board", 2)
    if name:
        try:
            s.board.rename(name)
        except BaseException:
            s.close()
            remove_board(s.store.path)  # a failed init leaves no half-made board
            raise
    click.echo(f"created {one_line(str(s.store.path))}")


@cli.command()
@click.argument("title")
@click.option("--format", "fmt", default=None, help="blog post, video, newsletter…")
@click.option("--stage", default=None)
@click.option("--owner", default=None)
@click.option("--due", default=None, metavar="YYYY-MM-DD")
@click.option("--publish", default=None, metavar="YYYY-MM-DD")
@click.option("--tag", "tags", multiple=True)
@click.option("--channel", "channels", multiple=True)
@click.option("--reviewer", "reviewers", multiple=True)
@click.option("--override", default=None, metavar="REASON",
              help="Create past a gate (role-limited), e.g. work done elsewhere.")
@pass_ctx
@guarded
def add(c: Ctx, title: str, fmt: str | None, stage: str | None, owner: str | None,
        due: str | None, publish: str | None, tags: tuple[str, ...],
        channels: tuple[str, ...], reviewers: tuple[str, ...], override: str | None) -> None:
    """Add a piece; prints its id. A piece added past a gate must meet it."""
    fields: dict[str, Any] = {"format": fmt, "due": due, "publish_date": publish}
    for key, value in (("tags", tags), ("channels", channels), ("reviewers", reviewers)):
        if value:
            fields[key] = list(value)
    pid = c.session().board.create(title, stage=stage, owner=owner, override=override, **fields)
    click.echo(pid)


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.argument("stage")
@click.option("--override", default=None, metavar="REASON", help="Force past a gate (role-limited).")
@click.option("--version", "base_version", type=VERSION, default=None,
              help="Refuse if someone else moved it since this version.")
@pass_ctx
@guarded
def move(c: Ctx, piece_id: int, stage: str, override: str | None, base_version: int | None) -> None:
    """Move a piece to STAGE; exits 1 with the reason when a rule refuses."""
    piece = c.session().board.move(piece_id, stage, base_version=base_version, override=override)
    click.echo(f"#{piece.id} → {piece.stage}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.argument("user")
@pass_ctx
@guarded
def assign(c: Ctx, piece_id: int, user: str) -> None:
    """Give a piece to USER ('-' for nobody)."""
    piece = c.session().board.assign(piece_id, None if user in ("-", "none") else user)
    click.echo(f"#{piece.id} → {piece.owner or 'nobody'}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.argument("text")
@pass_ctx
@guarded
def comment(c: Ctx, piece_id: int, text: str) -> None:
    """Comment on a piece ('-' reads the text from stdin); @handle and @role mention."""
    body = read_stdin() if text == "-" else text
    cid = c.session().board.comment(piece_id, body)
    click.echo(cid)


_EDIT_OPTIONS = (
    ("title", str), ("format", str), ("due", str), ("publish_date", str), ("audience", str),
    ("desired_action", str), ("business_goal", str), ("success_metrics", str),
    ("key_message", str), ("tags", str), ("channels", str), ("reviewers", str), ("links", str),
    ("priority", int), ("cost", float),
)


def _edit_options(fn: F) -> F:
    for name, kind in reversed(_EDIT_OPTIONS):
        flag = "--" + name.replace("_", "-")
        extra = ["--publish"] if name == "publish_date" else []
        helptext = "comma-separated" if name in ("tags", "channels", "reviewers", "links") else None
        fn = click.option(flag, *extra, name, type=kind, default=None, help=helptext)(fn)
    return fn


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@_edit_options
@click.option("--version", "base_version", type=VERSION, default=None,
              help="The version you edited from: a conflicting change is refused.")
@pass_ctx
@guarded
def edit(c: Ctx, piece_id: int, base_version: int | None, **fields: Any) -> None:
    """Edit fields of a piece (--title, --due, --audience, …)."""
    changes = {k: v for k, v in fields.items() if v is not None}
    piece = c.session().board.edit(piece_id, changes, base_version=base_version)
    click.echo(f"#{piece.id} version {piece.version}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--reason", default="")
@pass_ctx
@guarded
def archive(c: Ctx, piece_id: int, reason: str) -> None:
    """Archive a piece."""
    c.session().board.archive(piece_id, reason)
    click.echo(f"#{piece_id} archived")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.argument("item")
@click.option("--undo", is_flag=True, help="Untick instead.")
@pass_ctx
@guarded
def tick(c: Ctx, piece_id: int, item: str, undo: bool) -> None:
    """Tick a pre-publish checklist item (brand_voice, seo, legal, channels, analytics)."""
    c.session().board.tick(piece_id, item, not undo)
    click.echo(f"#{piece_id} {clean_line(item)} {'unticked' if undo else 'ticked'}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@pass_ctx
@guarded
def approve(c: Ctx, piece_id: int) -> None:
    """Approve a piece in review (moves it on)."""
    piece = c.session().board.approve(piece_id)
    how = " (delegated)" if piece.approval_delegated else ""
    click.echo(f"#{piece.id} approved{how} → {piece.stage}")


@cli.command("request-changes")
@click.argument("piece_id", type=PIECE_ID)
@click.option("--note", required=True, help="What needs changing.")
@pass_ctx
@guarded
def request_changes(c: Ctx, piece_id: int, note: str) -> None:
    """Send a piece in review back to draft: one revision round."""
    piece = c.session().board.request_changes(piece_id, note)
    click.echo(f"#{piece.id} → {piece.stage} (revision {piece.revision_rounds})")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--reason", required=True)
@pass_ctx
@guarded
def reject(c: Ctx, piece_id: int, reason: str) -> None:
    """Reject a piece: archive it with a reason."""
    c.session().board.reject(piece_id, reason)
    click.echo(f"#{piece_id} rejected")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--off", is_flag=True, help="Stop watching.")
@pass_ctx
@guarded
def watch(c: Ctx, piece_id: int, off: bool) -> None:
    """Watch a piece (hear about its changes), or stop with --off."""
    c.session().board.watch(piece_id, not off)
    click.echo(f"#{piece_id} {'unwatched' if off else 'watched'}")


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@guarded
def show(c: Ctx, piece_id: int, as_json: bool) -> None:
    """Show a piece with its comments and full history."""
    s = c.session()
    piece = s.queries.piece(piece_id)
    if piece is None:
        fail(f"no piece #{piece_id}", 2)
        return
    comments = s.queries.comments(piece_id)
    history = s.queries.history(piece_id)
    requests = change_requests(history)
    if as_json:  # docs/json.md: a Piece, plus its thread, history and change requests
        emit_json({**piece.to_json(), "comments": [x.to_json() for x in comments],
                   "history": [e.to_json() for e in history], "change_requests": requests})
        return
    for line in piece_lines(piece, s.workflow):
        click.echo(line)
    if requests:
        click.echo("\nChanges requested:")
    for r in requests:
        click.echo(f"  {r['at'][:16]} {r['by']} (revision {r['revision']}): {clean(r['note'])}")
    click.echo("\nComments:" if comments else "\nNo comments.")
    for cm in comments:
        click.echo(f"  {cm.created_at[:16]} {cm.author}: {clean(cm.body)}")
    click.echo("\nHistory:")
    for ev in history:
        click.echo(f"  {ev.at[:16]} {describe_event(ev, s.workflow)}")


@cli.command("ls")
@click.option("--stage", default=None)
@click.option("--owner", default=None)
@click.option("--archived", is_flag=True, help="List archived pieces instead.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@guarded
def ls_cmd(c: Ctx, stage: str | None, owner: str | None, archived: bool, as_json: bool) -> None:
    """List pieces in board order."""
    s = c.session()
    pieces = s.queries.pieces(stage=stage, owner=owner, archived=archived)
    if as_json:
        emit_json([p.to_json() for p in pieces])
        return
    for p in pieces:
        click.echo(_piece_row(p))


def _piece_row(p: PieceView) -> str:
    due = p.due or "-"
    return f"{p.id:>5}  {p.stage:<10} {due:<10} {(p.owner or '-'):<10} {clean(p.title)}"


def _print_event(ev: EventView, s: Workspace, as_json: bool) -> None:
    if as_json:
        emit_json(ev.to_json())
    else:
        click.echo(f"{ev.id:>6} {ev.at[:19]} {describe_event(ev, s.workflow)}")


@cli.command()
@click.option("--since", type=EVENT_ID, default=0, metavar="EVENT_ID", help="Only events after this id.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing events as they happen.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
@guarded
def log(c: Ctx, since: int, follow: bool, as_json: bool) -> None:
    """The event stream, oldest first."""
    s = c.session()
    cursor = since
    for ev in s.queries.events_since(cursor):
        _print_event(ev, s, as_json)
        cursor = ev.id
    if follow:
        from prodboard.services.feed import follow_events

        sys.stdout.flush()  # the backlog shows before the first new event
        for batch in follow_events(s.store, cursor):
            for ev in batch:
                _print_event(ev, s, as_json)
            sys.stdout.flush()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="The alerts as one JSON list.")
@click.option("--read", "mark_read", is_flag=True, help="Then mark them read.")
@pass_ctx
@guarded
def inbox(c: Ctx, as_json: bool, mark_read: bool) -> None:
    """Your unread alerts (event ids, severity, what happened), oldest first."""
    from prodboard.services.alerts import load_inbox

    s = c.session()
    s.require_member()
    box = load_inbox(s, s.user)
    if as_json:
        emit_json([a.to_json() for a in box.alerts])
    else:
        if box.summary:
            click.echo(box.summary)
        for a in box.alerts:
            ids = f"{a.first_id}" if a.first_id == a.last_id else f"{a.first_id}-{a.last_id}"
            click.echo(f"{ids:>13}  {a.severity:<11}  {clean(a.text)}")
        if not box.alerts:
            click.echo("no unread alerts")
    if mark_read and box.last_event_id > box.read_cursor:
        s.board.mark_read(box.last_event_id)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the raised alerts as one JSON list.")
@pass_ctx
@guarded
def check(c: Ctx, as_json: bool) -> None:
    """Raise the time-based alerts now due (overdue, due soon, review SLA, at risk).

    Meant for cron: each alert is raised once, however often this runs and however
    many boards are open. Prints what it raised (nothing when nothing was due).
    """
    from prodboard.services.checks import run_checks

    s = c.session()
    ids = set(run_checks(s.board))
    events = [ev for ev in s.queries.events_since(min(ids) - 1) if ev.id in ids] if ids else []
    if as_json:
        emit_json([ev.to_json() for ev in events])
        return
    for ev in events:
        click.echo(f"{ev.id:>6} {describe_event(ev, s.workflow)}")


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@guarded
def people(ctx: click.Context, as_json: bool) -> None:
    """List the team, or manage it (add, away, back, set; see also: join)."""
    if ctx.invoked_subcommand is not None:
        return
    s = ctx.ensure_object(Ctx).session()
    team = s.queries.people()
    if as_json:
        emit_json([p.to_json() for p in team])
        return
    for p in team:
        state = f"away ({clean(p.away_note)})" if p.away else ""
        roles = ",".join(p.roles) or "-"
        click.echo(f"{p.handle:<12} {clean(p.display_name):<20} {roles:<20} {state}")


@people.command("add")
@click.argument("handle")
@click.option("--name", default="")
@click.option("--role", "roles", multiple=True, help="writer, editor, pm, legal… (repeatable)")
@pass_ctx
@guarded
def people_add(c: Ctx, handle: str, name: str, roles: tuple[str, ...]) -> None:
    """Add a person to the board (admins only)."""
    added = c.session().board.add_person(handle, name, roles)
    click.echo(f"added {added}")


@people.command("away")
@click.argument("handle")
@click.option("--note", default="", help="e.g. 'out sick'")
@click.option("--delegate", default=None, help="Who approves for them meanwhile.")
@pass_ctx
@guarded
def people_away(c: Ctx, handle: str, note: str, delegate: str | None) -> None:
    """Mark a person away (out sick, on leave): yourself, or anyone as an admin."""
    who = c.session().board.set_away(handle, True, note, delegate)
    click.echo(f"{who} is away")


@people.command("back")
@click.argument("handle")
@pass_ctx
@guarded
def people_back(c: Ctx, handle: str) -> None:
    """Mark a person back: yourself, or anyone as an admin."""
    who = c.session().board.set_away(handle, False)
    click.echo(f"{who} is back")


@people.command("set")
@click.argument("handle")
@click.option("--level", type=click.Choice(["all", "involved", "none"]), default=None,
              help="How much they hear.")
@click.option("--delegate", default=None)
@click.option("--roles", default=None, help="comma-separated")
@click.option("--name", default=None)
@pass_ctx
@guarded
def people_set(c: Ctx, handle: str, level: str | None, delegate: str | None,
               roles: str | None, name: str | None) -> None:
    """Change a person's alert level or name (yourself), or anyone's roles, delegate,
    level or name (admins)."""
    values: dict[str, Any] = {}
    if level:
        values["alert_level"] = level
    if delegate:
        values["delegate"] = delegate
    if roles is not None:
        values["roles"] = clean_line(roles).split(",")  # the core cleans each role
    if name:
        values["display_name"] = clean_line(name)
    if not values:
        fail("nothing to change (--level, --delegate, --roles, --name)", 2)
    who = c.session().board.set_person(handle, **values)
    click.echo(f"{who} updated")


@cli.command()
@click.option("--name", default="", help="Your display name.")
@pass_ctx
@guarded
def join(c: Ctx, name: str) -> None:
    """Join the board as yourself (your OS login, or --user), with no roles yet.

    The admins are told; they give roles. A board whose config sets
    open_join = false takes newcomers only through an admin's `people add`.
    """
    s = c.session(newcomer=True)
    s.board.join(name)
    click.echo(f"joined as {s.user}")


def _undecodable(args: list[str]) -> str | None:
    """What is not valid UTF-8 among the arguments and settings, if anything."""
    for n, arg in enumerate(args, 1):
        if has_surrogates(arg):
            return f"argument {n} is not valid UTF-8"
    for name in ("PRODBOARD_DB", "PRODBOARD_USER", "PRODBOARD_CONFIG"):
        if has_surrogates(os.environ.get(name, "")):
            return f"{name} is not valid UTF-8"
    return None


def run(args: list[str]) -> int:
    """Run one command line and return its exit code; every error is one line on stderr.

    ``main`` calls it with sys.argv; the tests call it in-process.
    """
    try:
        bad = _undecodable(args)
        if bad:
            fail(bad, 2)
        code = cli.main(args=args, prog_name="prodboard", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    except click.exceptions.Abort:
        return 130
    except click.UsageError as exc:
        # One line, like every other error; `--help` still prints the full usage.
        path = exc.ctx.command_path if exc.ctx else "prodboard"
        return _fail_code(f"{exc.format_message()} (see: {path} --help)", exc.exit_code)
    except click.ClickException as exc:
        return _fail_code(exc.format_message(), exc.exit_code)
    except ProdboardError as exc:  # pragma: no cover - guarded() catches these first
        return _fail_code(exc.message, exc.exit_code)
    except Exception as exc:  # a bug: still one line, never a traceback
        return _fail_code(f"unexpected error ({type(exc).__name__}: {exc}); please report it", 2)
    return code if isinstance(code, int) else 0


def _fail_code(message: str, code: int) -> int:
    try:
        fail(message, code)
    except SystemExit:
        pass
    return code


def main() -> None:
    """Console entry point."""
    sys.exit(run(sys.argv[1:]))


from prodboard.cli.transfer import register as _register_transfer  # noqa: E402

_register_transfer(cli)

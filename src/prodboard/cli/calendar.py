"""``prodboard calendar`` (the agenda) and ``prodboard ical`` (export, serve, tokens)."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prodboard.cli.base import Ctx, emit_json, fail, pass_ctx
from prodboard.cli.board import cli
from prodboard.domain.clock import EARLIEST, LATEST
from prodboard.domain.identity import normal_handle
from prodboard.domain.text import clean_line, one_line
from prodboard.errors import BadInput, ProdboardError

if TYPE_CHECKING:  # commands import the services when they run, not at import
    from prodboard.services.context import Workspace

DEFAULT_DAYS = 14


class PortTaken(ProdboardError):
    """The port cannot be listened on (in use, or reserved): exit 1, like a busy board."""

    exit_code = 1


def _day(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{what}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if not EARLIEST <= day.year <= LATEST:  # date arithmetic near year 9999 overflows
        raise BadInput(f"{what}: {value!r} is out of range (years {EARLIEST}-{LATEST})")
    return day


def _today(s: Workspace) -> date:
    return s.board.clock().date()


@cli.command("calendar")
@click.option("--from", "start", default=None, metavar="YYYY-MM-DD", help="First day (default: today).")
@click.option("--to", "end", default=None, metavar="YYYY-MM-DD",
              help=f"Last day, included (default: {DEFAULT_DAYS} days from the first).")
@click.option("--mine", is_flag=True, help="Only the pieces you own or review.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def calendar_cmd(c: Ctx, start: str | None, end: str | None, mine: bool, as_json: bool) -> None:
    """The agenda: one line per piece and day (publish and due dates), with warnings,
    then the pieces still to be scheduled."""
    from prodboard.services import calendar as agenda_reads

    first, last = _day(start, "--from"), _day(end, "--to")
    s = c.session()
    today = _today(s)
    first = first or (last - timedelta(days=DEFAULT_DAYS - 1) if last else today)
    last = last or first + timedelta(days=DEFAULT_DAYS - 1)
    if mine:
        s.require_member()
    found = agenda_reads.agenda(s.queries, s.workflow, first, last, today,
                                person=s.user if mine else None)
    if as_json:  # docs/json.md: Agenda
        emit_json({
            "from": first.isoformat(), "to": last.isoformat(),
            "entries": [line.to_json(s.workflow) for line in found.lines],
            "day_warnings": [{"date": day.isoformat(), "kind": w.kind, "text": w.text,
                              "piece_id": w.piece_id, "channel": w.channel or None}
                             for day, ws in found.day_warnings.items() for w in ws],
            "unscheduled": [p.id for p in found.unscheduled],
        })
        return
    for line in found.lines:
        click.echo(agenda_reads.agenda_text(line, s.workflow))
    if not found.lines:
        click.echo(f"nothing between {first.isoformat()} and {last.isoformat()}")
    if found.unscheduled:
        click.echo(f"\nUnscheduled ({len(found.unscheduled)}):")
        for p in found.unscheduled:
            click.echo(f"  #{p.id:<5} {clean_line(p.title)}  {p.stage}  {p.owner or 'unassigned'}")


@cli.group("ical", invoke_without_command=True)
@click.option("--mine", is_flag=True, help="The pieces you own or review.")
@click.option("--person", default=None, metavar="HANDLE", help="The pieces someone owns or reviews.")
@click.option("--role", default=None, help="The pieces of everyone holding a role.")
@click.option("--all", "everything", is_flag=True, help="Every piece (the default).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the calendar to FILE instead of standard output.")
@click.pass_context
def ical_cmd(ctx: click.Context, mine: bool, person: str | None, role: str | None,
             everything: bool, out: Path | None) -> None:
    """The editorial calendar as an iCalendar (.ics) file: publish and due dates as
    all-day events. Subcommands: serve (a feed per person), token (its secret)."""
    if ctx.invoked_subcommand is not None:
        if mine or person or role or everything or out:
            fail("--mine, --person, --role, --all and --out are for the export, "
                 f"not for 'ical {ctx.invoked_subcommand}'", 2)
        return
    chosen = sum((mine, person is not None, role is not None, everything))
    if chosen > 1:
        fail("choose one of --mine, --person, --role, --all", 2)
    s = ctx.ensure_object(Ctx).session()
    q = s.queries
    if mine:
        s.require_member()
        person = s.user
    elif person is not None:
        person = normal_handle(person)
        known = [p.handle for p in q.people()]
        if person not in known:
            from prodboard.domain.identity import unknown_person

            raise unknown_person(person, known)
    from prodboard.services import calendar as agenda_reads
    from prodboard.services import ical  # icalendar: imported by the commands that write one

    pieces = agenda_reads.select_pieces(q, person=person, role=role)
    body = ical.render(pieces, s.workflow, q.board_name(), agenda_reads.board_uid(q))
    if out is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(body)
    except OSError as exc:
        raise BadInput(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {one_line(str(out))}")


@ical_cmd.command("token")
@click.argument("handle")
@click.option("--revoke", is_flag=True, help="Remove the token: the feed stops answering it.")
@pass_ctx
def ical_token(c: Ctx, handle: str, revoke: bool) -> None:
    """Make a new secret token for HANDLE's feed (the old one stops working), or revoke
    it. Only HANDLE or an admin may. The token is shown once; the board keeps a hash."""
    from prodboard.services.ical_feed import issue_token, revoke_token

    s = c.session()
    if revoke:
        who, had = revoke_token(s, handle)
        click.echo(f"revoked {who}'s calendar token" if had else f"{who} had no calendar token")
        return
    who, token = issue_token(s, handle)
    click.echo(token)
    click.echo(f"prodboard: the feed: http://127.0.0.1:PORT/feed/{who}.ics?token={token} "
               "(prodboard ical serve --port PORT)", err=True)


@ical_cmd.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8573, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@pass_ctx
def ical_serve(c: Ctx, port: int) -> None:
    """Serve each person's feed on 127.0.0.1 until interrupted:
    /feed/HANDLE.ics?token=TOKEN (see: prodboard ical token)."""
    from prodboard.services.ical_feed import FeedServer

    s = c.session()
    try:
        server = FeedServer(s, port, log=lambda line: click.echo(line, err=True))
    except OSError as exc:
        raise PortTaken(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    click.echo(f"serving http://127.0.0.1:{server.port}/feed/HANDLE.ics?token=TOKEN", err=True)
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()



"""Hearing about changes: watch, inbox, the event log, the time-based checks."""

from __future__ import annotations

import sys
from datetime import tzinfo
from typing import TYPE_CHECKING

import click

from prodboard.cli.base import EVENT_ID, PIECE_ID, Ctx, emit_json, emit_json_lines, pass_ctx
from prodboard.cli.board import cli
from prodboard.domain.describe import describe_event
from prodboard.domain.text import clean
from prodboard.domain.timefmt import clock_time
from prodboard.domain.values import EventView

if TYPE_CHECKING:  # commands import the services when they run, not at import
    from prodboard.services.context import Workspace


@cli.command()
@click.argument("piece_id", type=PIECE_ID)
@click.option("--off", is_flag=True, help="Stop watching.")
@pass_ctx
def watch(c: Ctx, piece_id: int, off: bool) -> None:
    """Watch a piece (hear about its changes), or stop with --off."""
    c.session().board.watch(piece_id, not off)
    click.echo(f"#{piece_id} {'unwatched' if off else 'watched'}")


def _print_event(ev: EventView, s: Workspace, as_json: bool, zone: tzinfo) -> None:
    if as_json:
        emit_json(ev.to_json())
    else:
        click.echo(f"{ev.id:>6} {clock_time(ev.at, zone)} {describe_event(ev, s.workflow)}")


@cli.command()
@click.option("--since", type=EVENT_ID, default=0, metavar="EVENT_ID", help="Only events after this id.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing events as they happen.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
def log(c: Ctx, since: int, follow: bool, as_json: bool) -> None:
    """The event stream, oldest first."""
    s = c.session()
    from prodboard.config.zone import display_zone  # pydantic: not for --help

    zone = display_zone(s.config_path)
    cursor = since
    if as_json and not follow:  # the backlog alone: streamed, a batch per write
        emit_json_lines(ev.to_json() for ev in s.queries.iter_events(cursor))
        return
    for ev in s.queries.iter_events(cursor):
        _print_event(ev, s, as_json, zone)
        cursor = ev.id
    if follow:
        from prodboard.services.feed import follow_events

        sys.stdout.flush()  # the backlog shows before the first new event
        for batch in follow_events(s.store, cursor):
            for ev in batch:
                _print_event(ev, s, as_json, zone)
            sys.stdout.flush()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="The alerts as one JSON list.")
@click.option("--read", "mark_read", is_flag=True, help="Then mark them read.")
@pass_ctx
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

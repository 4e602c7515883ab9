"""Hearing about changes: watch, inbox, the event log, the time-based checks."""

from __future__ import annotations

import sys
from datetime import tzinfo
from typing import TYPE_CHECKING

import click

from prodboard.cli.base import EVENT_ID, PIECE_ID, Ctx, emit_json, emit_json_lines, pass_ctx
from prodboard.cli.board import cli
from prodboard.domain.describe import describe_event
from prodboard.domain.inbox_kinds import INBOX_KINDS
from prodboard.domain.text import clean
from prodboard.domain.timefmt import clock_time
from prodboard.domain.values import EventView
from prodboard.errors import BadInput

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
    from prodboard.config.zone import display_zone  # imported when the command runs

    zone = display_zone(s.config_path)
    cursor = since
    if as_json and not follow:  # the backlog alone: streamed, a batch per write
        emit_json_lines(s.queries.iter_event_json(cursor))
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
@click.argument("ids", nargs=-1, type=EVENT_ID, metavar="[ID]...")
@click.option("--json", "as_json", is_flag=True, help="The items as one JSON list (docs/json.md).")
@click.option("--read", "mark_read", is_flag=True, help="Mark the items ID... read.")
@click.option("--unread", is_flag=True,
              help="With ID...: mark those items unread. Alone: list only the unread items.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(INBOX_KINDS)),
              help="List only items of this kind (repeatable).")
@click.option("--all-read", is_flag=True, help="Mark everything in the inbox read.")
@pass_ctx
def inbox(c: Ctx, ids: tuple[int, ...], as_json: bool, mark_read: bool, unread: bool,
          kinds: tuple[str, ...], all_read: bool) -> None:
    """Your inbox, oldest first: each item's id, read mark, kind and what happened.

    Mark items read with --read ID... (the ids the list shows), unread with
    --unread ID..., everything with --all-read. Listing marks nothing.
    """
    from prodboard.config.zone import display_zone  # pydantic: not for --help
    from prodboard.services.alerts import load_inbox

    if mark_read and unread:
        raise BadInput("--read and --unread: choose one")
    if (mark_read or (unread and ids)) and all_read:
        raise BadInput("--all-read marks everything: give it no ids and no --read/--unread")
    if mark_read and not ids:
        raise BadInput("--read needs the ids of the items to mark (see `inbox`), "
                       "or use --all-read")
    if ids and not (mark_read or unread):
        raise BadInput("ids given: say --read or --unread")
    s = c.session()
    s.require_member()
    box = load_inbox(s, s.user)
    if ids:
        found = {i: box.find(i) for i in ids}
        missing = [str(i) for i, alert in found.items() if alert is None]
        if missing:
            raise BadInput(f"not in your inbox: {', '.join(missing)} (the ids `inbox` lists)")
        events = [e for alert in found.values() if alert is not None for e in alert.event_ids]
        s.board.mark_items(events, read=mark_read)
        box = box.with_read(events, read=mark_read)
        if not as_json:
            click.echo(f"marked {len(ids)} item{'s' if len(ids) != 1 else ''} "
                       f"{'read' if mark_read else 'unread'}")
            return
    if all_read:
        if box.last_event_id > box.read_cursor:
            s.board.mark_read(box.last_event_id)
        n = box.unread
        box = load_inbox(s, s.user)
        if not as_json:
            click.echo(f"marked {n} item{'s' if n != 1 else ''} read")
            return
    shown = [a for a in box.alerts if (not kinds or a.inbox_kind in kinds)
             and not (unread and not ids and box.is_read(a))]
    if as_json:
        emit_json([box.item_json(a) for a in shown])
        return
    if box.summary:
        click.echo(box.summary)
    zone, now = display_zone(s.config_path), s.board.clock()
    for a in shown:
        mark = " " if box.is_read(a) else "*"
        at = clock_time(a.at, zone, now)
        click.echo(f"{a.first_id:>7} {mark} {at:<16}  {a.inbox_kind:<11}  {a.severity:<11}  "
                   f"{clean(a.text)}")
    if not shown:
        click.echo("no unread alerts" if unread or not box.alerts else "nothing of that kind")


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

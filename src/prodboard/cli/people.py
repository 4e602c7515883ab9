"""The team: people (list, add, away, back, set) and join."""

from __future__ import annotations

from typing import Any

import click

from prodboard.cli.base import Ctx, emit_json, pass_ctx
from prodboard.cli.board import cli
from prodboard.domain.text import clean, clean_line
from prodboard.errors import BadInput


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
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
def people_add(c: Ctx, handle: str, name: str, roles: tuple[str, ...]) -> None:
    """Add a person to the board (admins only)."""
    added = c.session().board.add_person(handle, name, roles)
    click.echo(f"added {added}")


@people.command("away")
@click.argument("handle")
@click.option("--note", default="", help="e.g. 'out sick'")
@click.option("--delegate", default=None, help="Who approves for them meanwhile.")
@pass_ctx
def people_away(c: Ctx, handle: str, note: str, delegate: str | None) -> None:
    """Mark a person away (out sick, on leave): yourself, or anyone as an admin."""
    who = c.session().board.set_away(handle, True, note, delegate)
    click.echo(f"{who} is away")


@people.command("back")
@click.argument("handle")
@pass_ctx
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
        raise BadInput("nothing to change (--level, --delegate, --roles, --name)")
    who = c.session().board.set_person(handle, **values)
    click.echo(f"{who} updated")


@cli.command()
@click.option("--name", default="", help="Your display name.")
@pass_ctx
def join(c: Ctx, name: str) -> None:
    """Join the board as yourself (your OS login, or --user), with no roles yet.

    The admins are told; they give roles. A board whose config sets
    open_join = false takes newcomers only through an admin's `people add`.
    """
    s = c.session(newcomer=True)
    s.board.join(name)
    click.echo(f"joined as {s.user}")

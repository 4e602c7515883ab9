"""`prodboard hooks`: webhooks to the rest of the stack (CMS, chat, analytics)."""

from __future__ import annotations

import math
from typing import Any

import click

from prodboard.cli.base import Ctx, IdType, emit_json, pass_ctx
from prodboard.cli.board import cli
from prodboard.domain.text import clean, one_line
from prodboard.domain.timefmt import clock_time

HOOK_ID = IdType(1)


class Seconds(click.FloatRange):
    """A number of seconds in range; nan (which every comparison lets through) is not."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


SECONDS = Seconds(0.01, 86_400)


@cli.group("hooks")
def hooks() -> None:
    """Signed webhooks: add, ls, rm, enable, log, and run (the deliverer)."""


@hooks.command("add")
@click.argument("url")
@click.option("--events", default="", metavar="moved,approved,…",
              help="Event kinds (or their last word) to send; default: every event.")
@click.option("--secret", default=None, help="The signing secret (default: a new whsec_ one).")
@click.option("--format", "fmt", type=click.Choice(["json", "slack"]), default="json")
@click.option("--max-failures", type=click.IntRange(1, 1000), default=10,
              help="Consecutive failed attempts before the hook is disabled (admins are told).")
@pass_ctx
def hooks_add(c: Ctx, url: str, events: str, secret: str | None, fmt: str, max_failures: int) -> None:
    """Send the board's events to URL (admins only). Prints the hook id and its secret."""
    from prodboard.services.webhooks import Hooks

    hook_id, key = Hooks(c.session().board).add(url, events.split(","), secret, fmt, max_failures)
    click.echo(f"hook {hook_id} → {one_line(url)}")
    if secret is None:
        click.echo(f"secret: {key}  (shown once: give it to the receiver to check signatures)")


@hooks.command("ls")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def hooks_ls(c: Ctx, as_json: bool) -> None:
    """The hooks, whether each is on, its failures and how many events it is owed."""
    from prodboard.services.webhooks import Hooks

    found = Hooks(c.session().board).all()
    if as_json:
        emit_json([h.to_json() for h in found])
        return
    for h in found:
        state = "on" if h.enabled else "DISABLED"
        kinds = ",".join(h.events) or "all events"
        click.echo(f"{h.id:>3}  {state:<8} {h.format:<5} {h.pending:>5} owed  "
                   f"{h.failures}/{h.max_failures} failures  {clean(h.url)}  ({kinds})")
    if not found:
        click.echo("no webhooks (add one with: prodboard hooks add URL)")


@hooks.command("rm")
@click.argument("hook_id", type=HOOK_ID)
@pass_ctx
def hooks_rm(c: Ctx, hook_id: int) -> None:
    """Remove a hook and what it is still owed (admins only)."""
    from prodboard.services.webhooks import Hooks

    url = Hooks(c.session().board).remove(hook_id)
    click.echo(f"removed hook {hook_id} ({one_line(url)})")


@hooks.command("enable")
@click.argument("hook_id", type=HOOK_ID)
@pass_ctx
def hooks_enable(c: Ctx, hook_id: int) -> None:
    """Turn a disabled hook back on; what it missed is still sent (admins only)."""
    from prodboard.services.webhooks import Hooks

    Hooks(c.session().board).enable(hook_id)
    click.echo(f"hook {hook_id} enabled")


@hooks.command("log")
@click.option("--hook", "hook_id", type=HOOK_ID, default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=50)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def hooks_log(c: Ctx, hook_id: int | None, limit: int, as_json: bool) -> None:
    """The delivery log: every attempt, oldest first."""
    from prodboard.config.zone import display_zone  # pydantic: not for --help
    from prodboard.services.webhooks import Hooks

    s = c.session()
    rows = Hooks(s.board).log(hook_id, limit)
    if as_json:
        emit_json(rows)
        return
    zone = display_zone(s.config_path)
    for r in rows:
        result = "ok" if r["ok"] else "FAILED"
        status = r["status"] if r["status"] is not None else "-"
        click.echo(f"{clock_time(r['at'], zone)}  hook {r['hook_id']}  event {r['event_id']}  "
                   f"try {r['attempt']}  {result} {status}  {r['ms']:.0f} ms  {clean(r['error'])}".rstrip())


@hooks.command("run")
@click.option("--drain", is_flag=True, help="Exit once every event owed is delivered (or its hook off).")
@click.option("--timeout", type=SECONDS, default=10.0, help="Seconds to wait for a receiver.")
@click.option("--retry-base", type=SECONDS, default=5.0, help="First retry after this; doubles each time.")
@click.option("--retry-max", type=SECONDS, default=3600.0, help="Longest wait between retries.")
@click.option("--interval", type=SECONDS, default=1.0, help="How often to look for new events.")
@pass_ctx
def hooks_run(c: Ctx, drain: bool, timeout: float, retry_base: float, retry_max: float,
              interval: float) -> None:
    """Deliver webhooks until stopped; any number may run at once."""
    from prodboard.services.webhooks import Deliverer

    deliverer = Deliverer(c.session().board, timeout=timeout, retry_base=retry_base,
                          retry_max=retry_max)
    attempts = deliverer.run(drain=drain, interval=interval)
    if drain:
        click.echo(f"{attempts} attempts; nothing owed")

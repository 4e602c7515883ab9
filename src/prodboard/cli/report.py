"""``prodboard report``: the team's figures, and with --month the monthly health check."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from prodboard.cli.base import Ctx, emit_json, pass_ctx
from prodboard.cli.board import cli
from prodboard.domain.clock import EARLIEST, LATEST
from prodboard.domain.health import show_value
from prodboard.domain.metrics import Period, Report, Scope, month_of, weeks_to
from prodboard.domain.report_out import (
    BY,
    group_row,
    health_json,
    health_markdown,
    kpi_rows,
    report_json,
    report_markdown,
    stage_rows,
)
from prodboard.domain.text import clean, clean_line
from prodboard.errors import BadInput

if TYPE_CHECKING:  # the services are imported when the command runs
    from prodboard.services.metrics import Figures

MAX_DAYS = 3660  # ten years: a longer period is a typo, and costs a day-by-day pass


def _day(value: str, what: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{what}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if not EARLIEST <= day.year <= LATEST:
        raise BadInput(f"{what}: {value!r} is out of range (years {EARLIEST}-{LATEST})")
    return day


def _month(value: str) -> Period:
    try:
        year, month = (int(x) for x in value.strip().split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise BadInput(f"--month: {value!r} is not a month (use YYYY-MM)") from None
    if not EARLIEST <= first.year <= LATEST:
        raise BadInput(f"--month: {value!r} is out of range (years {EARLIEST}-{LATEST})")
    return month_of(first)


def choose_period(today: date, since: str | None, until: str | None, weeks: int | None,
                  month: str | None) -> Period:
    """The period the options name; the last 12 weeks by default."""
    if month and (since or until or weeks):
        raise BadInput("--month names the whole period: leave out --since, --until and --weeks")
    if weeks and (since or until):
        raise BadInput("--weeks ends today: use it, or --since/--until, not both")
    if month:
        return _month(month)
    if since or until:
        end = _day(until, "--until") if until else today
        start = _day(since, "--since") if since else weeks_to(end, 12).since
        if start > end:
            raise BadInput(f"--since {start} is after --until {end}")
        if (end - start).days + 1 > MAX_DAYS:
            raise BadInput(f"the period is longer than {MAX_DAYS} days")
        return Period(start, end)
    return weeks_to(today, weeks or 12)


def _groups(figures: Figures, period: Period, scope: Scope, by: str,
            report: Report) -> list[dict[str, Any]]:
    if by == "stage":
        return stage_rows(report)
    assert figures.replay is not None
    values: set[str] = set()
    for line in figures.replay.pieces.values():
        if not scope.admits(line):
            continue
        if by == "channel":
            values.update(line.current.get("channels", ()))
        elif line.current.get(by):
            values.add(str(line.current[by]))
    rows = []
    for value in sorted(values):
        sub = Scope(**{**scope.__dict__, by: value})
        rows.append(group_row(clean_line(value), figures.report(period, sub)))
    return rows


@cli.command()
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="First day (default: 12 weeks ago).")
@click.option("--until", default=None, metavar="YYYY-MM-DD", help="Last day (default: today).")
@click.option("--weeks", type=click.IntRange(1, 520), default=None, help="The last N weeks.")
@click.option("--month", default=None, metavar="YYYY-MM",
              help="The monthly health check: that month against the three before.")
@click.option("--by", type=click.Choice(BY), default=None, help="One row per group.")
@click.option("--piece-format", "piece_format", default=None, help="Only pieces of this format.")
@click.option("--channel", default=None, help="Only pieces on this channel.")
@click.option("--owner", default=None, help="Only pieces this person owns.")
@click.option("--json", "as_json", is_flag=True, help="The Report (or Health) object of docs/metrics.md.")
@click.option("--csv", "as_csv", is_flag=True, help="KPI rows, or one row per group with --by.")
@click.option("--markdown", "as_md", is_flag=True, help="Tables for a wiki or a chat.")
@pass_ctx
def report(c: Ctx, since: str | None, until: str | None, weeks: int | None, month: str | None,
           by: str | None, piece_format: str | None, channel: str | None, owner: str | None,
           as_json: bool, as_csv: bool, as_md: bool) -> None:
    """The team's figures, replayed from the history: velocity, cycle and lead time,
    time in stage, revisions, on-time delivery, review, cost, load, errors, flow.

    With --month YYYY-MM: the monthly health check (each KPI against last month and
    the three-month average, and flags for what got worse, with the pieces behind them).
    """
    if as_json + as_csv + as_md > 1:
        raise BadInput("pick one of --json, --csv and --markdown")
    scope = Scope(clean_line(piece_format).lower() if piece_format else None,
                  clean_line(channel) if channel else None,
                  clean_line(owner).lower().lstrip("@") if owner else None)
    from prodboard.services.metrics import Figures, no_collection

    s = c.session()
    figures = Figures.open(s, replay=False)
    period = choose_period(figures.today(), since, until, weeks, month)
    with no_collection():  # a million replayed objects, none garbage: no collector passes
        _report(figures, period, scope, by, month, as_json, as_csv, as_md)


def _report(figures: Figures, period: Period, scope: Scope, by: str | None, month: str | None,
            as_json: bool, as_csv: bool, as_md: bool) -> None:
    figures.load()
    if month:
        check = figures.health(period, scope)
        if as_json:
            emit_json(health_json(check))
        elif as_csv:
            _csv([{"key": x.key, "label": x.label, "value": x.value, "last_month": x.last_month,
                   "three_month": x.three_month, "target": x.target, "status": x.status}
                  for x in check.rows])
        else:
            click.echo(clean(health_markdown(check)), nl=False)
        return
    current, tiles = figures.tiles(period, scope)
    groups = _groups(figures, period, scope, by, current) if by else []
    if as_json:
        data = report_json(current, tiles)
        if by:
            data["by"] = {"dimension": by, "groups": groups}
        emit_json(data)
    elif as_csv:
        _csv(groups if by else kpi_rows(tiles))
    elif as_md:
        click.echo(clean(report_markdown(current, tiles, groups=groups)), nl=False)
    else:
        _plain(current, tiles, groups)


def _csv(rows: list[dict[str, Any]]) -> None:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    click.echo(clean(out.getvalue()), nl=False)


def _plain(r: Report, tiles: Any, groups: list[dict[str, Any]]) -> None:
    click.echo(f"{r.period.label()} ({r.timezone})"
               + ("" if r.scope.describe() == "everything" else f" · {clean(r.scope.describe())}"))
    for k in tiles:
        target = f"  target {show_value(k, k.target, k.unit)}" if k.target is not None else ""
        before = show_value(k, k.previous, k.unit)
        click.echo(f"  {k.label:<22} {show_value(k, k.value, k.unit):>8}  {k.trend or ' '} "
                   f"(before {before}){target}{'  ' + k.status if k.status else ''}")
    click.echo(f"  published {r.published} · created {r.created} · archived {r.archived} · "
               f"rejected {r.rejected} · in progress {r.in_progress} · "
               f"imported without history {r.imported}")
    if r.bottleneck:
        click.echo(f"  bottleneck: {r.bottleneck}")
    for t in r.review.tracks:
        wait = "–" if t.wait_hours.p50 is None else f"{t.wait_hours.p50:g} h"
        click.echo(f"  review track {clean_line(t.role)}: wait p50 {wait} (n {t.wait_hours.n}) · "
                   f"approved {t.approved} · changes {t.changes} · delegated {t.delegated} · "
                   f"waiting {t.waiting}")
    for row in groups:
        click.echo("  " + "  ".join(f"{k}={clean(str(v))}" for k, v in row.items()
                                    if v is not None))

"""The Metrics screen's charts, drawn as text cells: each a function of a report and a
size, so they paint the same at any terminal size and in a snapshot.

Every label (stage, format, person) is put in as ``Text``, never parsed as markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.widgets import Static

from prodboard.domain.health import Kpi, show_value
from prodboard.domain.metrics import Report, TrackReview
from prodboard.domain.text import clean_line

STAGE_COLOURS = ("grey50", "magenta", "blue", "yellow", "cyan", "green", "bright_green",
                 "red", "bright_blue", "bright_magenta")
BLOCKS = " ▁▂▃▄▅▆▇█"


def _resample(values: Sequence[int], width: int) -> list[int]:
    """Exactly ``width`` columns: a day spread over several, or the last day of each
    bucket of days (a count at a day's end)."""
    n = len(values)
    if n <= width:
        return [values[i * n // width] for i in range(width)]
    step = n / width
    return [values[min(n - 1, math.ceil((i + 1) * step) - 1)] for i in range(width)]


def _legend(names: Sequence[str], colours: Sequence[str]) -> Text:
    out = Text()
    for name, colour in zip(names, colours, strict=False):
        out.append("█ ", style=colour)
        out.append(name)
        out.append("  ")
    return out


def cumulative_flow(r: Report, width: int, height: int, names: dict[str, str]) -> Text:
    """Pieces in each stage at the end of each day, stacked (the last stage at the bottom)."""
    stages = list(r.flow)[::-1]
    if not r.days:
        return Text("No days in this period yet.")
    plot_w = max(8, width - 6)
    plot_h = max(3, height - 3)
    columns = {k: _resample(r.flow[k], plot_w) for k in stages}
    n = len(next(iter(columns.values())))
    totals = [sum(columns[k][i] for k in stages) for i in range(n)]
    top = max(totals) or 1
    colours = {k: STAGE_COLOURS[i % len(STAGE_COLOURS)] for i, k in enumerate(list(r.flow))}
    out = Text()
    for row in range(plot_h, 0, -1):
        level = (row - 0.5) * top / plot_h
        label = f"{top:>4} " if row == plot_h else "     "
        out.append(label, style="dim")
        for i in range(n):
            acc = 0
            cell: str | None = None
            for k in stages:
                acc += columns[k][i]
                if level < acc:
                    cell = k
                    break
            out.append("█" if cell else " ", style=colours[cell] if cell else "")
        out.append("\n")
    out.append(f"     {r.days[0].isoformat()}", style="dim")
    gap = max(1, n - 20)
    out.append(" " * gap + r.days[-1].isoformat() + "\n", style="dim")
    out.append_text(_legend([names.get(k, k) for k in r.flow], [colours[k] for k in r.flow]))
    return out


def throughput(r: Report, width: int, height: int) -> Text:
    """Published per week as bars, with arrivals (in) and departures (out) under them."""
    weeks = r.weeks[-max(1, (width - 5) // 5):]
    if not weeks:
        return Text("No weeks in this period yet.")
    plot_h = max(2, height - 4)
    top = max((w.throughput for w in weeks), default=0) or 1
    out = Text()
    for row in range(plot_h, 0, -1):
        out.append(f"{top:>3}  " if row == plot_h else "     ", style="dim")
        for w in weeks:
            filled = w.throughput * plot_h / top
            part = filled - (row - 1)
            cell = "█" if part >= 1 else BLOCKS[max(0, min(8, round(part * 8)))] if part > 0 else " "
            out.append(f" {cell * 3} ", style="green")
        out.append("\n")
    for label, pick in (("wk", lambda w: w.week[-3:]), ("pub", lambda w: str(w.throughput)),
                        ("in", lambda w: str(w.arrivals)), ("out", lambda w: str(w.departures))):
        if label == "pub" and plot_h < 3:
            continue
        out.append(f"{label:<5}", style="dim")
        for w in weeks:
            out.append(f"{pick(w):^5}")
        out.append("\n")
    out.rstrip()
    return out


def control(r: Report, width: int, height: int) -> Text:
    """Cycle time of each published piece by publish day, with the p50 and p85 lines."""
    if not r.points or r.cycle.p50 is None or r.cycle.p85 is None:
        return Text("No piece was published with a history in this period.")
    plot_w = max(8, width - 7)
    plot_h = max(3, height - 2)
    top = max(r.cycle.max or 1.0, 1.0)
    first, days = r.period.since, max(1, r.period.days - 1)
    grid = [[" "] * plot_w for _ in range(plot_h)]
    styles = [[""] * plot_w for _ in range(plot_h)]

    def y_of(value: float) -> int:
        return min(plot_h - 1, max(0, plot_h - 1 - round(value / top * (plot_h - 1))))

    for value, mark, style in ((r.cycle.p85, "┄", "yellow"), (r.cycle.p50, "─", "blue")):
        y = y_of(value)
        for x in range(plot_w):
            grid[y][x], styles[y][x] = mark, style
    for p in r.points:
        x = min(plot_w - 1, round((p.day - first).days / days * (plot_w - 1)))
        y = y_of(p.cycle_days)
        grid[y][x], styles[y][x] = "●", "bold"
    out = Text()
    for y in range(plot_h):
        label = f"{top:>5.0f}d" if y == 0 else "   0d " if y == plot_h - 1 else "      "
        out.append(label + " ", style="dim")
        for x in range(plot_w):
            out.append(grid[y][x], style=styles[y][x])
        out.append("\n")
    out.append("       ● piece  ", style="dim")
    out.append("─", style="blue")
    out.append(f" p50 {r.cycle.p50:.1f}d  ")
    out.append("┄", style="yellow")
    out.append(f" p85 {r.cycle.p85:.1f}d  max {r.cycle.max or 0:.1f}d")
    return out


def _bars(rows: Sequence[tuple[str, float, str, bool]], width: int, empty: str) -> Text:
    """Horizontal bars: (label, value, note, bad)."""
    if not rows:
        return Text(empty)
    label_w = min(16, max(len(r[0]) for r in rows))
    note_w = max(len(r[2]) for r in rows)
    bar_w = max(4, width - label_w - note_w - 3)
    top = max((r[1] for r in rows), default=0) or 1
    out = Text()
    for label, value, note, bad in rows:
        out.append(label[:label_w].ljust(label_w) + " ")
        n = value / top * bar_w
        whole = int(n)
        bar = "█" * whole + (BLOCKS[round((n - whole) * 8)] if n - whole > 0.06 else "")
        out.append(bar.ljust(bar_w), style="red" if bad else "cyan")
        out.append(" " + note + "\n", style="red" if bad else "")
    out.rstrip()
    return out


def revisions(r: Report, width: int, height: int) -> Text:
    rows = [(f.format, f.mean, f"{f.mean:.1f}/{f.limit} ({f.pieces})", f.over_limit > 0)
            for f in r.revisions][: max(1, height)]
    return _bars(rows, width, "No piece was published in this period.")


def load(r: Report, width: int, height: int) -> Text:
    rows = []
    for x in r.load[: max(1, height)]:
        limit = f"/{x.limit}" if x.limit else ""
        away = f" away {x.away_days}d" if x.away_days else ""
        rows.append((x.person, x.mean, f"{x.mean:.1f}{limit} peak {x.peak}{away}", x.days_over > 0))
    return _bars(rows, width, "Nobody owned active pieces in this period.")


def tiles(kpis: Sequence[Kpi], width: int) -> Text:
    """The KPI tiles, as many a row as fit: label, value, trend against the period
    before (green when better, red when worse) and the target's verdict."""
    tile_w = 19
    per_row = max(1, width // tile_w)
    out = Text()
    for start in range(0, len(kpis), per_row):
        row = kpis[start : start + per_row]
        for k in row:
            out.append(k.label[: tile_w - 1].ljust(tile_w), style="dim")
        out.append("\n")
        for k in row:
            value = show_value(k, k.value, k.unit)
            status = {"good": "bold green", "bad": "bold red"}.get(k.status, "bold")
            out.append(value, style=status)
            arrow = k.trend
            colour = {True: "green", False: "red"}.get(k.improved, "dim") if k.improved is not None else "dim"
            out.append(f" {arrow}" if arrow else "", style=colour)
            used = len(value) + (len(arrow) + 1 if arrow else 0)
            out.append(" " * max(1, tile_w - used))
        out.append("\n")
    out.rstrip()
    return out


def review_tracks(tracks: Sequence[TrackReview], width: int) -> Text:
    """One line: each review track's wait (p50, p85 and how many, in hours), what waits
    on it now and its delegated approvals."""
    out = Text("Review per track (h)  ", style="dim")
    for i, t in enumerate(tracks):
        if i:
            out.append(" · ", style="dim")
        out.append(clean_line(t.role), style="bold")
        s = t.wait_hours
        parts = [] if s.p50 is None or s.p85 is None else [f"p50 {s.p50:g} p85 {s.p85:g} n {s.n}"]
        if t.waiting:
            parts.append(f"waiting {t.waiting}")
        if t.delegated:
            parts.append(f"delegated {t.delegated}")
        out.append(" " + (", ".join(parts) or "–"))
    out.truncate(max(1, width), overflow="ellipsis")
    return out


class Chart(Static):
    """One titled chart; draws itself at its own size."""

    DEFAULT_CSS = """
    Chart { border: round $secondary; padding: 0 1; height: 1fr; }
    """

    def __init__(self, title: str, draw: Callable[[int, int], Text], **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.border_title = title
        self.draw = draw

    def render(self) -> Text:
        return self.draw(max(10, self.content_size.width), max(3, self.content_size.height))


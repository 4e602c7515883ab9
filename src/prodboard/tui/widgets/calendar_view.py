"""How the calendar looks: the month grid, the week list, a day's details and the
unscheduled tray, as rich ``Text`` built from the calendar's values. Nothing here is
parsed as markup: every title, format, channel and handle goes in as plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rich.console import Console
from rich.style import Style
from rich.text import Text

from prodboard.domain import calendar as cal
from prodboard.domain.text import clean_line
from prodboard.domain.values import PieceView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput

# One colour per stage, in workflow order (a longer workflow repeats them).
STAGE_COLOURS = ("grey62", "dodger_blue1", "gold3", "orchid", "dark_cyan", "green3", "green4")
MARK = {cal.PUBLISH: "●", cal.DUE: "◇", cal.STAGE: "·"}
WARN = Style(color="red", bold=True)
DIM = Style(dim=True)
DAY_LINES = 14  # entries of the cursor's day listed beside the month
_CONSOLE = Console(width=200)  # only measures text for wrapping
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class CalendarData:
    """What one paint shows: the entries and warnings of the visible days, the tray,
    and where the cursor is."""

    today: date
    cursor: date
    days: dict[date, list[cal.Entry]] = field(default_factory=dict)
    warnings: dict[date, list[cal.DayWarning]] = field(default_factory=dict)
    tray: list[PieceView] = field(default_factory=list)
    index: int = 0  # the focused entry of the cursor day
    tray_index: int = 0
    in_tray: bool = False


def stage_style(wf: Workflow, stage: str) -> Style:
    try:
        index = wf.index(stage)
    except BadInput:
        index = 0
    return Style(color=STAGE_COLOURS[index % len(STAGE_COLOURS)])


def _stage_name(wf: Workflow, key: str) -> str:
    try:
        return wf.stage(key).name
    except BadInput:
        return key


def entry_label(e: cal.Entry) -> str:
    """The short form for a grid cell: mark, id and title."""
    due = "due " if e.kind == cal.DUE else ""
    return f"{MARK[e.kind]}{due}#{e.piece.id} {clean_line(e.piece.title)}"


def entry_line(e: cal.Entry, wf: Workflow) -> Text:
    """The long form: mark, id, title, format, channels, owner, stage."""
    p = e.piece
    line = Text(no_wrap=True, overflow="ellipsis")
    kind = {cal.PUBLISH: "", cal.DUE: "due ", cal.STAGE: f"{_stage_name(wf, e.stage)} due "}[e.kind]
    line.append(f"{MARK[e.kind]} {kind}", stage_style(wf, p.stage))
    line.append(f"#{p.id} ", Style(bold=True))
    line.append(clean_line(p.title), stage_style(wf, p.stage) + Style(bold=e.kind == cal.PUBLISH))
    bits = [clean_line(p.format), *(clean_line(c) for c in p.channels), p.owner or "unassigned",
            _stage_name(wf, p.stage)]
    line.append("  " + " · ".join(bits), DIM)
    return line


def _fit(text: Text, width: int) -> Text:
    """Exactly ``width`` cells: cut with an ellipsis, or padded."""
    out = text.copy()
    out.no_wrap = True
    out.truncate(max(width, 0), overflow="ellipsis", pad=True)
    return out


def _focused(data: CalendarData, day: date, i: int) -> bool:
    return not data.in_tray and day == data.cursor and i == data.index


def month_text(data: CalendarData, wf: Workflow, width: int, height: int) -> Text:
    """The month of the cursor as a grid of weeks, each day with its entries."""
    weeks = cal.month_weeks(data.cursor)
    col = max(3, (width - 8) // 7)
    rows = max(1, (height - 2 - len(weeks)) // len(weeks))  # lines per week, its day line included
    out = Text(no_wrap=True)
    rule = "┼".join("─" * col for _ in range(7))
    out.append(" " + " ".join(_fit(Text(d), col).plain for d in WEEKDAYS) + "\n", Style(bold=True))
    for w, week in enumerate(weeks):
        out.append(("├" if w else "┌") + rule.replace("┼", "┼" if w else "┬") + ("┤" if w else "┐") + "\n",
                   DIM)
        cells = [_day_cell(data, wf, day, col, rows) for day in week]
        for r in range(rows):
            out.append("│", DIM)
            for cell in cells:
                out.append_text(cell[r])
                out.append("│", DIM)
            out.append("\n")
    out.append("└" + rule.replace("┼", "┴") + "┘", DIM)
    return out


def _day_cell(data: CalendarData, wf: Workflow, day: date, col: int, rows: int) -> list[Text]:
    entries = data.days.get(day, [])
    warnings = data.warnings.get(day, [])
    other_month = day.month != data.cursor.month
    head = Text(f"{day.day:>2}", Style(dim=other_month))
    if day == data.today:
        head.append(" today", Style(bold=True, color="cyan"))
    if warnings:
        head.append(f" ⚠{len(warnings)}", WARN)
    if day == data.cursor:
        head.stylize(Style(reverse=True, bold=True), 0, 2)
    lines = [_fit(head, col)]
    room = rows - 1
    # Keep the focused entry in view: the cell shows a window of its entries.
    first = 0
    if day == data.cursor and data.index >= room:
        first = data.index - room + 2
    shown = entries[first:]
    for i, e in enumerate(shown[:room]):
        if len(shown) > room and i == room - 1:
            lines.append(_fit(Text(f"+{len(shown) - i} more", DIM), col))
            break
        text = Text(entry_label(e), stage_style(wf, e.piece.stage) + Style(dim=other_month))
        if e.kind != cal.PUBLISH:
            text.stylize(Style(italic=True))
        if _focused(data, day, first + i):
            text.stylize(Style(reverse=True))
        lines.append(_fit(text, col))
    while len(lines) < rows:
        lines.append(_fit(Text(""), col))
    return lines


def week_text(data: CalendarData, wf: Workflow, width: int) -> tuple[Text, int]:
    """The week of the cursor as a list of days, and the line of the cursor's day."""
    out = Text(no_wrap=True)
    cursor_line = 0
    line_no = 0
    for day in cal.week_days(data.cursor):
        head = Text(day.strftime("%a %d %b"), Style(bold=True))
        if day == data.today:
            head.append("  today", Style(bold=True, color="cyan"))
        if day == data.cursor:
            head.stylize(Style(reverse=True), 0, 10)
            cursor_line = line_no
        out.append_text(_fit(head, width))
        out.append("\n")
        line_no += 1
        for w in data.warnings.get(day, []):
            out.append_text(_fit(Text(f"  ⚠ {w.text}", WARN), width))
            out.append("\n")
            line_no += 1
        entries = data.days.get(day, [])
        if not entries:
            out.append_text(_fit(Text("  —", DIM), width))
            out.append("\n")
            line_no += 1
        for i, e in enumerate(entries):
            text = Text("  ")
            text.append_text(entry_line(e, wf))
            if _focused(data, day, i):
                text.stylize(Style(reverse=True), 2)
            out.append_text(_fit(text, width))
            out.append("\n")
            line_no += 1
    out.rstrip()
    return out, cursor_line


def day_text(data: CalendarData, wf: Workflow, width: int) -> Text:
    """The cursor's day in full: its warnings and every entry (the month view's side)."""
    day = data.cursor
    out = Text(no_wrap=True)
    out.append_text(_fit(Text(day.strftime("%A %d %B %Y"), Style(bold=True)), width))
    out.append("\n")
    for w in data.warnings.get(day, []):
        warn = Text(f"⚠ {w.text}", WARN)
        for piece in warn.wrap(_CONSOLE, max(width, 1)):
            out.append_text(_fit(piece, width))
            out.append("\n")
    entries = data.days.get(day, [])
    if not entries:
        out.append_text(_fit(Text("nothing on this day", DIM), width))
        out.append("\n")
    # A window of the day's entries that keeps the focused one in view.
    first = max(0, data.index - DAY_LINES + 1) if not data.in_tray else 0
    for i, e in enumerate(entries[first:first + DAY_LINES], first):
        line = entry_line(e, wf)
        if _focused(data, day, i):
            line.stylize(Style(reverse=True))
        out.append_text(_fit(line, width))
        out.append("\n")
    hidden = len(entries) - min(len(entries), first + DAY_LINES) + first
    if hidden:
        out.append_text(_fit(Text(f"{hidden} more: j/k scroll the day", DIM), width))
    out.rstrip()
    return out


def tray_text(data: CalendarData, wf: Workflow, width: int, place_key: str) -> Text:
    """The unscheduled tray: pieces past the brief with no publish date."""
    out = Text(no_wrap=True)
    title = Text(f"Unscheduled ({len(data.tray)})", Style(bold=True, underline=data.in_tray))
    out.append_text(_fit(title, width))
    out.append("\n")
    if not data.tray:
        out.append_text(_fit(Text("nothing to place", DIM), width))
        return out
    for i, p in enumerate(data.tray):
        line = Text(f"#{p.id} ", Style(bold=True))
        line.append(clean_line(p.title), stage_style(wf, p.stage))
        line.append(f" · {_stage_name(wf, p.stage)}", DIM)
        if data.in_tray and i == data.tray_index:
            line.stylize(Style(reverse=True))
        out.append_text(_fit(line, width))
        out.append("\n")
    if data.in_tray:
        out.append_text(_fit(Text(f"{place_key}: place on {data.cursor:%d %b}", DIM), width))
    out.rstrip()
    return out


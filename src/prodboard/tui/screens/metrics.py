"""The Metrics screen: KPI tiles against the period before, and five charts.

The history is replayed once when the screen opens (in a thread); while it is open,
the app tells it when the feed brought events (``board_changed``): it replays only
those and recomputes only what they touched. At 160x45 every chart shows; on a
smaller terminal one chart at a time (left/right).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label, Static

from prodboard.domain.health import Kpi
from prodboard.domain.metrics import Period, Report, Scope, month_of, weeks_to
from prodboard.errors import ProdboardError
from prodboard.services.context import Workspace
from prodboard.services.metrics import Figures
from prodboard.tui.bindings import hint
from prodboard.tui.widgets import charts

PERIODS = ("4 weeks", "12 weeks", "26 weeks", "month")
CHARTS = ("Cumulative flow", "Weekly throughput", "Cycle time (control chart)",
          "Revision rounds by format", "Load per person")
WIDE = (140, 40)  # from this size on, every chart shows


class MetricsScreen(Screen[None]):
    """The team's figures for a period, filtered by format, channel and owner."""

    DEFAULT_CSS = """
    MetricsScreen { layout: vertical; }
    MetricsScreen #metrics-title { height: 1; padding: 0 1; background: $panel; width: 100%; }
    MetricsScreen #metrics-tiles { height: auto; padding: 0 1; }
    MetricsScreen #metrics-tracks { height: 1; padding: 0 1; display: none; }
    MetricsScreen #metrics-tracks.-shown { display: block; }
    MetricsScreen #metrics-charts { grid-size: 1; height: 1fr; }
    MetricsScreen.-wide #metrics-charts { grid-size: 2 3; }
    MetricsScreen.-wide #chart-0 { column-span: 2; }
    MetricsScreen #metrics-hint { height: 1; padding: 0 1; }
    MetricsScreen Chart.-hidden { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back to the board", id="metrics-close"),
        Binding("p", "period", "Period", id="metrics-period"),
        Binding("right,l", "chart(1)", "Next chart", id="metrics-next"),
        Binding("left,h", "chart(-1)", "Previous chart", id="metrics-previous"),
        Binding("f", "scope('format')", "Format", id="metrics-format"),
        Binding("c", "scope('channel')", "Channel", id="metrics-channel"),
        Binding("o", "scope('owner')", "Owner", id="metrics-owner"),
    ]

    def __init__(self, session: Workspace) -> None:
        super().__init__()
        self.session = session
        self.figures: Figures | None = None
        self.period_index = 1
        self.scope = Scope()
        self.chart_index = 0
        self.report: Report | None = None
        self.kpis: tuple[Kpi, ...] = ()
        self.ready = False  # the first figures are painted
        self.paints = 0
        self.error: str | None = None
        self.shown_cursor = 0  # the last event the figures on screen include
        self._following = False
        self._stale = False  # events came while the figures were being brought up to date

    def compose(self) -> ComposeResult:
        yield Label(Content("Metrics — reading the history…"), id="metrics-title")
        yield Static(Text(""), id="metrics-tiles")
        yield Static(Text(""), id="metrics-tracks")  # only for formats with review tracks
        with Grid(id="metrics-charts"):
            for i, (title, draw) in enumerate(zip(CHARTS, self._drawers(), strict=True)):
                yield charts.Chart(title, draw, id=f"chart-{i}")
        yield Label(Content(self._hint()), classes="dim", id="metrics-hint")

    def _drawers(self) -> list[Callable[[int, int], Text]]:
        names = {s.key: s.name for s in self.session.workflow.stages}

        def when_ready(fn: Callable[[Report, int, int], Text]) -> Callable[[int, int], Text]:
            def draw(width: int, height: int) -> Text:
                if self.report is None:
                    return Text(self.error or "…")
                return fn(self.report, width, height)
            return draw

        return [when_ready(lambda r, w, h: charts.cumulative_flow(r, w, h, names)),
                when_ready(charts.throughput), when_ready(charts.control),
                when_ready(charts.revisions), when_ready(charts.load)]

    def _hint(self) -> str:
        keys = [(hint(self.app, "metrics-period", "p"), "period"),
                (hint(self.app, "metrics-format", "f"), "format"),
                (hint(self.app, "metrics-channel", "c"), "channel"),
                (hint(self.app, "metrics-owner", "o"), "owner"),
                (hint(self.app, "metrics-next", "→"), "chart"),
                (hint(self.app, "metrics-close", "esc"), "board")]
        return " · ".join(f"{k} {what}" for k, what in keys)

    def on_mount(self) -> None:
        self._layout()
        self.load()

    def on_resize(self) -> None:
        self._layout()

    def on_unmount(self) -> None:
        self.figures = None  # the replay goes with the screen

    def _layout(self) -> None:
        wide = self.size.width >= WIDE[0] and self.size.height >= WIDE[1]
        self.set_class(wide, "-wide")
        for i, chart in enumerate(self.query(charts.Chart)):
            chart.set_class(not wide and i != self.chart_index, "-hidden")

    # -- figures -----------------------------------------------------------------------
    @work(exclusive=True, group="metrics", exit_on_error=False)
    async def load(self) -> None:
        try:
            self.figures = await asyncio.to_thread(Figures.open, self.session)
            # The replay's million objects are no garbage: out of the collector's passes
            # (a full one cost 0.7 s in the middle of a refresh), as the board does with
            # its pieces. They are freed by their counts when the screen goes.
            gc.freeze()
            await self.recompute()
        except ProdboardError as exc:
            self._failed(exc.message)
            return
        except Exception as exc:  # noqa: BLE001  (a bug: said on the screen, not a blank)
            self._failed(f"unexpected error ({type(exc).__name__}: {exc}); please report it")
            return
        self.board_changed()  # what happened while the history was being read

    def _failed(self, why: str) -> None:
        self.error = f"The figures cannot be read: {why}"
        self.query_one("#metrics-title", Label).update(Text(self.error, style="bold red"))
        for chart in self.query(charts.Chart):
            chart.refresh()
        self.ready = True

    def period(self) -> Period:
        assert self.figures is not None
        today = self.figures.today()
        choice = PERIODS[self.period_index]
        return month_of(today) if choice == "month" else weeks_to(today, int(choice.split()[0]))

    async def recompute(self) -> None:
        figures = self.figures
        if figures is None:
            return
        period, scope = self.period(), self.scope
        cursor = figures.replay.cursor if figures.replay is not None else 0
        self.report, self.kpis = await asyncio.to_thread(figures.tiles, period, scope)
        self.shown_cursor = max(self.shown_cursor, cursor)
        self.paint()

    def paint(self) -> None:
        r = self.report
        if r is None:
            return
        choice = PERIODS[self.period_index]
        title = Text("Metrics — ", style="bold")
        title.append(f"{'this month' if choice == 'month' else 'last ' + choice} "
                     f"({r.period.label()}) · {self.scope.describe()}")
        if r.imported:
            title.append(f" · {r.imported} imported without history", style="dim")
        self.query_one("#metrics-title", Label).update(title)
        self.query_one("#metrics-tiles", Static).update(
            charts.tiles(self.kpis, max(19, self.size.width - 2)))
        tracks = self.query_one("#metrics-tracks", Static)
        tracks.set_class(bool(r.review.tracks), "-shown")
        tracks.update(charts.review_tracks(r.review.tracks, self.size.width - 2))
        for chart in self.query(charts.Chart):
            chart.refresh()
        self.paints += 1
        self.ready = True

    def board_changed(self) -> None:
        """The feed brought events: replay them (only the new ones) and recompute. Work
        already under way is never cancelled half-way: it runs again once it is done."""
        if self.figures is None:
            return
        if self._following:
            self._stale = True
            return
        self._following = True
        self.run_worker(self._follow(), group="metrics-follow", exit_on_error=False)

    async def _follow(self) -> None:
        figures = self.figures
        assert figures is not None
        try:
            while True:
                self._stale = False
                try:
                    await asyncio.to_thread(figures.refresh)
                except ProdboardError:
                    return  # the board shows why (a lost file); the figures stay as they were
                if figures.replay is not None and figures.replay.cursor != self.shown_cursor:
                    await self.recompute()
                if not self._stale:
                    return
        finally:
            self._following = False

    # -- keys --------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss()

    async def action_period(self) -> None:
        self.period_index = (self.period_index + 1) % len(PERIODS)
        await self.recompute()

    def action_chart(self, delta: int) -> None:
        self.chart_index = (self.chart_index + delta) % len(CHARTS)
        self._layout()

    async def action_scope(self, what: str) -> None:
        """Step through the values of one filter: all, then each value there is."""
        if self.figures is None or self.figures.replay is None:
            return
        values: set[str] = set()
        with self.figures.lock:  # a refresh may be replaying new events meanwhile
            for line in self.figures.replay.pieces.values():
                if what == "channel":
                    values.update(str(c) for c in line.current.get("channels", ()))
                elif line.current.get(what):
                    values.add(str(line.current[what]))
        options: list[Any] = [None, *sorted(values)]
        now = getattr(self.scope, what)
        nxt = options[(options.index(now) + 1) % len(options)] if now in options else None
        self.scope = Scope(**{**self.scope.__dict__, what: nxt})
        await self.recompute()

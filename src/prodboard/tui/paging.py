"""How the board app reads a big stage: a page at a time, as its column scrolls.

``BoardPaging`` is the part of the app that reads pieces into ``BoardState`` beyond
the first load: the next page of a paged stage (``CardList.NearEnd``), a piece
the focus goes to, a filter's matches, and the recount when an update touched a
piece the board did not hold. Every read runs in a thread; what it brings is
merged on the event loop.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable

from textual import work
from textual.app import App

from prodboard.domain.values import PieceView
from prodboard.services.context import Workspace
from prodboard.storage.queries import Queries
from prodboard.tui.board_state import BoardState, Filter, Key
from prodboard.tui.widgets.column import CardList

PAGE_SIZE = 500  # a stage with more pieces is read from the database a page at a time
FILTER_HELD = 2000  # a filter holds at most this many matches from a paged stage
SCAN_CHUNK = 2000  # pieces a filter scan reads at a time (then keeps only the matches)


class BoardPaging(App[None]):
    """The reads of a board app that holds its big stages in part."""

    page_size: int = PAGE_SIZE
    session: Workspace
    model: BoardState

    def paint(self, stages: Iterable[str] | None = None) -> None:
        raise NotImplementedError  # the board app's

    def read_board(self, q: Queries) -> None:
        """Load the model: stages of at most a page whole, bigger ones their first page."""
        totals = q.stage_counts()
        big = {key for key, n in totals.items() if n > self.page_size}
        self._paging: set[str] = set()  # paged stages whose next page is being read
        if not big:
            self.model.load(q.pieces())
            return
        held: list[PieceView] = []
        ends: dict[str, Key] = {}
        for stage in (s.key for s in self.session.workflow.stages):
            if stage not in big:
                held += q.pieces(stage=stage)
                continue
            page = q.stage_page(stage, None, self.page_size)
            held += page
            if len(page) == self.page_size:  # else it shrank meanwhile: held whole
                ends[stage] = (page[-1].rank, page[-1].id)
        self.model.load(held, totals, ends)

    def on_card_list_near_end(self, event: CardList.NearEnd) -> None:
        """The next page of a paged column, read as its cards near the end of it."""
        stage = event.stage
        if stage in self.model.paged and stage not in self._paging and not self.model.filter.active:
            self._paging.add(stage)
            self._read_page(stage, self.model.paged[stage])

    @work(thread=True, group="load", exit_on_error=False)
    def _read_page(self, stage: str, after: Key) -> None:
        page: list[PieceView] | None = None
        try:
            page = self.session.queries.stage_page(stage, after, self.page_size)
        finally:  # a failed read may be asked again (the error itself is a toast)
            self.call_from_thread(self._add_page, stage, after, page)

    def _add_page(self, stage: str, after: Key, page: list[PieceView] | None) -> None:
        self._paging.discard(stage)
        if page is None or self.model.paged.get(stage) != after:
            return  # failed, or read for the board before a reopen
        self.model.add_page(stage, page, complete=len(page) < self.page_size)
        self.paint({stage})
        gc.freeze()  # long-lived values, like the first load's

    def hold_piece(self, piece_id: int) -> bool:
        """Hold a piece the focus goes to (beyond a window: one indexed row)."""
        if piece_id in self.model.pieces:
            return True
        found = self.session.queries.piece(piece_id)
        return found is not None and bool(self.model.hold([found]))

    def recount_if_stale(self) -> None:
        """After an update: recount the stages if it touched a piece not held."""
        if self.model.stale:
            self.model.stale = False
            self._recount()

    @work(thread=True, group="recount", exclusive=True, exit_on_error=False)
    def _recount(self) -> None:
        totals = self.session.queries.stage_counts()
        self.call_from_thread(self._recounted, totals)

    def _recounted(self, totals: dict[str, int]) -> None:
        self.model.set_totals(totals)
        self.paint(list(self.model.paged))

    def scan_filter(self, flt: Filter) -> None:
        """Find a new filter's matches beyond the windows of the paged stages."""
        if flt.active and self.model.paged:
            self._scan(flt, list(self.model.paged))

    @work(thread=True, group="filter-scan", exclusive=True, exit_on_error=False)
    def _scan(self, flt: Filter, stages: list[str]) -> None:
        # Constant memory: each chunk is dropped once its matches are kept.
        for stage in stages:
            after: Key | None = None
            found: list[PieceView] = []
            while len(found) < FILTER_HELD:
                chunk = self.session.queries.stage_page(stage, after, SCAN_CHUNK)
                found += [p for p in chunk if flt.matches(p)]
                if len(chunk) < SCAN_CHUNK:
                    break
                after = (chunk[-1].rank, chunk[-1].id)
            self.call_from_thread(self._found, flt, found[:FILTER_HELD])

    def _found(self, flt: Filter, found: list[PieceView]) -> None:
        if flt == self.model.filter:  # not a filter replaced meanwhile
            self.paint(self.model.hold(found))

"""The board: a Textual kanban of the production stages, driven from the keyboard.

Every change goes through the core's ``Commands`` commands on one writer thread, so
writes never block the screen and run in the order the keys were pressed. Reads of
other people's changes arrive from the change feed worker, which posts them back.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll
from textual.screen import Screen
from textual.widgets import Footer

from prodboard.domain import reviews, rules
from prodboard.domain.values import PieceView
from prodboard.domain.workflow import Workflow
from prodboard.errors import ProdboardError, Refused
from prodboard.services.context import Workspace
from prodboard.storage.store import FileLost
from prodboard.tui.bindings import hint
from prodboard.tui.board_state import BoardState, Filter
from prodboard.tui.live import LiveBoard
from prodboard.tui.widgets.column import CardList, StageColumn
from prodboard.tui.widgets.topbar import TopBar

T = TypeVar("T")
LAZY_STAGE_SIZE = 500  # a last stage bigger than this loads after the first paint


BOARD_BINDINGS = [
    Binding("left,h", "app.focus_column(-1)", "Stage ←", id="focus-left", show=False),
    Binding("right,l", "app.focus_column(1)", "Stage →", id="focus-right", show=False),
    Binding("up,k", "app.focus_card(-1)", "Card ↑", id="focus-up", show=False),
    Binding("down,j", "app.focus_card(1)", "Card ↓", id="focus-down", show=False),
    Binding("pageup", "app.focus_card(-5)", "Page up", id="page-up", show=False),
    Binding("pagedown", "app.focus_card(5)", "Page down", id="page-down", show=False),
    Binding("home", "app.focus_edge(0)", "First card", id="first-card", show=False),
    Binding("end", "app.focus_edge(-1)", "Last card", id="last-card", show=False),
    Binding("shift+left,H", "app.move_piece(-1)", "Move to previous stage", id="move-left",
            show=False),
    Binding("shift+right,L", "app.move_piece(1)", "Move to next stage", id="move-right",
            show=False),
    Binding("shift+up,K", "app.reorder(-1)", "Move up in stage", id="reorder-up", show=False),
    Binding("shift+down,J", "app.reorder(1)", "Move down in stage", id="reorder-down",
            show=False),
    Binding("enter", "app.open_piece", "Open", id="open"),
    Binding("n", "app.new_piece", "New", id="new"),
    Binding("e", "app.edit_piece", "Edit", id="edit", show=False),
    Binding("c", "app.comment", "Comment", id="comment"),
    Binding("a", "app.assign", "Assign", id="assign", show=False),
    Binding("y", "app.approve", "Approve", id="approve", show=False),
    Binding("x", "app.request_changes", "Request changes", id="request-changes", show=False),
    Binding("o", "app.override_move", "Override gate", id="override", show=False),
    Binding("w", "app.watch", "Watch/unwatch", id="watch", show=False),
    Binding("slash", "app.filter", "Filter", id="filter"),
    Binding("escape", "app.clear_filter", "Clear filter", id="clear-filter", show=False),
    Binding("i", "app.inbox", "Inbox", id="inbox"),
    Binding("g", "app.jump", "Go to last alert", id="jump", show=False),
    Binding("question_mark", "app.help", "Help", id="help"),
    Binding("q", "app.quit", "Quit", id="quit"),
]


class BoardScreen(Screen[None]):
    """The board itself: the top bar, the stage columns and the footer.

    Its keys live here, not on the app, so that screens pushed over it (a piece,
    a form) do not inherit them.
    """

    BINDINGS: ClassVar[list[BindingType]] = [*BOARD_BINDINGS]

    def compose(self) -> ComposeResult:
        app: ProdboardApp = self.app  # type: ignore[assignment]
        yield TopBar()
        with BoardScroll(id="board"):
            for stage in app.wf.stages:
                yield StageColumn(stage, app.wf)
        yield Footer()

    def on_mount(self) -> None:
        self.app.start_board()  # type: ignore[attr-defined]

    def on_resize(self) -> None:
        # A wider screen scrolls the board back to the left; once the new widths are
        # laid out, bring the focused stage and card back into view.
        self.call_after_refresh(self.app._show_focus)  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        # The terminal may have been resized while a piece or a form covered the board.
        self.call_after_refresh(self.app._show_focus)  # type: ignore[attr-defined]


class BoardScroll(HorizontalScroll, can_focus=False):
    """The columns side by side; scrolls to the focused stage, never takes the keys."""


class ProdboardApp(LiveBoard, App[None]):
    """The production board for one person on one board database."""

    CSS_PATH = "app.tcss"
    TITLE = "prodboard"
    # On the app with priority, not on the board screen: it works from an open form
    # (modal screens hide the app's other bindings), which then saves what was typed
    # into the reopened board.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reopen", "Reopen the board file", id="reopen", show=False,
                priority=True),
    ]


    def __init__(self, session: Workspace, *, live: bool = True) -> None:
        super().__init__()
        self.session: Workspace = session  # replaced when a lost board file is reopened
        self.wf: Workflow = session.workflow
        self.model: BoardState = BoardState(session.workflow)
        self.live = live
        self.focus_col = 0
        self.focus_ids: dict[str, int | None] = {s.key: None for s in self.wf.stages}
        self.focus_rows: dict[str, int] = {s.key: 0 for s in self.wf.stages}
        self.away: set[str] = set()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prodboard-write")
        self.ui = session.ui

    # -- layout ------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return BoardScreen()

    def on_mount(self) -> None:
        # Textual applies the keymap on every screen's bindings, by binding id.
        self.set_keymap(self.ui.keys)
        if self.ui.theme:
            self.theme = self.ui.theme
        for warning in self.ui.warnings:
            self.notify(warning, title="Personal config", severity="warning", timeout=20,
                        markup=False)

    def start_board(self, announce: bool = True) -> None:
        """Load and paint the board, once its screen is mounted (again on reopen)."""
        q = self.session.queries
        cursor = q.last_event_id()  # read first: later events are re-applied, harmlessly
        self.board_name = q.board_name()
        last = self.wf.last.key
        # Years of published pieces come after the first paint, so a big board is
        # usable at once; a small one loads whole (and paints the same every time).
        later = q.stage_counts().get(last, 0) > LAZY_STAGE_SIZE
        self.model.load(q.pieces(exclude_stage=last if later else None))
        self.away = {p.handle for p in q.people() if p.away}
        self.topbar.set_info(self.board_name, self.session.user, self.session.store.readonly)
        self._size_columns()
        self.paint()
        if self.session.store.readonly and announce:
            self.notify("This board is read-only: you can look, but changes cannot be saved.",
                        title="Read-only", severity="warning", timeout=8, markup=False)
        if self.session.note and announce:
            self.notify(self.session.note, title="Demo board", timeout=12, markup=False)
        self.start_live(cursor, announce)
        if later:
            self.load_last_stage()
        else:
            self._freeze()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_last_stage(self) -> None:
        pieces = self.session.queries.pieces(stage=self.wf.last.key)
        self.call_from_thread(self._merge_loaded, pieces)

    def _merge_loaded(self, pieces: list[PieceView]) -> None:
        self.model.merge(pieces)
        self.paint()
        self._freeze()

    @staticmethod
    def _freeze() -> None:
        # Thousands of long-lived piece values: keep them out of the collector's full
        # passes, which otherwise cost ~80 ms at random moments on a 10,000-piece board.
        gc.collect()
        gc.freeze()

    def on_resize(self) -> None:
        self._size_columns()

    def _size_columns(self) -> None:
        """Columns share the width, never narrower than 22 cells: on a small terminal
        the board scrolls sideways to the focused stage instead of crushing seven."""
        width = max(22, self.size.width // len(self.wf.stages))
        for col in self.query(StageColumn):
            col.styles.width = width

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.close()
        self._writer.shutdown(wait=False, cancel_futures=False)

    @property
    def board_screen(self) -> Screen[Any]:
        return self.screen_stack[0]

    @property
    def topbar(self) -> TopBar:
        return self.board_screen.query_one(TopBar)

    def column(self, key: str) -> StageColumn:
        return self.board_screen.query_one(f"#col-{key}", StageColumn)

    # -- painting ------------------------------------------------------------------
    @property
    def focus_stage(self) -> str:
        return self.wf.stages[self.focus_col].key

    def paint(self, stages: Iterable[str] | None = None) -> None:
        """Redraw the given stages (all by default), keeping each column's focus."""
        now = self.session.board.clock()
        keys = list(stages) if stages is not None else [s.key for s in self.wf.stages]
        for key in keys:
            col = self.column(key)
            pieces = self.model.columns[key]
            index = self.model.index_of(key, self.focus_ids[key])
            if index is None and pieces:
                # The focused piece left (moved or filtered): stay at the same row.
                index = min(self.focus_rows[key], len(pieces) - 1)
            self.focus_ids[key] = pieces[index].id if index is not None else None
            if index is not None:
                self.focus_rows[key] = index
            col.header.show(col.stage, len(pieces), self.model.counts[key])
            col.header.set_class(key == self.focus_stage, "-focused")
            col.cards.set_pieces(pieces, index if key == self.focus_stage else None, now, self.away)
        self.topbar.set_filter(self.model.filter.describe())

    def current(self) -> PieceView | None:
        """The focused piece, if any."""
        pid = self.focus_ids[self.focus_stage]
        return self.model.pieces.get(pid) if pid is not None else None

    def focus_piece(self, piece_id: int) -> bool:
        """Put the focus on a piece (switching column, clearing a filter hiding it)."""
        piece = self.model.pieces.get(piece_id)
        if piece is None:
            return False
        if self.model.index_of(piece.stage, piece_id) is None:
            self.model.set_filter(Filter())
        old = self.focus_stage
        self.focus_col = self.wf.index(piece.stage)
        self.focus_ids[piece.stage] = piece_id
        self.paint({old, piece.stage})
        self._show_focus()
        return True

    def _show_focus(self) -> None:
        col = self.column(self.focus_stage)
        col.scroll_visible(animate=False, immediate=True)
        index = self.model.index_of(self.focus_stage, self.focus_ids[self.focus_stage])
        col.cards.select(index)

    # -- writing -------------------------------------------------------------------
    def write(
        self,
        job: Callable[[], T],
        done: Callable[[T], None] | None = None,
        failed: Callable[[ProdboardError], None] | None = None,
    ) -> None:
        """Run ``job`` (a core command) on the writer thread; then ``done`` or ``failed``.

        A refusal or conflict is shown as a toast; ``failed`` lets a form keep what the
        person typed.
        """

        async def run() -> None:
            loop = asyncio.get_running_loop()
            try:
                if self.lost is not None:  # the file is gone: nothing may look saved
                    raise FileLost(self.lost)
                result = await loop.run_in_executor(self._writer, job)
            except ProdboardError as exc:
                if isinstance(exc, FileLost):
                    self.mark_lost()
                self.notify(exc.message, title=exc.title, severity="error", timeout=8,
                            markup=False)
                if failed:
                    failed(exc)
                return
            if done:
                done(result)

        self.run_worker(run(), group="write", exit_on_error=False)

    def refresh_pieces(self, pieces: Iterable[PieceView]) -> None:
        """Show new states of pieces (from our own commands or from the feed)."""
        touched = self.model.update(list(pieces))
        if touched:
            self.paint(touched)

    def _on_piece(self, piece: PieceView) -> None:
        self.refresh_pieces([piece])

    # -- actions: focus ------------------------------------------------------------
    def action_focus_column(self, delta: int) -> None:
        new = max(0, min(len(self.wf.stages) - 1, self.focus_col + delta))
        if new == self.focus_col:
            return
        old = self.focus_stage
        self.focus_col = new
        self.paint({old, self.focus_stage})
        self._show_focus()

    def action_focus_card(self, delta: int) -> None:
        key = self.focus_stage
        pieces = self.model.columns[key]
        if not pieces:
            return
        index = self.model.index_of(key, self.focus_ids[key]) or 0
        index = max(0, min(len(pieces) - 1, index + delta))
        self.focus_ids[key] = pieces[index].id
        self.focus_rows[key] = index
        self.column(key).cards.select(index)

    def action_focus_edge(self, edge: int) -> None:
        pieces = self.model.columns[self.focus_stage]
        if pieces:
            self.action_focus_card(-len(pieces) if edge == 0 else len(pieces))

    @on(CardList.Clicked)
    def _clicked(self, event: CardList.Clicked) -> None:
        pieces = self.model.columns[event.stage]
        if event.index >= len(pieces):
            return
        was = self.current()
        self.focus_piece(pieces[event.index].id)
        if event.chain >= 2 or (was is not None and was.id == pieces[event.index].id):
            self.action_open_piece()

    # -- actions: changes ------------------------------------------------------------
    def _writable(self) -> bool:
        """False (and says so) on a read-only or lost board, before any form opens."""
        if self.lost is not None:
            self.notify(self.lost, title="Board file lost", severity="error", markup=False)
            return False
        if self.session.store.readonly:
            self.notify("This board is read-only: changes cannot be saved.", title="Read-only",
                        severity="warning", markup=False)
            return False
        return True

    def _need_piece(self, change: bool = True) -> PieceView | None:
        if change and not self._writable():
            return None
        piece = self.current()
        if piece is None:
            self.notify("No piece here: move to a card first.", severity="warning", markup=False)
        return piece

    def action_move_piece(self, delta: int) -> None:
        piece = self._need_piece()
        if piece is None:
            return
        board = self.session.board
        wf = self.wf

        def job() -> PieceView:
            # The target follows from the stage now (my earlier key presses may have
            # moved it already); the version I saw refuses a move someone else made.
            fresh = board.q.piece(piece.id) or piece
            index = wf.index(fresh.stage) + delta
            if not 0 <= index < len(wf.stages):
                raise _Edge("already in the " + ("first" if delta < 0 else "last") + " stage")
            return board.move(piece.id, wf.stages[index].key, base_version=piece.version)

        def done(moved: PieceView) -> None:
            # The moved card keeps the focus: follow it to its new column.
            self.refresh_pieces([moved])
            self.focus_piece(moved.id)

        self.write(job, done)

    def action_reorder(self, delta: int) -> None:
        piece = self._need_piece()
        if piece is not None:
            board = self.session.board

            def job() -> list[PieceView]:
                # The neighbour swapped ranks too: read just the two, on the writer thread.
                moved = board.reorder(piece.id, delta)
                last = board.q.history(moved.id)[-1]
                swapped = last.data.get("swapped_with") if last.kind == "piece.reordered" else None
                return board.q.pieces(ids={moved.id, swapped or moved.id})

            self.write(job, self.refresh_pieces)

    def action_open_piece(self) -> None:
        piece = self._need_piece(change=False)
        if piece is not None:
            from prodboard.tui.screens.piece import PieceScreen

            self.push_screen(PieceScreen(piece.id))

    def action_new_piece(self) -> None:
        from prodboard.tui.screens.forms import PieceForm

        if not self._writable():
            return
        self.push_screen(PieceForm(None, stage=self.focus_stage))

    def action_edit_piece(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            from prodboard.tui.screens.forms import PieceForm

            self.push_screen(PieceForm(piece))

    def action_comment(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            from prodboard.tui.screens.forms import CommentForm

            self.push_screen(CommentForm(piece))

    def action_assign(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            from prodboard.tui.screens.forms import AssignForm

            self.push_screen(AssignForm(piece, self.session.queries.people()))

    def action_approve(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.approve_piece(piece)

    def action_request_changes(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.request_changes_on(piece)

    def action_override_move(self) -> None:
        piece = self._need_piece()
        if piece is not None:
            self.override_move(piece)

    # The decisions, for the board's keys and the piece screen's alike; ``then`` runs
    # after a successful save (the piece screen reloads itself).
    def approve_piece(self, piece: PieceView, then: Callable[[Any], None] | None = None) -> None:
        board = self.session.board

        def done(approved: PieceView) -> None:
            self.refresh_pieces([approved])
            self.notify(reviews.decided_text(approved, board.actor), markup=False)
            if then:
                then(approved)

        self.write(lambda: board.approve(piece.id), done)

    def request_changes_on(self, piece: PieceView, then: Callable[[Any], None] | None = None) -> None:
        """Ask for the note, once the rules allow this person to send the piece back."""
        from prodboard.tui.screens.forms import ReasonForm

        people = self.session.queries.people()
        me = self.session.user
        refusal = reviews.changes_refusal(  # a track of its own, or the single approval
            piece, self.wf, next((p for p in people if p.handle == me), None),
            {p.handle for p in people if p.delegate == me}, self.session.board.clock())
        if refusal:
            self.notify(refusal, title="Refused", severity="error", markup=False)
            return
        board = self.session.board
        self.push_screen(ReasonForm(
            "Request changes", "What needs changing?", piece,
            lambda note: board.request_changes(piece.id, note), blank="Say what needs changing.",
        ), then)

    def override_move(self, piece: PieceView, then: Callable[[Any], None] | None = None) -> None:
        """Ask for a reason and move past the gate, after checking there is a gate to
        override and the person may."""
        index = self.wf.index(piece.stage) + 1
        if index >= len(self.wf.stages):
            self.notify("Already in the last stage.", severity="warning", markup=False)
            return
        target = self.wf.stages[index]
        failed = rules.gate_checks(piece, self.wf, target.key)
        if not failed:
            self.notify(f"No gate blocks #{piece.id}: move it with {hint(self, 'move-right', 'shift+→')}.",
                        markup=False)
            return
        me = self.session.queries.person(self.session.user)
        if not rules.can_override(me, self.wf):
            self.notify(f"Only {' or '.join(self.wf.override_roles)} may override a gate; "
                        + "; ".join(g.reason() for g in failed), title="Not allowed",
                        severity="error", markup=False)
            return
        from prodboard.tui.screens.forms import ReasonForm

        board = self.session.board
        self.push_screen(ReasonForm(
            f"Override the gate: move to {target.name}", "Why? (recorded and announced)", piece,
            lambda reason: board.move(piece.id, target.key, override=reason),
            blank="Give a reason: it is recorded and announced.",
        ), then)

    def action_watch(self) -> None:
        piece = self._need_piece()
        if piece is None:
            return
        board = self.session.board

        def job() -> bool:
            on_now = board.actor in board.q.watchers(piece.id)
            board.watch(piece.id, not on_now)
            return not on_now

        self.write(job, lambda on_now: self.notify(
            ("Watching" if on_now else "Stopped watching") + f" #{piece.id}", markup=False))

    def action_filter(self) -> None:
        from prodboard.tui.screens.forms import FilterForm

        self.push_screen(FilterForm(self.model.filter.describe()), self._set_filter)

    def _set_filter(self, query: str | None) -> None:
        from prodboard.tui.screens.forms import FilterForm

        if query is None:
            return
        try:
            review = self.wf.gate_stage("approval")
            flt = Filter.parse(query, me=self.session.user, review_stage=review.key if review else "")
        except ProdboardError as exc:  # say so, and give back what was typed
            self.notify(exc.message, title="Filter", severity="error", markup=False)
            self.push_screen(FilterForm(query), self._set_filter)
            return
        self.model.set_filter(flt)
        self.paint()
        self._show_focus()

    def action_clear_filter(self) -> None:
        if self.model.filter.active:
            self._set_filter("")

    def action_help(self) -> None:
        from prodboard.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_jump(self) -> None:
        if self.last_alert_piece is None or not self.focus_piece(self.last_alert_piece):
            self.notify("No alert to jump to.", markup=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, then the actions of the board or the piece screen, each
        with the key that runs it now (remapped or not)."""
        from prodboard.tui.bindings import shown
        from prodboard.tui.screens.piece import PieceScreen

        yield from super().get_system_commands(screen)
        if screen is self.screen_stack[0]:
            for binding in BOARD_BINDINGS:
                if binding.id in _NOT_IN_PALETTE:
                    continue
                yield SystemCommand(binding.description, f"key: {shown(self, binding)}",
                                    lambda action=binding.action: self.run_action(action))
            yield SystemCommand("Help", f"Every key  (key: {shown(self, HELP_BINDING)})",
                                self.action_help)
            if self.lost is not None:
                yield SystemCommand("Reopen the board file", "key: ctrl+r", self.action_reopen)
        elif isinstance(screen, PieceScreen):
            for item in PieceScreen.BINDINGS:
                if isinstance(item, Binding):
                    yield SystemCommand(item.description, f"key: {shown(self, item)}",
                                        lambda action=item.action: self.run_action(action, screen))


_NOT_IN_PALETTE = {"focus-left", "focus-right", "focus-up", "focus-down", "page-up", "page-down",
                   "first-card", "last-card", "quit", "help"}
HELP_BINDING = next(b for b in BOARD_BINDINGS if b.id == "help")


class _Edge(Refused):
    """A move past the first or the last stage."""


def make_app(session: Workspace, *, live: bool = True) -> ProdboardApp:
    """The one factory for the CLI and the tests. A keymap or theme the board cannot
    honour is a config error (one line) before anything is drawn."""
    from prodboard.config.ui import check_theme
    from prodboard.tui.bindings import check

    check(session.ui, ProdboardApp)
    app = ProdboardApp(session, live=live)
    check_theme(session.ui, app.available_themes)
    return app

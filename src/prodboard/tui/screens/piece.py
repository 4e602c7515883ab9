"""The piece screen: every field, the brief, the gate status, the checklist, the
comment thread and the full history. Everything people wrote is shown as plain text."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from prodboard.domain import rules, timefmt
from prodboard.domain.describe import describe_event
from prodboard.domain.fields import BRIEF, BY_NAME
from prodboard.domain.values import CommentView, EventView, PieceView
from prodboard.services.commands import Commands
from prodboard.storage.queries import Queries
from prodboard.tui.bindings import hint
from prodboard.tui.host import Host, host
from prodboard.tui.messages import Decision, DecisionRequested, SaveRequested
from prodboard.tui.screens.forms import AssignForm, CommentForm, PieceForm, assign_to_me
from prodboard.tui.screens.reassign import ReassignForm
from prodboard.tui.widgets.tracks import tracks_text


@dataclass(frozen=True)
class PieceRead:
    """What the piece screen shows, read in one go (on any thread)."""

    piece: PieceView | None  # None: gone
    watching: bool
    comments: list[CommentView]
    history: list[EventView]


def read_piece(queries: Queries, piece_id: int, me: str) -> PieceRead:
    """Blocking: the piece, whether I watch it, its comments and its history."""
    piece = queries.piece(piece_id)
    if piece is None:
        return PieceRead(None, False, [], [])
    return PieceRead(piece, me in queries.watchers(piece_id), queries.comments(piece_id),
                     queries.history(piece_id))


TABS = {"tab-details": "Details", "tab-checklist": "Checklist", "tab-comments": "Comments",
        "tab-history": "History"}


class PieceScreen(Screen[None]):
    """One piece, whole."""

    # Footer order: what is always there, then the decisions (shown only while they
    # apply, check_action); short enough for 80 columns (edit and watch: help, palette).
    BINDINGS = [
        Binding("escape", "close", "Back", id="piece-back"),
        Binding("question_mark", "app.help('piece screen')", "Help", id="piece-help"),
        Binding("c", "comment", "Comment", id="piece-comment"),
        Binding("e", "edit", "Edit", id="piece-edit", show=False),
        Binding("t,space", "tick", "Tick", id="piece-tick"),
        Binding("y", "approve", "Approve", id="piece-approve"),
        Binding("x", "request_changes", "Request changes", id="piece-request-changes"),
        Binding("o", "override", "Override gate", id="piece-override"),
        Binding("w", "watch", "Watch", id="piece-watch"),
        Binding("a", "assign", "Assign", id="piece-assign", show=False),
        Binding("A", "assign_me", "Assign to me", id="piece-assign-me", show=False),
        Binding("r", "reassign", "Reassign review", id="piece-reassign", show=False),
        *(Binding(str(n), f"show_tab('{tab}')", f"{label} tab", id=f"piece-tab-{tab[4:]}",
                  show=False) for n, (tab, label) in enumerate(TABS.items(), 1)),
    ]

    def __init__(self, piece_id: int) -> None:
        super().__init__()
        self.piece_id = piece_id
        self.piece: PieceView | None = None
        self._shown = 0  # how many reads this screen has shown (or is about to)

    def compose(self) -> ComposeResult:
        yield Static(id="piece-title")
        label = TABS.copy()
        for n, tab in enumerate(TABS, 1):  # the tab's key, as mapped now
            label[tab] = f"{label[tab]} ({hint(self.app, f'piece-tab-{tab[4:]}', str(n))})"
        with TabbedContent(id="piece-tabs"):
            with TabPane(label["tab-details"], id="tab-details"), VerticalScroll():
                yield Static(id="piece-details")
            with TabPane(label["tab-checklist"], id="tab-checklist"):
                yield Static(id="piece-gate")
                yield DataTable(cursor_type="row", id="checklist")
            with TabPane(label["tab-comments"], id="tab-comments"), VerticalScroll():
                yield Static(id="piece-comments")
            with TabPane(label["tab-history"], id="tab-history"):
                yield DataTable(cursor_type="row", zebra_stripes=True, id="history")
        yield Footer(compact=True, show_command_palette=False)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Keys go to the tab's table at once (↓ then t ticks the second item)."""
        for table in event.pane.query(DataTable):
            table.focus()

    def on_mount(self) -> None:
        self.query_one("#checklist", DataTable).add_columns("Item", "Ticked by", "When")
        self.query_one("#history", DataTable).add_columns("When", "Who", "What")
        self.reload()

    @property
    def _app(self) -> Host:
        return host(self)

    def reload(self) -> None:
        """Read the piece again and show it now (on opening, after my own change)."""
        self._shown += 1
        self._show(read_piece(self._app.session.queries, self.piece_id, self._app.session.user))

    def reload_later(self) -> None:
        """Read the piece again on a thread, then show it (someone else's change): the
        board keeps painting meanwhile. The newest read wins; a reload() after this
        one started is newer still, so this one is then dropped."""
        started = self._shown
        queries, me = self._app.session.queries, self._app.session.user

        async def read() -> None:
            found = await asyncio.to_thread(read_piece, queries, self.piece_id, me)
            if self._shown == started and self.is_attached:
                self._shown += 1
                self._show(found)

        self.run_worker(read(), group="piece-reload", exclusive=True, exit_on_error=False)

    def _show(self, found: PieceRead) -> None:
        piece = found.piece
        if piece is None:
            self.dismiss()
            return
        self.piece = piece
        self.refresh_bindings()  # y / x / o show while they apply
        wf = self._app.wf
        title = Text.assemble((f"#{piece.id} ", "bold"), (piece.title, "bold"))
        title.append(f" │ {wf.stage(piece.stage).name} │ v{piece.version}")
        if found.watching:
            title.append("  👁 watching", "dim")
        if piece.archived:
            title.append("  ARCHIVED", "bold red")
        self.query_one("#piece-title", Static).update(title)
        self.query_one("#piece-details", Static).update(self._details(piece))
        self._fill_checklist(piece)
        self.query_one("#piece-comments", Static).update(self._comments(found.comments))
        history = self.query_one("#history", DataTable)
        history.clear()
        zone, now = self._app.zone, self._app.session.board.clock()
        for ev in found.history:
            history.add_row(Text(timefmt.clock_time(ev.at, zone, now)), Text(ev.actor),
                            Text(describe_event(ev, wf, with_actor=False)))
        history.move_cursor(row=history.row_count - 1)

    def _details(self, p: PieceView) -> Text:
        wf = self._app.wf
        out = Text()

        def row(label: str, value: str, style: str = "") -> None:
            out.append(f"{label:<18}", "bold")
            out.append((value or "—") + "\n", style)

        row("Stage", wf.stage(p.stage).name)
        row("Format", p.format)
        row("Owner", p.owner or "unassigned")
        row("Reviewers", ", ".join(p.reviewers))
        now = self._app.session.board.clock()
        state = rules.due_state(p, wf, now)
        zone = self._app.zone
        due = f"{p.due}  ({timefmt.due_in(p.due, now, zone)})" if p.due else ""
        row("Due", due + ("  due soon" if state == "due_soon" else ""),
            "bold red" if state == "overdue" else "")
        row("Publish date", p.publish_date or "")
        row("Priority", str(p.priority))
        row("Channels", ", ".join(p.channels))
        row("Tags", ", ".join(p.tags))
        limit = wf.revision_limit(p.format)
        row("Revision rounds", f"{p.revision_rounds} of {limit}",
            "bold red" if p.revision_rounds > limit else "")
        row("Cost", f"{p.cost:g}")
        row("Links", ", ".join(p.links))
        if p.approved_by:
            how = " (delegated)" if p.approval_delegated else ""
            at = timefmt.when(p.approved_at, zone, now) if p.approved_at else "—"
            row("Approved", f"by {p.approved_by}{how} at {at}")
        if p.archived:
            row("Archived", p.archive_reason)
        out.append("\nBrief\n", "bold underline")
        for f in BRIEF:
            row(BY_NAME[f].describe.capitalize(), getattr(p, f))
        out.append("\n")
        if p.tracks:
            out.append_text(tracks_text(p, wf, now, zone))
            out.append("\n")
        out.append_text(self._gate_text(p))
        return out

    def _gate_text(self, p: PieceView) -> Text:
        wf = self._app.wf
        stage = wf.stage(p.stage)
        if not stage.gate:
            return Text(f"No gate on leaving {stage.name}.", "dim")
        missing = rules.gate_missing(p, wf, stage.gate)
        if not missing:
            return Text(f"✓ {stage.gate} gate: ready to leave {stage.name}", "bold green")
        return Text(f"⊘ {stage.gate} gate: missing {', '.join(missing)}", "bold yellow")

    def _fill_checklist(self, p: PieceView) -> None:
        wf = self._app.wf
        table = self.query_one("#checklist", DataTable)
        row = table.cursor_row
        table.clear()
        zone, now = self._app.zone, self._app.session.board.clock()
        self.items = list(wf.checklist_for(p.format))
        for item in self.items:
            tick = p.checklist.get(item)
            mark = "[x] " if tick else "[ ] "
            table.add_row(Text(mark + wf.label(item)), Text(tick["by"] if tick else ""),
                          Text(timefmt.clock_time(tick["at"], zone, now) if tick else ""))
        if self.items:
            table.move_cursor(row=min(row, len(self.items) - 1))
        self.query_one("#piece-gate", Static).update(self._gate_text(p))

    def _comments(self, comments: list[CommentView]) -> Text:
        if not comments:
            key = hint(self.app, "piece-comment", "c")
            return Text(f"No comments yet. Press {key} to add one.", "dim")
        out = Text()
        zone, now = self._app.zone, self._app.session.board.clock()
        for c in comments:
            out.append(f"{c.author}", "bold")
            out.append(f"  {timefmt.when(c.created_at, zone, now)}\n", "dim")
            out.append(c.body + "\n\n")
        return out

    # -- actions -----------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss()

    def _changeable(self) -> PieceView | None:
        """The piece, if it may be changed: a read-only board says so before a form opens."""
        if self.piece is None or not self._app.writable():
            return None
        return self.piece

    # A saved change reaches this screen as the app's PieceSaved: it reloads then.
    def action_comment(self) -> None:
        if piece := self._changeable():
            self.app.push_screen(CommentForm(piece))

    def action_edit(self) -> None:
        if piece := self._changeable():
            self.app.push_screen(PieceForm(piece))

    def action_assign(self) -> None:
        if piece := self._changeable():
            self.app.push_screen(AssignForm(piece, self._app.session.queries.people()))

    def action_assign_me(self) -> None:
        if piece := self._changeable():
            me = self._app.session.user
            if piece.owner == me:
                self.notify(f"#{piece.id} is yours already.", markup=False)
                return
            self.post_message(SaveRequested(assign_to_me(piece),
                                            note=f"#{piece.id} is assigned to you."))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The decisions only while they can apply to this piece: approve and request
        changes in the approval stage, override when a gate blocks the next stage."""
        piece = self.piece
        if piece is None or action not in ("approve", "request_changes", "override"):
            return True
        wf = self._app.wf
        if action == "override":
            index = wf.index(piece.stage) + 1
            return index < len(wf.stages) and bool(
                rules.gate_checks(piece, wf, wf.stages[index].key))
        review = wf.gate_stage("approval")
        return review is not None and piece.stage == review.key and not piece.archived

    def action_reassign(self) -> None:
        piece = self._changeable()
        if piece is None:
            return
        if not piece.tracks:
            self.notify(f"#{piece.id} has no review tracks to reassign.", markup=False)
            return
        self.app.push_screen(ReassignForm(piece, self._app.session.queries.people()))

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#piece-tabs", TabbedContent).active = tab

    def action_tick(self) -> None:
        """Tick the checklist's highlighted item; from another tab, show the checklist
        first (the item to tick is picked there, never guessed)."""
        piece = self._changeable()
        if piece is None:
            return
        tabs = self.query_one("#piece-tabs", TabbedContent)
        if tabs.active != "tab-checklist":
            tabs.active = "tab-checklist"
            key = hint(self.app, "piece-tick", "t")
            self.notify(f"Pick an item and press {key} to tick it.", markup=False)
            return
        table = self.query_one("#checklist", DataTable)
        if not self.items:
            self.notify(f"{piece.format} has no checklist.", markup=False)
            return
        item = self.items[table.cursor_row]
        done = item not in piece.checklist
        pid = piece.id
        self.post_message(SaveRequested(lambda board: board.tick(pid, item, done)))

    def action_watch(self) -> None:
        piece = self._changeable()
        if piece is None:
            return
        pid = piece.id

        def job(board: Commands) -> PieceView | None:
            board.watch(pid, board.actor not in board.q.watchers(pid))
            return board.q.piece(pid)  # the title shows whether I watch

        self.post_message(SaveRequested(job))

    def _decide(self, decision: Decision) -> None:
        if piece := self._changeable():
            self.post_message(DecisionRequested(decision, piece))

    def action_approve(self) -> None:
        self._decide("approve")

    def action_request_changes(self) -> None:
        self._decide("request-changes")

    def action_override(self) -> None:
        self._decide("override")

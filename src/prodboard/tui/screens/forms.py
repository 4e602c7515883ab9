"""Modal forms: new/edit piece, comment, assign, a reason, the filter.

A form whose save is refused or conflicts stays open with what the person typed and
the reason shown; only a successful save closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option
from textual.widgets.select import NoSelection

from prodboard.domain.fields import AREA, DEFAULT_FORMAT, DEFAULTS, FORM_INPUTS
from prodboard.domain.text import clean, clean_line
from prodboard.domain.values import PersonView, PieceView
from prodboard.errors import ProdboardError
from prodboard.services.commands import Commands
from prodboard.tui.editor import EditorFailed, edit_text
from prodboard.tui.host import host
from prodboard.tui.messages import Job, LaunchNoticesAway, PieceSaved, SaveRequested, WriteFailed

# The typed fields, from the field list (format, stage and owner are selects): a one-line
# Input, or a TextArea for the brief, whose newlines are kept.
FIELDS = tuple((f.name, f.form_label) for f in FORM_INPUTS)
AREAS = frozenset(f.name for f in FORM_INPUTS if f.widget == AREA)


def _text(piece: PieceView | None, name: str) -> str:
    if piece is None:
        return str(DEFAULTS.get(name, ""))  # what a piece made by the CLI gets too
    value = getattr(piece, name)
    if isinstance(value, tuple):
        return ", ".join(value)
    if name == "cost":
        return f"{value:g}"
    return "" if value is None else str(value)


def _new_format(formats: list[str]) -> str:
    """A new piece's format as the CLI gives it, when the config lists it."""
    return DEFAULT_FORMAT if DEFAULT_FORMAT in formats else formats[0]


class FormScreen(ModalScreen[Any]):
    """Shared frame: a title, an error line, Save/Cancel, ctrl+s and escape, and ctrl+e
    to write the focused field in the person's editor."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form-cancel"),
        Binding("ctrl+s", "save", "Save", id="form-save"),
        # priority: the text fields' own ctrl+e (end of line) would take it first
        Binding("ctrl+e", "open_editor", "Edit the field in $VISUAL/$EDITOR", id="form-editor",
                priority=True),
    ]

    @on(events.Mount)
    def _summary_away(self) -> None:
        # at 80x24 it covers the buttons, and the inbox has it; the demo board's
        # notice (where it is, who you are) is a newcomer's first read: it stays
        self.app.post_message(LaunchNoticesAway(("summary",)))

    def error(self, exc: ProdboardError) -> None:
        self.query_one("#form-error", Static).update(Content(exc.message))

    def buttons(self) -> ComposeResult:
        yield Static(id="form-error", classes="form-error")
        with Horizontal(classes="form-buttons"):
            keys = host(self).ui.keys  # the person's remapping
            save, cancel = keys.get("form-save", "ctrl+s"), keys.get("form-cancel", "esc")
            yield Button(Content(f"Save ({save})"), variant="primary", id="save")
            yield Button(Content(f"Cancel ({cancel})"), id="cancel")

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        raise NotImplementedError

    def action_open_editor(self) -> None:
        """The focused field's text in the person's editor, brought back cleaned; if the
        editor fails, a toast says why and the field keeps what it held."""
        field = self.focused
        if not isinstance(field, Input | TextArea):
            self.notify("Move to a text field first: its text then opens in your editor.",
                        title="Editor", severity="warning", markup=False)
            return
        try:
            edited = edit_text(self.app, field.text if isinstance(field, TextArea) else field.value)
        except EditorFailed as exc:
            self.notify(exc.message, title="Editor", severity="error", timeout=12, markup=False)
            return
        if isinstance(field, TextArea):
            field.load_text(clean(edited))
        else:  # one line: the editor's newlines become spaces, as a save would make them
            field.value = clean_line(edited)
        field.focus()

    def submit(self, job: Job) -> None:
        """Save through the app's writer; close on success, keep the form on failure
        (a refusal is shown here; anything unexpected as the app's toast)."""
        self.query_one("#form-error", Static).update("")
        self.post_message(SaveRequested(job, reply_to=self))

    def on_piece_saved(self, message: PieceSaved) -> None:
        self.dismiss(message.result)  # the app has shown the saved piece already

    def on_write_failed(self, message: WriteFailed) -> None:
        self.error(message.error)


class PieceForm(FormScreen):
    """New piece (``piece`` None) or edit of an existing one."""

    def __init__(self, piece: PieceView | None, stage: str | None = None) -> None:
        super().__init__()
        self.piece = piece
        self.stage = stage

    def compose(self) -> ComposeResult:
        app = host(self)
        wf = app.wf
        heading = f"Edit #{self.piece.id}" if self.piece else "New piece"
        with Vertical(classes="form"):
            yield Label(heading, classes="form-title")
            with VerticalScroll():
                yield Label("Title")
                yield Input(_text(self.piece, "title"), id="f-title")
                formats = list(dict.fromkeys((*wf.formats, *([self.piece.format] if self.piece else []))))
                yield Label("Format")
                # Option prompts are Text, never a str: a str is parsed as markup.
                yield Select([(Text(f), f) for f in formats], allow_blank=False, id="f-format",
                             value=self.piece.format if self.piece else _new_format(formats))
                if self.piece is None:
                    yield Label("Stage")
                    yield Select([(Text(s.name), s.key) for s in wf.stages],
                                 value=self.stage or wf.first.key, allow_blank=False, id="f-stage")
                yield Label("Owner")
                yield self._owner_select(app.session.queries.people(), app.session.user)
                for name, label in FIELDS[1:]:
                    yield Label(label)
                    if name in AREAS:
                        yield TextArea(_text(self.piece, name), id=f"f-{name}", classes="form-brief")
                    else:
                        yield Input(_text(self.piece, name), id=f"f-{name}")
            yield from self.buttons()

    def _owner_select(self, people: list[PersonView], me: str) -> Select[str]:
        """Everyone on the board. No owner (an unassigned piece, or a new piece by
        someone not yet on the board) is ``Select.NULL``, shown as "unassigned"."""
        options = [(Text(f"{p.display_name} (@{p.handle})"), p.handle) for p in people]
        owner = self.piece.owner if self.piece else me
        value: str | NoSelection = owner if owner in {p.handle for p in people} else Select.NULL
        return Select(options, value=value, prompt="unassigned", id="f-owner")

    def on_mount(self) -> None:
        self.query_one("#f-title", Input).focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            name: self.query_one(f"#f-{name}", TextArea).text if name in AREAS
            else self.query_one(f"#f-{name}", Input).value for name, _ in FIELDS}
        out["format"] = self.query_one("#f-format", Select).value
        return out

    def action_save(self) -> None:
        values = self.values()
        owner: str | None = self.query_one("#f-owner", Select).selection
        if self.piece is None:
            stage = str(self.query_one("#f-stage", Select).value)
            title = values.pop("title")
            fields = {k: v for k, v in values.items() if v != ""}

            def create(board: Commands) -> PieceView:
                pid = board.create(title, stage=stage, owner=owner, **fields)
                found = board.q.piece(pid)
                assert found is not None
                return found

            self.submit(create)
            return
        piece = self.piece
        changed = {k: v for k, v in values.items() if v != _text(piece, k)}

        def save(board: Commands) -> PieceView:
            result = piece
            if changed:
                result = board.edit(piece.id, changed, base_version=piece.version)
            if owner != piece.owner:
                result = board.assign(piece.id, owner, base_version=piece.version if not changed
                                      else None)
            return result

        self.submit(save)


class CommentForm(FormScreen):
    """Add a comment; @handle and @role mention people."""

    def __init__(self, piece: PieceView) -> None:
        super().__init__()
        self.piece = piece

    def compose(self) -> ComposeResult:
        with Vertical(classes="form form-small"):
            yield Label(Content(f"Comment on #{self.piece.id} {self.piece.title}"), classes="form-title")
            yield Label("@handle or @role mentions someone")
            yield TextArea(id="comment-body")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        body = self.query_one(TextArea).text
        pid = self.piece.id

        def job(board: Commands) -> PieceView | None:
            board.comment(pid, body)
            return board.q.piece(pid)

        self.submit(job)


class ReasonForm(FormScreen):
    """Ask for a written reason, then run ``job(reason)``; a blank one is refused with
    ``blank`` and the form stays open."""

    def __init__(self, title: str, prompt: str, piece: PieceView,
                 job: Callable[[Commands, str], PieceView],
                 blank: str = "Write something first.") -> None:
        super().__init__()
        self.title_text, self.prompt, self.piece, self.job = title, prompt, piece, job
        self.blank = blank

    def compose(self) -> ComposeResult:
        with Vertical(classes="form form-small"):
            yield Label(Content(f"{self.title_text} — #{self.piece.id} {self.piece.title}"),
                        classes="form-title")
            yield Label(Content(self.prompt))
            yield Input(id="reason")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        reason = self.query_one(Input).value
        if not reason.strip():  # say what is missing here, not a rule's refusal later
            self.query_one("#form-error", Static).update(Content(self.blank))
            return
        self.submit(lambda board: self.job(board, reason))


def assign_to_me(piece: PieceView) -> Job:
    """Give ``piece`` to whoever acts (one command, one event; refused for a guest),
    unless someone changed its owner since it was shown."""
    pid, version = piece.id, piece.version
    return lambda board: board.assign(pid, board.actor, base_version=version)


class AssignForm(FormScreen):
    """Pick who owns the piece: typing narrows the list (handle, name or role), the
    arrows move in it, enter assigns the highlighted one."""

    def __init__(self, piece: PieceView, people: list[PersonView]) -> None:
        super().__init__()
        self.piece, self.people = piece, people

    def compose(self) -> ComposeResult:
        with Vertical(classes="form form-small"):
            yield Label(Content(f"Assign #{self.piece.id} {self.piece.title}"), classes="form-title")
            yield Input(placeholder="type to narrow: handle, name or role", id="people-search")
            yield OptionList(*self._options(""), id="people")
            yield from self.buttons()

    def _options(self, query: str) -> list[Option]:
        words = query.lower().split()
        options = [] if words else [Option(Content("nobody"), id="-")]
        for p in self.people:
            hay = " ".join((p.handle, p.display_name, *p.roles)).lower()
            if not all(w.lstrip("@") in hay for w in words):
                continue
            away = " — away" if p.away else ""
            mark = "● " if p.handle == self.piece.owner else "  "
            label = f"{mark}{p.display_name} (@{p.handle}) {', '.join(p.roles)}{away}"
            options.append(Option(Content(label), id=p.handle))
        return options

    def on_mount(self) -> None:
        self.query_one("#people-search", Input).focus()
        handles = [p.handle for p in self.people]
        if self.piece.owner in handles:
            self.query_one(OptionList).highlighted = handles.index(self.piece.owner) + 1

    @on(Input.Changed, "#people-search")
    def _narrow(self, event: Input.Changed) -> None:
        olist = self.query_one(OptionList)
        olist.clear_options()
        olist.add_options(self._options(event.value))
        olist.highlighted = 0 if olist.option_count else None

    def on_key(self, event: events.Key) -> None:
        """The arrows move in the list while the search field has the focus."""
        if event.key in ("up", "down") and isinstance(self.focused, Input):
            olist = self.query_one(OptionList)
            olist.action_cursor_down() if event.key == "down" else olist.action_cursor_up()
            event.stop()

    @on(Input.Submitted, "#people-search")
    @on(OptionList.OptionSelected)
    def _picked(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        olist = self.query_one(OptionList)
        if olist.highlighted is None:
            self.query_one("#form-error", Static).update(Content("Nobody matches: change the search."))
            return
        handle = olist.get_option_at_index(olist.highlighted).id
        who = None if handle == "-" else handle
        pid, version = self.piece.id, self.piece.version
        self.submit(lambda board: board.assign(pid, who, base_version=version))


class FilterForm(ModalScreen[str | None]):
    """Filter by text and ``owner:``, ``format:``, ``tag:``, ``channel:``, ``review:`` terms."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="filter-cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="form form-small"):
            yield Label("Filter the board", classes="form-title")
            yield Label("words, mine, owner:me format:video tag:seo channel:email review:me "
                        "— empty clears")
            yield Input(self.current, id="filter-input")

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)

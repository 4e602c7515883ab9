"""THE piece-field list: one declaration per field of a piece.

Each ``PieceField`` says what the field holds and how every face treats it: how a
typed value is cleaned (``clean``), its label on the board's form and in ``show``,
its CLI flag for ``add`` and ``edit``, its form widget, how an edit of it is named in
event texts, and its JSON name (docs/json.md). The commands, the CLI options, the
board's form, the describe texts and ``PieceView.to_json`` all read this list, so
adding a field is one entry here plus its column and migration in storage.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from prodboard.domain.text import clean, clean_line
from prodboard.errors import BadInput

DEFAULT_PRIORITY = 2  # a new piece's priority (1 urgent - 4 low), from every face
DEFAULT_FORMAT = "blog post"
MAX_TITLE = 500
MAX_COST = 1e12

# What a field holds; the CLI and the form read values of every kind as text.
LINE, TEXT, LIST, DATE, PRIORITY, NUMBER, CHOICE, PERSON, STAGE, SYSTEM = (
    "line", "text", "list", "date", "priority", "number", "choice", "person", "stage", "system")
# How the board's piece form shows a field ("" for none: set elsewhere, or read-only):
# a one-line input, a multi-line text area (the brief: its newlines are kept), a select.
INPUT, AREA, SELECT = "input", "area", "select"


def parse_date(value: Any, what: str) -> str | None:
    """A YYYY-MM-DD date, or None for an empty value; anything else is BadInput."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as exc:
        raise BadInput(f"{what}: {value!r} is not a date (use YYYY-MM-DD)") from exc


def _title(value: Any) -> str:
    title = clean_line(str(value))
    if not title:
        raise BadInput("title: a piece needs a title")
    return title[:MAX_TITLE]


def _format(value: Any) -> str:
    return clean_line(str(value)).lower() or DEFAULT_FORMAT


def _text(value: Any) -> str:
    return clean(str(value)).strip()


def _items(value: Any) -> list[str]:
    """A list from a comma-separated text or from items (each may hold commas too)."""
    if isinstance(value, str):
        value = [value]
    # Cleaned before the split: an escape sequence may hold commas.
    out = [clean_line(part) for item in value for part in clean_line(str(item)).split(",")]
    return [v for v in dict.fromkeys(out) if v]


def _handles(value: Any) -> list[str]:
    return [h for h in dict.fromkeys(v.lower().lstrip("@") for v in _items(value)) if h]


def _priority(value: Any) -> int:
    try:
        prio = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadInput(f"priority: {value!r} is not a number 1-4") from exc
    if not 1 <= prio <= 4:
        raise BadInput("priority: use 1 (urgent) to 4 (low)")
    return prio


def _cost(value: Any) -> float:
    try:
        cost = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadInput(f"cost: {value!r} is not a number") from exc
    if not math.isfinite(cost):  # JSON has no inf or nan, and the column is NOT NULL
        raise BadInput(f"cost: {value!r} is not a finite number")
    if cost < 0:
        raise BadInput("cost: must not be negative")
    if cost > MAX_COST:
        raise BadInput(f"cost: at most {MAX_COST:,.0f}")
    return cost


@dataclass(frozen=True)
class PieceField:
    """One field of a piece, as every face sees it."""

    name: str  # the attribute of PieceView and the column of the piece table
    kind: str
    label: str = ""  # the form's label
    hint: str = ""  # how to type it, after the form's label: "YYYY-MM-DD"
    clean: Callable[[Any], Any] | None = None  # None: not typed by a person
    help: str = ""  # the CLI option's help
    edit: bool = True  # `edit` changes it (False: set when created, then by its command)
    widget: str = INPUT
    json: str = ""  # its key in docs/json.md's Piece ("" : the name)
    brief: bool = False  # part of the creative brief
    old_flags: tuple[str, ...] = ()  # earlier CLI spellings, kept working (hidden)
    default: Any = None  # what a new piece gets when it is not given (every face alike)

    @property
    def flag(self) -> str:
        """The CLI option, the same in `add` and `edit`: the JSON name with dashes."""
        return "--" + self.json_name.replace("_", "-")

    @property
    def json_name(self) -> str:
        return self.json or self.name

    @property
    def describe(self) -> str:
        """How `show`, the piece screen and event texts name it ("publish date")."""
        return self.name.replace("_", " ")

    @property
    def form_label(self) -> str:
        return f"{self.label} ({self.hint})" if self.hint else self.label

    @property
    def settable(self) -> bool:
        return self.clean is not None


def _system(name: str, json: str = "") -> PieceField:
    return PieceField(name, SYSTEM, json=json, edit=False, widget="")


def _brief(name: str, help: str) -> PieceField:
    words = name.replace("_", " ")
    return PieceField(name, TEXT, f"Brief · {words}", "", _text, f"Brief: {help}", brief=True,
                      widget=AREA)


# In the order people read them: the form, `show` and JSON follow it.
FIELDS: tuple[PieceField, ...] = (
    _system("id"),
    PieceField("title", LINE, "Title", "", _title, "The piece's title."),
    PieceField("format", CHOICE, "Format", "", _format,
               "blog post, video, newsletter… (one the config lists)", widget=SELECT,
               default=DEFAULT_FORMAT),
    PieceField("stage", STAGE, "Stage", "", clean_line,
               "The stage it starts in (default: the first; later: prodboard move).",
               edit=False, widget=SELECT),
    PieceField("owner", PERSON, "Owner", "", clean_line,
               "Who does it: a handle (later: prodboard assign).", edit=False, widget=SELECT),
    PieceField("due", DATE, "Due", "YYYY-MM-DD", lambda v: parse_date(v, "due"),
               "When it is due."),
    PieceField("publish_date", DATE, "Publish", "YYYY-MM-DD",
               lambda v: parse_date(v, "publish_date"), "When it goes out.",
               old_flags=("--publish",)),
    PieceField("tags", LIST, "Tags", "comma-separated", _items, "Tags.",
               old_flags=("--tag",)),
    PieceField("channels", LIST, "Channels", "comma-separated", _items,
               "Where it is published.", old_flags=("--channel",)),
    PieceField("reviewers", LIST, "Reviewers", "handles, comma-separated", _handles,
               "Who reviews it: handles.", old_flags=("--reviewer",)),
    PieceField("priority", PRIORITY, "Priority", "1 urgent – 4 low", _priority,
               f"1 (urgent) to 4 (low); a new piece gets {DEFAULT_PRIORITY}.",
               default=DEFAULT_PRIORITY),
    PieceField("cost", NUMBER, "Cost", "", _cost, "What it costs (a number, 0 or more)."),
    _brief("audience", "Who it is for."),
    _brief("desired_action", "What they should do after."),
    _brief("business_goal", "What it is for."),
    _brief("success_metrics", "How success is measured."),
    _brief("key_message", "The one thing to remember."),
    PieceField("links", LIST, "Links", "comma-separated", _items, "Links (drafts, assets).",
               old_flags=("--link",)),
    _system("rank"),
    _system("checklist"),
    _system("revision_rounds"),
    _system("approved_by"),
    _system("approved_at"),
    _system("approval_delegated"),
    _system("stage_entered_at"),
    _system("created_at"),
    _system("updated_at"),
    _system("archived"),
    _system("archive_reason"),
    _system("version"),
    _system("comments", json="comment_count"),
)

BY_NAME = {f.name: f for f in FIELDS}
# What `edit` (the CLI, the form, Commands.edit) may change.
EDITABLE = tuple(f.name for f in FIELDS if f.settable and f.edit)
LIST_FIELDS = tuple(f.name for f in FIELDS if f.kind == LIST)
BRIEF = tuple(f.name for f in FIELDS if f.brief)
FORM_INPUTS = tuple(f for f in FIELDS if f.widget in (INPUT, AREA))  # typed on the form
DEFAULTS: dict[str, Any] = {f.name: f.default for f in FIELDS if f.default is not None}


def normalise(name: str, value: Any) -> Any:
    """Coerce and clean one edited field, raising BadInput on a bad value."""
    field = BY_NAME.get(name)
    if field is None or name not in EDITABLE or field.clean is None:
        raise BadInput(f"unknown or read-only field {name!r} (editable: {', '.join(EDITABLE)})")
    return field.clean(value)


def describe_name(name: str) -> str:
    """How event texts name a field (a field since removed: its name as words)."""
    field = BY_NAME.get(name)
    return field.describe if field else name.replace("_", " ")

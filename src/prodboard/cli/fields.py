"""The options of `add` and `edit`, made from the field list: one flag per field,
spelled the same in both commands (the JSON name with dashes), each list flag
repeatable and comma-separated alike. Earlier spellings stay as hidden aliases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from prodboard.domain.fields import DATE, FIELDS, LIST, NUMBER, PRIORITY, PieceField

F = TypeVar("F", bound=Callable[..., Any])
_METAVARS = {DATE: "YYYY-MM-DD", LIST: "A,B", PRIORITY: "1-4", NUMBER: "N"}
_ALIAS = "_old_"  # the parameter name of a hidden alias: _old_tags for --tag


def fields_for(command: str) -> tuple[PieceField, ...]:
    """The fields `add` or `edit` takes as options (`add` takes the title as TITLE;
    stage and owner are set when a piece is added, later by `move` and `assign`)."""
    if command == "add":
        return tuple(f for f in FIELDS if f.settable and f.name != "title")
    return tuple(f for f in FIELDS if f.settable and f.edit)


def _help(field: PieceField) -> str:
    what = field.help or field.label
    return f"{what} Comma-separated, repeatable." if field.kind == LIST else what


def field_options(command: str) -> Callable[[F], F]:
    """Decorate a command with one option per field (and hidden aliases)."""

    def apply(fn: F) -> F:
        for field in reversed(fields_for(command)):
            multiple = field.kind == LIST
            for old in field.old_flags:
                fn = click.option(old, _ALIAS + field.name, multiple=multiple,
                                  default=None, hidden=True)(fn)
            fn = click.option(field.flag, field.name, multiple=multiple, default=None,
                              metavar=_METAVARS.get(field.kind, "TEXT"), help=_help(field))(fn)
        return fn

    return apply


def given(options: dict[str, Any]) -> dict[str, Any]:
    """The fields given on the command line (a flag or its old spelling), by name:
    a list flag's values joined (the core splits and cleans them)."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        name = key.removeprefix(_ALIAS)
        if value is None or value == ():
            continue
        if isinstance(value, tuple):
            out[name] = [*out.get(name, []), *value]
        else:
            out.setdefault(name, value)
    return out

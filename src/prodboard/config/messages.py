"""pydantic's validation errors as the one line a person reads: ``key: why``.

The schema says what is wrong; this says it in the board's words (TOML's, not
Python's: "a whole number", "true/false", "a table") and names the range to use.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from prodboard.config.locate import KeyPath
from prodboard.config.schema import BOUNDS, UI_SECTIONS, PersonalFile

# Whatever went wrong with these, the one thing to say.
_ALWAYS = {
    "toast_seconds": "expected a number of seconds, 1 to 600",
}
_TOO_SHORT = {
    "stages": "expected at least two [[stages]] tables",
    "approver_roles": "needs at least one role (or nobody could approve)",
    "admin_roles": "needs at least one role (or nobody could add people)",
}


def toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a table"
    kinds = {str: "a string", int: "a whole number", float: "a decimal number", list: "a list"}
    return kinds.get(type(value), "a date or time" if hasattr(value, "isoformat") else "a value")


def explain(error: ErrorDetails, root: type[BaseModel]) -> tuple[KeyPath, str]:
    """Where (the key path) and why, for one pydantic error on a ``root`` file."""
    loc: KeyPath = tuple(part for part in error["loc"] if part != "[key]")
    kind, value = error["type"], error.get("input")
    names = [p for p in loc if isinstance(p, str)]
    name = names[-1] if names else ""
    got = toml_type(value)
    if name in _ALWAYS and kind != "extra_forbidden":
        return loc, _ALWAYS[name]
    if loc and loc[0] == "stages" and len(loc) <= 2 and kind in ("list_type", "model_type", "too_short"):
        return ("stages",), _TOO_SHORT["stages"]
    if kind == "too_short" and name in _TOO_SHORT:
        return loc, _TOO_SHORT[name]
    if loc and isinstance(loc[-1], int):  # an item of a list of names
        return loc[:-1], "expected a list of non-empty strings"
    if kind == "missing":
        what = "every stage needs a name" if loc[0] == "stages" else f"{name} is required"
        return loc[:-1], what
    if kind == "extra_forbidden":
        if len(loc) == 1:
            if root is PersonalFile:
                return loc, f"unknown section (a personal file holds {', '.join(UI_SECTIONS)})"
            return loc, f"unknown section (allowed: {', '.join(root.model_fields)})"
        return loc, f"unknown key (allowed: {', '.join(_fields_at(root, loc[:-1]))})"
    if loc and loc[0] == "checklist" and len(loc) == 2:
        return loc, "expected a non-empty label string"
    if loc and loc[0] == "keys" and kind == "string_type":
        return loc, f'expected a string of keys such as "m" or "ctrl+s,f2", got {got}'
    if kind in ("model_type", "dict_type"):
        where = f" [{loc[0]}]" if len(loc) == 1 else ""
        return loc, f"expected a table{where}, got {got}"
    return loc, _value_why(kind, name, value, got, error)


def _value_why(kind: str, name: str, value: Any, got: str, error: ErrorDetails) -> str:
    if kind == "literal_error":
        allowed = error.get("ctx", {}).get("expected", "")
        return f"expected one of {allowed.replace(' or ', ', ')}, got {got}".replace("'", "")
    if kind == "int_type":
        return "expected a whole number, not true/false" if isinstance(value, bool) \
            else f"expected a whole number, got {got}"
    if kind == "float_type":
        return "expected a number, not true/false" if isinstance(value, bool) \
            else f"expected a number, got {got}"
    if kind == "bool_type":
        return f"expected true or false, got {got}"
    if kind == "string_type":
        return f"expected a string, got {got}"
    if kind == "list_type":
        return f"expected a list, got {got}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "finite_number":
        return "must be a finite number (not nan or inf)"
    if kind in ("greater_than_equal", "less_than_equal"):
        lo, hi, unit = BOUNDS.get(name, (0, 0, ""))
        if value < 0:
            return f"must not be negative (use {lo:g} to {hi:g}{unit})"
        return f"must be between {lo:g} and {hi:g}{unit}, not {value:g}"
    return str(error["msg"])  # our own custom errors read as they are


def _fields_at(root: type[BaseModel], loc: KeyPath) -> list[str]:
    """The keys the table at ``loc`` may hold (for "unknown key (allowed: ...)")."""
    kind: Any = root
    for part in loc:
        kind = _unwrap(kind)
        if isinstance(part, int):  # an item of the list _unwrap already looked into
            continue
        if typing.get_origin(kind) is dict:
            kind = typing.get_args(kind)[1]
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            kind = kind.model_fields[part].annotation
    kind = _unwrap(kind)
    return list(kind.model_fields) if isinstance(kind, type) and issubclass(kind, BaseModel) else []


def _unwrap(kind: Any) -> Any:
    """The type itself, without Annotated[...], ``| None`` or list[...]."""
    while True:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            kind = typing.get_args(kind)[0]
        elif origin in (typing.Union, types.UnionType):
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        elif origin is list:
            kind = typing.get_args(kind)[0]
        else:
            return kind

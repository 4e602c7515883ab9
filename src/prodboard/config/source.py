"""One config file, read once: its text, its TOML tables, and where each key is.

Every error about the file is one line ``FILE:LINE: key: why``.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from prodboard.config.locate import KeyPath, key_lines, line_of, show
from prodboard.domain.text import clean_line
from prodboard.errors import ConfigError

if TYPE_CHECKING:  # pydantic loads only when a file is checked against the schema
    import tomllib

    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")


class Source:
    """A parsed config file. ``data`` has every string (table keys too) cleaned like
    stored text: the board shows stage names, labels, formats and roles."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = _read(path)
        import tomllib  # only when a file exists (most commands run with none)

        try:
            raw = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_toml_error(path, self.text, exc)) from None
        self.data: dict[str, Any] = _cleaned(raw)

    @cached_property
    def lines(self) -> dict[KeyPath, int]:
        return key_lines(self.text, clean_line)

    def at(self, path: KeyPath) -> str:
        """``FILE:LINE`` of ``path`` (or its nearest declared parent)."""
        return f"{self.path}:{line_of(self.lines, path)}"

    def fail(self, path: KeyPath, why: str) -> ConfigError:
        return ConfigError(clean_line(f"{self.at(path)}: {show(path)}: {why}"))

    def validate(self, model: type[M], data: dict[str, Any] | None = None) -> M:
        """The file (or ``data`` from it) as ``model``; the error nearest the top of the
        file if it does not fit."""
        from pydantic import ValidationError

        from prodboard.config.messages import explain

        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            found = [explain(e, model) for e in exc.errors()]
            path, why = min(found, key=lambda f: line_of(self.lines, f[0]))
            raise self.fail(path, why) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(clean_line(f"{path}: cannot read config file ({exc})")) from None


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """``FILE:LINE: invalid TOML: why`` from the parser's "why (at line L, column C)"."""
    msg = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", msg)
    if m:
        return f"{path}:{m.group(1)}: invalid TOML: {msg[: m.start()]} (column {m.group(2)})"
    m = re.search(r"\s*\(at end of document\)\s*$", msg)
    if m:
        last = max(1, len(text.splitlines()))
        return f"{path}:{last}: invalid TOML: {msg[: m.start()]} (at end of file)"
    return f"{path}:1: invalid TOML: {msg}"


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_line(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {clean_line(k): _cleaned(v) for k, v in value.items()}
    return value

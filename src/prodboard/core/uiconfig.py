"""The person's side of the config file: key remapping and theme, validated strictly."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .workflow import ConfigError, _line_of


@dataclass(frozen=True)
class UISettings:
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> "key1,key2"
    theme: str | None = None


def load_ui(path: Path | None) -> UISettings:
    """Read ``[keys]`` (binding id = "keys") and ``[theme] name`` from the config file."""
    if path is None or not path.is_file():
        return UISettings()
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise ConfigError(f"{path}:{_line_of(text, 'keys')}: keys: expected a table")
    for name, value in keys.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}:{_line_of(text, name)}: keys.{name}: expected a key string")
    theme = data.get("theme", {})
    if not isinstance(theme, dict) or set(theme) - {"name"}:
        raise ConfigError(f"{path}:{_line_of(text, 'theme')}: theme: expected a table with 'name'")
    name = theme.get("name")
    if name is not None and not isinstance(name, str):
        raise ConfigError(f"{path}:{_line_of(text, 'name')}: theme.name: expected a string")
    return UISettings(dict(keys), name)

"""A person's board settings: keys, theme and notifications.

Two files feed them. The team file (beside the board, or --config) owns the
workflow and may set team defaults for ``[keys]``/``[theme]``/``[notify]``; the
personal file (the user config dir, or PRODBOARD_USER_CONFIG) holds only those
three and wins entry by entry. Workflow sections in a personal file are ignored
with one warning line, so nobody changes the team's rules from their own
machine. Both are validated strictly: a bad value is one line naming file, line
and key.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prodboard.domain.text import clean_line
from prodboard.domain.workflow import ConfigError, _line_of, _show, read_toml

UI_SECTIONS = ("keys", "theme", "notify")
WORKFLOW_SECTIONS = ("board", "stages", "formats", "checklist")
TOAST_SECONDS = (1.0, 600.0)


@dataclass(frozen=True)
class Notify:
    """How alerts reach this person's screen (who is alerted is the team's business)."""

    toasts: bool = True  # False: alerts go to the inbox and the header count only
    toast_seconds: float = 8.0


@dataclass(frozen=True)
class UISettings:
    """The merged settings, with where each key came from (for one-line errors)."""

    keys: dict[str, str] = field(default_factory=dict)  # binding id -> "key1,key2"
    theme: str | None = None
    notify: Notify = field(default_factory=Notify)
    origins: dict[str, str] = field(default_factory=dict)  # "keys.<id>"/"theme" -> FILE:LINE
    warnings: tuple[str, ...] = ()


def load_ui(team: Path | None, personal: Path | None = None) -> UISettings:
    """The team's defaults overlaid by the person's own file (either may be None)."""
    merged: dict[str, Any] = {"keys": {}, "theme": None, "notify": {}}
    origins: dict[str, str] = {}
    warnings: list[str] = []
    for path, is_personal in ((team, False), (personal, True)):
        if path is None:
            continue
        text, data = read_toml(path)
        if is_personal:
            _check_personal_sections(path, text, data, team, warnings)
        where = _Where(path, text)
        for name, value in _keys(data, where).items():
            merged["keys"][name] = value
            origins[f"keys.{name}"] = where.at(("keys", name))
        theme = _theme(data, where)
        if theme is not None:
            merged["theme"] = theme
            origins["theme"] = where.at(("theme", "name"))
        merged["notify"].update(_notify(data, where))
    return UISettings(merged["keys"], merged["theme"], Notify(**merged["notify"]), origins,
                      tuple(warnings))


class _Where:
    """Formats ``FILE:LINE: key: why`` for one file."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def at(self, key: tuple[str, ...]) -> str:
        return f"{self.path}:{_line_of(self.text, key)}"

    def fail(self, key: tuple[str, ...], why: str) -> ConfigError:
        return ConfigError(f"{self.at(key)}: {_show(key)}: {why}")




def _check_personal_sections(path: Path, text: str, data: dict[str, Any], team: Path | None,
                             warnings: list[str]) -> None:
    """Unknown sections are errors; the team's sections are ignored with one warning."""
    for key in data:
        if key not in (*UI_SECTIONS, *WORKFLOW_SECTIONS):
            raise _Where(path, text).fail(
                (key,), f"unknown section (a personal file holds {', '.join(UI_SECTIONS)})")
    ignored = [key for key in data if key in WORKFLOW_SECTIONS]
    if ignored:
        owner = f"the team file {team}" if team else "the team file (prodboard.toml beside the board)"
        warnings.append(clean_line(
            f"{path}: {', '.join(f'[{k}]' for k in ignored)} ignored: workflow and rules come "
            f"from {owner}; a personal file sets only {', '.join(f'[{k}]' for k in UI_SECTIONS)}"))


def _table(data: dict[str, Any], section: str, where: _Where) -> dict[str, Any]:
    value = data.get(section, {})
    if not isinstance(value, dict):
        raise where.fail((section,), f"expected a table [{section}]")
    return value


def _keys(data: dict[str, Any], where: _Where) -> dict[str, str]:
    keys = _table(data, "keys", where)
    out: dict[str, str] = {}
    for name, value in keys.items():
        if not isinstance(value, str):
            raise where.fail(("keys", name), "expected a key string such as \"m\" or \"ctrl+s,f2\"")
        parts = [p.strip() for p in value.split(",")]
        if not all(parts) or any(ch.isspace() for p in parts for ch in p):
            raise where.fail(("keys", name), f"{value!r} is not a key list "
                             "(keys separated by commas, no spaces inside a key; \",\" is comma)")
        out[name] = ",".join(parts)
    return out


def _theme(data: dict[str, Any], where: _Where) -> str | None:
    theme = _table(data, "theme", where)
    extra = sorted(set(theme) - {"name"})
    if extra:
        raise where.fail(("theme", extra[0]), "unknown key (allowed: name)")
    name = theme.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise where.fail(("theme", "name"), "expected a theme name")
    return name.strip() if isinstance(name, str) else None


def _notify(data: dict[str, Any], where: _Where) -> dict[str, Any]:
    notify = _table(data, "notify", where)
    out: dict[str, Any] = {}
    for key, value in notify.items():
        if key == "toasts":
            if not isinstance(value, bool):
                raise where.fail(("notify", key), "expected true or false")
        elif key == "toast_seconds":
            low, high = TOAST_SECONDS
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or not low <= value <= high:
                raise where.fail(("notify", key), f"expected a number of seconds, {low:g} to {high:g}")
            value = float(value)
        else:
            raise where.fail(("notify", key), "unknown key (allowed: toasts, toast_seconds)")
        out[key] = value
    return out


# -- checks that need the board's binding ids (passed in by the board) --------------


def close_matches(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean a, b?)"`` for the nearest of ``choices``, or "". A near-exact
    typo names just its match; ``save`` also finds ``form-save``."""
    names = sorted(choices)
    near = difflib.get_close_matches(word, names, n=3, cutoff=0.6)
    if near and difflib.SequenceMatcher(None, word, near[0]).ratio() >= 0.9:
        near = near[:1]
    near += [n for n in names if n.endswith(f"-{word}") and n not in near]
    return f" (did you mean {', '.join(near)}?)" if near else ""


def check_keymap(
    ui: UISettings,
    screens: Mapping[str, Mapping[str, str]],
    reserved: Callable[[str, str], str | None],
    normalize: Callable[[str], str],
) -> None:
    """Refuse a keymap the board could not honour, in one line naming file and key.

    ``screens``: screen name -> {binding id: default keys}; ``reserved(screen,
    key)``: what else takes that key on that screen first (a key nobody can
    remap, a text field), or None; ``normalize``: the board's key spelling
    ("?" -> question_mark).
    """
    known = {i for ids in screens.values() for i in ids}
    for ident in ui.keys:
        if ident not in known:
            raise ConfigError(f"{_origin(ui, ident)}: keys.{ident}: unknown binding id"
                              f"{close_matches(ident, known)}; ? on the board lists every id")
    for screen, bindings in screens.items():
        for ident in bindings:
            for key in normalize(ui.keys[ident]).split(",") if ident in ui.keys else ():
                kept = reserved(screen, key)
                if kept:
                    raise ConfigError(f"{_origin(ui, ident)}: keys.{ident}: {key} is kept on "
                                      f"the {screen} for {kept}")
        taken: dict[str, str] = {}
        for ident, default in bindings.items():
            for key in normalize(ui.keys.get(ident, default)).split(","):
                other = taken.setdefault(key, ident)
                if other != ident:
                    mine, theirs = (ident, other) if ident in ui.keys else (other, ident)
                    raise ConfigError(f"{_origin(ui, mine)}: keys.{mine}: {key} is also the "
                                      f"key of {theirs} on the {screen}; remap {theirs} too, "
                                      "or pick another key")


def _origin(ui: UISettings, ident: str) -> str:
    return ui.origins.get(f"keys.{ident}", "config")


def check_theme(ui: UISettings, themes: Iterable[str]) -> None:
    """A theme the board does not have is one line naming the file and the close names."""
    names = sorted(themes)
    if ui.theme is not None and ui.theme not in names:
        raise ConfigError(f"{ui.origins.get('theme', 'config')}: theme.name: unknown theme "
                          f"{ui.theme!r}{close_matches(ui.theme, names)} "
                          f"(themes: {', '.join(names)})")

"""A person's board settings: keys, theme and notifications, and the checks that
need the board's own names (binding ids, themes), which the board passes in.

Two files feed them (``load.py`` reads each once): the team file may set team
defaults for ``[keys]``/``[theme]``/``[notify]``; the personal file holds only
those three and wins entry by entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from prodboard.config.source import Source
from prodboard.domain.notify import DEFAULT_KINDS
from prodboard.errors import ConfigError

if TYPE_CHECKING:  # the schema (pydantic) is imported only to check a file
    from prodboard.config import schema


@dataclass(frozen=True)
class Notify:
    """How alerts reach this person's screen (who is alerted is the team's business)."""

    toasts: bool = True  # False: alerts go to the inbox and the header count only
    toast_seconds: float = 8.0
    # In the background (the terminal reports it is not focused): the kinds of alert
    # that send a desktop notification, and ring the bell too when ``bell``.
    bell: bool = True
    desktop: tuple[str, ...] = DEFAULT_KINDS


@dataclass(frozen=True)
class UISettings:
    """The merged settings, with where each key came from (for one-line errors)."""

    keys: dict[str, str] = field(default_factory=dict)  # binding id -> "key1,key2"
    theme: str | None = None
    notify: Notify = field(default_factory=Notify)
    origins: dict[str, str] = field(default_factory=dict)  # "keys.<id>"/"theme" -> FILE:LINE
    warnings: tuple[str, ...] = ()


def merge_ui(files: Iterable[tuple[Source, schema.PersonalSections]],
             warnings: tuple[str, ...] = ()) -> UISettings:
    """The files' sections in order, each later one winning entry by entry."""
    keys: dict[str, str] = {}
    theme: str | None = None
    notify = Notify()
    origins: dict[str, str] = {}
    for src, sections in files:
        for name, value in sections.keys.items():
            keys[name] = value
            origins[f"keys.{name}"] = src.at(("keys", name))
        if sections.theme.name is not None:
            theme = sections.theme.name
            origins["theme"] = src.at(("theme", "name"))
        if sections.notify.toasts is not None:
            notify = replace(notify, toasts=sections.notify.toasts)
        if sections.notify.toast_seconds is not None:
            notify = replace(notify, toast_seconds=float(sections.notify.toast_seconds))
        if sections.notify.bell is not None:
            notify = replace(notify, bell=sections.notify.bell)
        if sections.notify.desktop is not None:
            notify = replace(notify, desktop=tuple(sections.notify.desktop))
    return UISettings(keys, theme, notify, origins, warnings)


# -- checks that need the board's binding ids (passed in by the board) --------------


def close_matches(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean a, b?)"`` for the nearest of ``choices``, or "". A near-exact
    typo names just its match; ``save`` also finds ``form-save``."""
    import difflib  # a typo's message only

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

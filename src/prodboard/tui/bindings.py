"""The keys as currently mapped, by binding id: for the help screen, the command
palette and hints. Textual applies the keymap itself (App.set_keymap, on every
screen's binding chain); this module only reads it back. The registry of screens
a person's ``[keys]`` is checked against is tui/keymap.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

from prodboard.tui.textual_private import keymap, merged_bindings, normalize_keys


def bindings_by_id(node: type[DOMNode]) -> dict[str, list[Binding]]:
    """A class's bindings that have an id (remappable), each id with its keys in order."""
    out: dict[str, list[Binding]] = {}
    for bindings in merged_bindings(node).values():
        for binding in bindings:
            if binding.id:
                out.setdefault(binding.id, []).append(binding)
    return out


def unnamed(node: type[DOMNode]) -> dict[str, str]:
    """Keys bound without an id (nobody can remap them) -> what they do."""
    owner = node.__name__
    return {
        key: f"{owner}: {b.description or b.action}"
        for key, bindings in merged_bindings(node).items()
        for b in bindings if not b.id
    }


def normalize(keys: str) -> str:
    """Textual's spelling of a key list ("?" -> question_mark), as the keymap uses."""
    return normalize_keys(keys)


def shown(app: App[Any], binding: Binding) -> str:
    """The keys that run ``binding`` now (remapped or default), as the footer shows them."""
    mapped: Mapping[str, str] = keymap(app)
    if binding.id and binding.id in mapped:
        keys = [binding.with_key(k, key_display=None) for k in mapped[binding.id].split(",")]
    else:
        keys = [binding.with_key(k.strip()) for k in binding.key.split(",")]
    return " / ".join(dict.fromkeys(app.get_key_display(k) for k in keys))


def shown_id(app: App[Any], node: type[DOMNode], ident: str) -> str:
    """The keys now bound to ``ident`` on the screen class ``node``."""
    bindings = bindings_by_id(node).get(ident, [])
    if not bindings:
        return ""
    if ident in keymap(app):
        return shown(app, bindings[0])
    return " / ".join(dict.fromkeys(shown(app, b) for b in bindings))


def hint(app: App[Any], ident: str, default: str) -> str:
    """The first key bound to ``ident`` as the person wrote it (or ``default``), for
    hints in text such as "(g: go to it)"."""
    keys = getattr(app, "ui", None)
    written = keys.keys.get(ident) if keys is not None else None
    return written.split(",")[0] if written else default

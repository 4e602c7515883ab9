"""The only place prodboard touches Textual's private API.

Textual has no public way to rewrite a toast already on screen, to drop one without
a re-layout, to list the notifications shown, to read a class's merged bindings and
the keymap back, or to write an escape sequence of its own to the terminal. Each use
is one small function here, and tests/tui/test_textual_private.py fails with a
clear message when an upgrade of Textual removes or changes one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import _normalize_key_list
from textual.notifications import Notification
from textual.widgets._toast import Toast, ToastRack


def notifications(app: App[Any]) -> list[Notification]:
    """The notifications the app holds now (shown, or about to be)."""
    return list(app._notifications)


def showing(app: App[Any], note: Notification) -> bool:
    return note in app._notifications


def drop_quietly(app: App[Any], note: Notification) -> None:
    """Remove a notification without refreshing the toast rack (the next toast does)."""
    app._unnotify(note, refresh=False)


def drop_all(app: App[Any], notes: list[Notification]) -> None:
    """Remove those of ``notes`` still shown, from every screen's toast rack: Textual
    refreshes only the top screen's, and a modal shows the one beneath through its
    margin."""
    shown = [n for n in notes if n in app._notifications]
    for note in shown:
        app._unnotify(note, refresh=False)
    if shown:
        for screen in app.screen_stack:
            for rack in screen.query_children(ToastRack):
                app.call_later(rack.show, app._notifications)


def refresh_toast(app: App[Any], note: Notification) -> None:
    """Redraw the toast showing ``note`` after its text changed, in place."""
    for toast in app.screen.query(Toast):
        if toast._notification is note:
            toast.refresh(layout=True)


def merged_bindings(node: type[DOMNode]) -> Mapping[str, list[Binding]]:
    """A class's bindings, its bases' included, by key."""
    merged = node._merged_bindings
    if merged is None:  # before the class was first used: Textual computes it lazily
        merged = node._merge_bindings()
    return merged.key_to_bindings


def keymap(app: App[Any]) -> Mapping[str, str]:
    """The keymap set with ``App.set_keymap``: binding id -> keys."""
    return app._keymap


def normalize_keys(keys: str) -> str:
    """Textual's spelling of a key list ("?" -> question_mark), as the keymap uses."""
    return _normalize_key_list(keys)


def write_to_terminal(app: App[Any], data: str) -> None:
    """Write ``data`` to the terminal as it is, between frames (``App.bell`` does the
    same with its one byte); nothing when headless or not running."""
    driver = app._driver
    if driver is not None and not app.is_headless:
        driver.write(data)
        driver.flush()

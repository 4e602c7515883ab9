"""The only place prodboard touches Textual's private API.

Textual has no public way to rewrite a toast already on screen, to drop one without
a re-layout, to list the notifications shown, to read a class's merged bindings and
the keymap back, or to write an escape sequence of its own to the terminal; and one
of its caches keeps every widget's drawn lines alive (``free_styles_caches``). Each use
is one small function here, and tests/tui/test_textual_private.py fails with a
clear message when an upgrade of Textual removes or changes one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from textual._styles_cache import StylesCache
from textual.app import App
from textual.binding import Binding
from textual.color import Color
from textual.dom import DOMNode
from textual.keys import _normalize_key_list
from textual.notifications import Notification
from textual.style import Style
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


_inner_outer = StylesCache.get_inner_outer.__wrapped__


@lru_cache(1024)
def _backgrounds(base_background: Color, background: Color) -> tuple[Style, Style]:
    result: tuple[Style, Style] = _inner_outer(None, base_background, background)
    return result


def _get_inner_outer(self: StylesCache, base_background: Color,
                     background: Color) -> tuple[Style, Style]:
    return _backgrounds(base_background, background)


def free_styles_caches() -> None:
    """Key ``StylesCache.get_inner_outer``'s cache by the two colours alone.

    Textual's is an ``lru_cache`` on the method, so its key holds the widget's
    StylesCache: the last 1,024 of them stay alive with every line they drew, one for
    each toast ever shown. On a busy board that was ~5 MB more every few minutes.
    """
    StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[method-assign,assignment]

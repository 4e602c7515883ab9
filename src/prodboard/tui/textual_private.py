"""The only place prodboard touches Textual's private API.

Textual has no public way to rewrite a toast already on screen, to reuse a toast
widget for the next notification instead of mounting one per toast, to drop one
without a re-layout, to list the notifications shown, to read a class's merged bindings and
the keymap back, or to write an escape sequence of its own to the terminal; and one
of its caches keeps every widget's drawn lines alive (``free_styles_caches``). Each use
is one small function here, and tests/tui/test_textual_private.py fails with a
clear message when an upgrade of Textual removes or changes one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from textual import on
from textual._styles_cache import StylesCache
from textual.app import App
from textual.binding import Binding
from textual.color import Color
from textual.dom import DOMNode
from textual.events import Click
from textual.keys import _normalize_key_list
from textual.notifications import Notification, Notifications
from textual.screen import Screen
from textual.style import Style
from textual.timer import Timer
from textual.widgets._toast import Toast, ToastHolder, ToastRack

# A slot's timer may fire a moment before its notification's wall-clock expiry.
_EXPIRY_SLACK = 0.05
# Textual's timers loop forever on a delay of zero or less: never ask for one.
_SOONEST = 0.01


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
        _show_everywhere(app)


def _show_everywhere(app: App[Any]) -> None:
    for screen in app.screen_stack:
        for rack in screen.query_children(ToastRack):
            show_toasts(rack, app._notifications)


def refresh_toast(app: App[Any], note: Notification) -> None:
    """Redraw the toast showing ``note`` after its text changed, in place."""
    for toast in app.screen.query(Toast):
        if toast._notification is note:
            _redraw(toast)


def _redraw(toast: Toast) -> None:
    """Repaint a toast; lay the screen out again only if its height changes."""
    width, height = toast.content_size
    toast.clear_cached_dimensions()
    same = bool(width) and toast.get_content_height(
        toast.container_size, toast.app.size, width) == height
    toast.refresh(layout=not same)


class ToastSlot(Toast):
    """A toast the rack keeps mounted and rewrites for the next notification: a new
    toast is new text in a slot already laid out, not a mount (two frames or more)."""

    _timer: Timer | None = None

    def __init__(self, notification: Notification) -> None:
        super().__init__(notification)
        self._timeout = max(self._timeout, _SOONEST)  # Toast's own timer, set on mount

    def bind(self, note: Notification) -> None:
        """Show ``note`` here, with its own time left."""
        old = self._notification
        if note is old:
            return
        self._notification = note
        if note.severity != old.severity:
            self.remove_class(f"-{old.severity}").add_class(f"-{note.severity}")
        self._timeout = max(note.time_left, _SOONEST)
        if not self.is_mounted:  # mounting renders it and starts Toast's own timer
            return
        self._arm()
        _redraw(self)

    def _arm(self) -> None:
        """One timer, for the notification shown now."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(self._notification.time_left, _SOONEST), self._expire)

    def _expire(self) -> None:
        """Toast's timer and our own: drop the notification shown if its time is up,
        else wait for the rest of it (a timer of one shown earlier, or one early)."""
        if self._notification.time_left <= _EXPIRY_SLACK:
            self._drop()
        elif self._notification in self.app._notifications:
            self._arm()

    @on(Click)
    def _dismiss(self, event: Click) -> None:
        event.prevent_default()  # Toast's own handler removes the widget
        self._drop()

    def _drop(self) -> None:
        if self._notification in self.app._notifications:
            self.app._unnotify(self._notification, refresh=False)
            _show_everywhere(self.app)


class _Holder(ToastHolder):
    """Toast's holder, knowing its slot before the slot is mounted."""

    def __init__(self, slot: ToastSlot) -> None:
        super().__init__(slot)
        self.slot = slot


def show_toasts(rack: ToastRack, notifications: Notifications) -> None:
    """Textual's ``ToastRack.show``, reusing the rack's toasts: the notifications go
    into the slots in order (the newest at the bottom), the spare slots are hidden,
    and a slot is mounted only when the stack is taller than it has ever been."""
    wanted = [n for n in notifications if not n.has_expired]
    holders = list(rack.query_children(_Holder))
    for holder, note in zip(holders, wanted, strict=False):
        holder.slot.bind(note)
        holder.display = True
    for holder in holders[len(wanted):]:
        holder.display = False
    rack.display = bool(wanted)
    if len(wanted) > len(holders):
        rack.mount_all(_Holder(ToastSlot(n)) for n in wanted[len(holders):])
        rack.call_later(rack.scroll_end, animate=False, force=True)


def notify_now(app: App[Any], note: Notification) -> None:
    """``App.notify`` on the event loop without the round trip of a ``Notify``
    message: the toast is written in the same frame as what the caller repaints."""
    app._notifications.add(note)
    app._refresh_notifications()


def show_notifications(app: App[Any]) -> None:
    """``App._refresh_notifications`` with ``show_toasts`` for the top screen's rack."""
    if app.screen_stack:
        for rack in app.screen.query_children(ToastRack):
            show_toasts(rack, app._notifications)


def ready_toasts(screen: Screen[Any], count: int) -> None:
    """Mount ``count`` hidden slots in the screen's rack before any toast needs one."""
    for rack in screen.query_children(ToastRack):
        spare = count - len(rack.query_children(_Holder))
        if spare > 0:
            # Already expired: the slot stays hidden until a notification is bound to it.
            blank = Notification("", timeout=0)
            holders = [_Holder(ToastSlot(blank)) for _ in range(spare)]
            for holder in holders:
                holder.display = False
            rack.mount_all(holders)


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

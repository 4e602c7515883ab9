"""The private Textual API prodboard uses (all of it in tui/textual_private.py) is
still there and still means the same. A failure here names what an upgrade changed."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.notifications import Notification, Notify
from textual.screen import Screen
from textual.widgets import Static

from prodboard.tui import textual_private as private

from .helpers import shown_toasts

BROKEN = "Textual {version} changed a private API prodboard relies on: {what}. " \
         "Update src/prodboard/tui/textual_private.py."


def fail(what: str) -> None:
    import textual

    pytest.fail(BROKEN.format(version=getattr(textual, "__version__", "?"), what=what))


class Keys(Screen[None]):
    BINDINGS = [Binding("x", "go", "Go", id="go-id"), Binding("y", "stay", "Stay")]

    def compose(self) -> ComposeResult:
        yield Static("here")


def test_the_private_names_exist_with_the_signatures_used() -> None:
    if not hasattr(App, "_unnotify"):
        fail("App._unnotify is gone")
    params = inspect.signature(App._unnotify).parameters
    if "refresh" not in params:
        fail("App._unnotify(notification, refresh=...) lost its refresh parameter")
    from textual.widgets import _toast

    if not hasattr(_toast, "Toast"):
        fail("textual.widgets._toast.Toast is gone")
    if not callable(getattr(getattr(_toast, "ToastRack", None), "show", None)):
        fail("textual.widgets._toast.ToastRack.show(notifications) is gone")
    if "_notification" not in inspect.getsource(_toast.Toast.__init__):
        fail("Toast no longer keeps its notification in Toast._notification")
    if "self._timeout" not in inspect.getsource(_toast.Toast._on_mount):
        fail("Toast no longer starts its timer from Toast._timeout on mount")
    if not hasattr(_toast, "ToastHolder") or not callable(getattr(App, "_refresh_notifications", None)):
        fail("ToastHolder or App._refresh_notifications (overridden to show toasts in slots) is gone")


def test_merged_bindings_and_key_names() -> None:
    try:
        merged = private.merged_bindings(Keys)
    except AttributeError as exc:
        fail(f"DOMNode._merged_bindings / BindingsMap.key_to_bindings: {exc}")
    assert [b.id for b in merged["x"]] == ["go-id"]
    assert [b.action for b in merged["y"]] == ["stay"]
    if private.normalize_keys("?") != "question_mark":
        fail("textual.keys._normalize_key_list no longer spells '?' as question_mark")


async def test_toasts_notifications_and_the_keymap_on_a_running_app() -> None:
    class Probe(App[None]):
        def get_default_screen(self) -> Screen[Any]:
            return Keys()

        def _refresh_notifications(self) -> None:  # as the board app does
            private.show_notifications(self)

    app = Probe()
    async with app.run_test(notifications=True) as pilot:
        app.set_keymap({"go-id": "z"})
        try:
            mapped = dict(private.keymap(app))
        except AttributeError as exc:
            fail(f"App._keymap: {exc}")
        assert mapped == {"go-id": "z"}
        note = Notification("first text", title="t", timeout=30)
        app.post_message(Notify(note))
        await pilot.pause()
        if not private.showing(app, note) or note not in private.notifications(app):
            fail("App._notifications no longer holds the notifications shown")
        note.message = "second text"
        private.refresh_toast(app, note)  # the toast on screen shows the new text
        await pilot.pause()
        from textual.widgets._toast import Toast

        shown = [t for t in app.screen.query(Toast) if t._notification is note]
        if not shown:
            fail("no Toast widget shows a posted notification (Toast._notification)")
        assert "second text" in str(shown[0].render())
        private.drop_quietly(app, note)
        await pilot.pause()
        assert not private.showing(app, note)
        others = [Notification(f"note {i}", timeout=30) for i in range(2)]
        for other in others:
            app.post_message(Notify(other))
        await pilot.pause()
        private.drop_all(app, [note, *others])  # one already gone: skipped
        await pilot.pause()
        if any(private.showing(app, n) for n in others) or shown_toasts(app.screen):
            fail("App._refresh_notifications no longer takes dropped toasts off the screen")



async def test_writing_to_the_terminal_goes_through_the_driver() -> None:
    written: list[str] = []

    from textual.drivers.headless_driver import HeadlessDriver

    class Terminal(HeadlessDriver):
        @property
        def is_headless(self) -> bool:
            return False

        def write(self, data: str) -> None:
            written.append(data)

    app = App[None]()
    app.driver_class = Terminal
    async with app.run_test(headless=False):
        written.clear()
        try:
            private.write_to_terminal(app, "\x1b]9;hello\a")
        except AttributeError as exc:
            fail(f"App._driver: {exc}")
        assert written == ["\x1b]9;hello\a"]
    headless = App[None]()
    async with headless.run_test():
        private.write_to_terminal(headless, "nothing")  # headless: written nowhere, no error


def test_a_widgets_styles_cache_is_not_kept_once_the_widget_is_gone() -> None:
    import gc
    import weakref

    from textual._styles_cache import StylesCache
    from textual.color import Color

    if not hasattr(getattr(StylesCache, "get_inner_outer", None), "__wrapped__") and \
            StylesCache.get_inner_outer is not private._get_inner_outer:
        fail("StylesCache.get_inner_outer is no longer an lru_cache with __wrapped__")
    private.free_styles_caches()
    cache = StylesCache()
    kept = weakref.ref(cache)
    base, background = Color(10, 20, 30), Color(200, 100, 0, 0.5)
    inner, outer = cache.get_inner_outer(base, background)
    assert (inner, outer) == private._inner_outer(None, base, background)  # the same styles
    del cache
    gc.collect()
    assert kept() is None  # Textual's own cache held it (and all it drew) for 1,024 more

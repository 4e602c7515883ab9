"""The settings screen: theme, what reaches you in the background, and your alert level.

Theme and notifications go to your own config file (``config/write.py`` keeps its
comments and every other key); the alert level is yours on the board, so it is a
board write like any other. A file that cannot be saved (invalid now, or a folder
you cannot write) is a toast and the screen stays open with your choices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.theme import Theme
from textual.timer import Timer
from textual.widgets import Checkbox, Label, Select, SelectionList
from textual.widgets.selection_list import Selection

from prodboard.config.ui import UISettings
from prodboard.config.write import Change, save_personal
from prodboard.domain.notify import KINDS
from prodboard.domain.workflow import LEVELS
from prodboard.errors import ConfigError
from prodboard.services.commands import Commands
from prodboard.tui.screens.forms import FormScreen

SETTLE_SECONDS = 1.0  # a palette theme is saved once none other was picked for this long
LEVEL_HELP = {
    "all": "every change on the board",
    "involved": "what concerns you (the default)",
    "none": "nothing: the inbox only",
}


class SettingsScreen(FormScreen):
    """Your settings; ``ctrl+s`` saves them, ``esc`` leaves them as they were."""

    @dataclass
    class Saved(Message):
        """The personal file now says ``ui``: the app applies it."""

        ui: UISettings

    def __init__(self, path: Path, ui: UISettings, theme: str, themes: list[str],
                 level: str | None, me: str) -> None:
        super().__init__()
        self.path, self.ui, self.current_theme, self.themes = path, ui, theme, themes
        self.level, self.me = level, me  # level None: not on the board, nothing to set

    def compose(self) -> ComposeResult:
        desktop = set(self.ui.notify.desktop)
        with Vertical(classes="form"):
            yield Label("Settings", classes="form-title")
            yield Label(Content(f"Saved to {_shown(self.path)}"))
            with VerticalScroll():
                yield Label("Theme")
                yield Select([(Text(t), t) for t in self.themes], value=self.current_theme,
                             allow_blank=False, id="s-theme")
                yield Label("In the background (where the terminal reports focus)")
                yield Checkbox(Content("Ring the bell"), self.ui.notify.bell, id="s-bell")
                yield Label("Desktop notifications when")
                yield SelectionList[str](
                    *(Selection(Text(f"{what} ({kind})"), kind, kind in desktop)
                      for kind, what in KINDS.items()), id="s-desktop")
                yield Label("Alert level on this board" if self.level is not None else
                            "Alert level: join the board first")
                yield Select([(Text(f"{lv}: {LEVEL_HELP[lv]}"), lv) for lv in LEVELS],
                             value=self.level or "involved", allow_blank=False, id="s-level",
                             disabled=self.level is None)
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#s-theme", Select).focus()

    def changes(self) -> dict[Change, Any]:
        """What differs from the settings in force: only that is written."""
        theme = str(self.query_one("#s-theme", Select).value)
        bell = self.query_one("#s-bell", Checkbox).value
        chosen = set(self.query_one("#s-desktop", SelectionList).selected)
        desktop = [kind for kind in KINDS if kind in chosen]
        out: dict[Change, Any] = {}
        if theme != self.current_theme:
            out["theme", "name"] = theme
        if bell != self.ui.notify.bell:
            out["notify", "bell"] = bell
        if tuple(desktop) != self.ui.notify.desktop:
            out["notify", "desktop"] = desktop
        return out

    def action_save(self) -> None:
        changes = self.changes()
        if changes:
            try:
                save_personal(self.path, changes)
            except ConfigError as exc:
                self.error(exc)
                self.notify(exc.message, title="Settings not saved", severity="error",
                            timeout=15, markup=False)
                return
            self.ui = applied(self.ui, changes)  # a second save writes only what changes then
            self.current_theme = self.ui.theme or self.current_theme
            self.post_message(self.Saved(self.ui))
        level = str(self.query_one("#s-level", Select).value)
        if self.level is not None and level != self.level:
            me = self.me
            if changes:
                self.notify(f"Settings saved to {_shown(self.path)}.", title="Settings", markup=False)
            # closes once saved; a refusal is shown here, the file part already saved
            self.submit(lambda board: _set_level(board, me, level))
            return
        if changes:
            self.notify(f"Settings saved to {_shown(self.path)}.", title="Settings", markup=False)
        else:  # else the form would close as if it had saved
            self.notify("Nothing changed: nothing was saved.", title="Settings", markup=False)
        self.dismiss(None)


def _shown(path: Path) -> str:
    """The file as a person would type it: ``~/.config/…`` under their home."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except (ValueError, RuntimeError):  # elsewhere, or no home
        return str(path)


def _set_level(board: Commands, me: str, level: str) -> str:
    return board.set_person(me, alert_level=level)


def applied(ui: UISettings, changes: dict[Change, Any]) -> UISettings:
    """``ui`` with the saved changes in force."""
    notify = ui.notify
    if ("notify", "bell") in changes:
        notify = replace(notify, bell=bool(changes["notify", "bell"]))
    if ("notify", "desktop") in changes:
        notify = replace(notify, desktop=tuple(changes["notify", "desktop"]))
    theme = changes.get(("theme", "name"), ui.theme)
    return replace(ui, theme=theme, notify=notify)


class ThemeKeeper:
    """Saves a theme picked elsewhere (the command palette) to the personal file too,
    once the person stops browsing: the picker shows each theme it passes over."""

    def __init__(self, app: App[Any], path: Callable[[], Path], ui: Callable[[], UISettings],
                 set_ui: Callable[[UISettings], None]) -> None:
        self.app, self.path, self.ui, self.set_ui = app, path, ui, set_ui
        self.start = app.theme  # in force when nothing names one
        self.timer: Timer | None = None
        app.theme_changed_signal.subscribe(app, self._changed)

    def _changed(self, theme: Theme) -> None:
        if self.timer is not None:
            self.timer.stop()
        self.timer = self.app.set_timer(SETTLE_SECONDS, lambda: self.keep(theme.name))

    def keep(self, name: str) -> None:
        ui = self.ui()
        if name == (ui.theme or self.start):
            return  # already what the file says (or the settings screen just saved it)
        path = self.path()
        try:
            save_personal(path, {("theme", "name"): name})
        except ConfigError as exc:
            self.app.notify(f"Theme {name} is used now but not saved: {exc.message}",
                            title="Settings not saved", severity="warning", timeout=12,
                            markup=False)
            return
        self.set_ui(replace(ui, theme=name))
        self.app.notify(f"Theme {name} saved to {path}.", title="Settings", timeout=4,
                        markup=False)

"""The settings screen: what is chosen there is in force at once and written to the
person's own file, keeping its comments; an invalid file or a folder nobody may write
is a toast with nothing lost; a theme picked in the palette is kept too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Select, SelectionList

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.screens.settings import SettingsScreen

from .helpers import until

SIZE = (100, 40)
MINE = '# mine, keep me\n[keys]\ninbox = "i,f2"  # habit\n'


def toasts(app: ProdboardApp, title: str) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == title]


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "prodboard" / "prodboard.toml"  # the user config dir
    path.parent.mkdir(parents=True)
    path.write_text(MINE)
    return path


async def open_settings(app: ProdboardApp, pilot: object) -> SettingsScreen:
    await pilot.press("comma")  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


async def test_saving_applies_and_keeps_the_file(
    open_as: Callable[..., Workspace], mine: Path,
) -> None:
    app = make_app(open_as("ana"), live=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        screen.query_one("#s-theme", Select).value = "nord"
        screen.query_one("#s-bell", Checkbox).value = False
        kinds = screen.query_one("#s-desktop", SelectionList)
        kinds.deselect("assignment")
        kinds.select("team")
        screen.query_one("#s-level", Select).value = "all"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        assert app.theme == "nord" and app.ui.theme == "nord"
        assert not app.ui.notify.bell
        assert app.ui.notify.desktop == ("mention", "review_request", "changes_requested",
                                         "overdue", "team")
        await until(pilot, lambda: (open_as().queries.person("ana") or app).alert_level == "all")  # type: ignore[union-attr]
    assert mine.read_text() == MINE + (
        '\n[theme]\nname = "nord"\n\n[notify]\nbell = false\n'
        'desktop = ["mention", "review_request", "changes_requested", "overdue", "team"]\n')


async def test_saving_nothing_changed_says_so_and_writes_nothing(
    open_as: Callable[..., Workspace], tmp_path: Path,
) -> None:
    app = make_app(open_as("newbie", newcomer=True), live=False)  # no config file yet
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_settings(app, pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        assert toasts(app, "Settings") == ["Nothing changed: nothing was saved."]
    assert not (tmp_path / "config" / "prodboard" / "prodboard.toml").exists()


async def test_an_invalid_file_is_a_toast_and_nothing_is_lost(
    open_as: Callable[..., Workspace], mine: Path,
) -> None:
    app = make_app(open_as("ana"), live=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        broken = MINE + "[notify]\nbell = 'loud'\n"  # broken after the board started
        mine.write_text(broken)
        screen.query_one("#s-theme", Select).value = "nord"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#s-theme", Select).value == "nord"
        assert any("notify.bell: expected true or false" in t
                   for t in toasts(app, "Settings not saved"))
        assert app.theme != "nord"
    assert mine.read_text() == broken


async def test_a_folder_nobody_may_write_is_a_toast(
    open_as: Callable[..., Workspace], monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(open_as("ana"), live=False)
    # /sys refuses new files to everyone, root included (tests run as root in CI); named
    # once the board is open (a named file must exist when the board reads it)
    monkeypatch.setenv("PRODBOARD_USER_CONFIG", "/sys/prodboard/prodboard.toml")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        screen.query_one("#s-bell", Checkbox).value = False
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert any("cannot save settings" in t and "nothing was changed" in t
                   for t in toasts(app, "Settings not saved"))
        assert app.ui.notify.bell  # not in force: it was not saved


async def test_a_theme_from_the_palette_is_saved(
    open_as: Callable[..., Workspace], mine: Path,
) -> None:
    app = make_app(open_as("ana"), live=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.theme = "gruvbox"  # what the palette's theme picker does, once per theme passed
        app.theme = "monokai"
        await until(pilot, lambda: app.ui.theme == "monokai")
        assert any("monokai saved" in t for t in toasts(app, "Settings"))
    assert mine.read_text() == MINE + '\n[theme]\nname = "monokai"\n'


async def test_the_palette_and_help_name_the_settings_key(
    open_as: Callable[..., Workspace], mine: Path,
) -> None:
    app = make_app(open_as("ana"), live=False)
    async with app.run_test(size=SIZE) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert commands["Settings"].help == "key: ,"
        await commands["Settings"].callback()  # what choosing it in the palette runs
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("escape")  # cancel: nothing written
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
    assert mine.read_text() == MINE

"""What a person sees of the settings screen and the multi-line brief, at 80x24 and
160x45."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_settings_screen(snap_compare: Any, app_as: Callable[..., ProdboardApp],
                         size: tuple[int, int], tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # the file is shown as ~/config/prodboard/…
    assert snap_compare(app_as(), terminal_size=size, press=["comma"])


def test_edit_form_brief_is_multi_line(snap_compare: Any, app_as: Callable[..., ProdboardApp],
                                       open_as: Callable[..., Workspace]) -> None:
    open_as().board.edit(1, {"audience": "Ops leads\nand their managers\nin the EU"})

    async def to_the_brief(pilot: Any) -> None:
        app = pilot.app
        await pilot.pause()
        assert app.focus_piece(1)
        await pilot.press("e")
        app.screen.query_one("#f-audience").focus()
        await pilot.pause()

    assert snap_compare(app_as(), terminal_size=(160, 45), run_before=to_the_brief)

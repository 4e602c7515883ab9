"""Long text: the brief's fields are multi-line, and ctrl+e writes the focused field
in the person's own editor (a real executable script here), bringing the text back;
a missing or failing editor is a toast, and nothing typed is lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.forms import CommentForm, PieceForm

from .helpers import until

SIZE = (120, 40)


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def toasts(app: ProdboardApp) -> list[str]:
    """The editor's toasts (the board's own, "2 unread…", are not its business)."""
    return [str(n.message) for n in app._notifications if n.title == "Editor"]


async def open_edit(app: ProdboardApp, pilot: object, field: str) -> PieceForm:
    assert app.focus_piece(1)
    await pilot.press("e")  # type: ignore[attr-defined]
    form = app.screen
    assert isinstance(form, PieceForm)
    form.query_one(f"#f-{field}").focus()
    await pilot.pause()  # type: ignore[attr-defined]
    return form


async def test_the_editor_round_trip_keeps_lines_and_saves_them(
    app_as: Callable[..., ProdboardApp], open_as: Callable[..., Workspace], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the fake editor: keeps what it was given, adds two lines (one with an escape)
    editor = script(tmp_path, "fake-editor", 'printf "from the editor\\n\\033[31mred\\n" >> "$1"\n'
                    'echo "$1" > "$0.called"\n')
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{editor} ")
    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        form = await open_edit(app, pilot, "audience")
        area = form.query_one("#f-audience", TextArea)
        area.load_text("")
        await pilot.press("O", "p", "s", "enter", "l", "e", "a", "d", "s")  # typed first
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert area.text == "Ops\nleads\nfrom the editor\nred"
        assert app.screen is form and not toasts(app)
        temp = Path((tmp_path / "fake-editor.called").read_text().strip())
        assert not temp.exists()  # the temporary file is gone
        await pilot.press("ctrl+s")
        await until(pilot, lambda: (open_as().queries.piece(1) or form).audience  # type: ignore[union-attr]
                    == "Ops\nleads\nfrom the editor\nred")


async def test_a_one_line_field_gets_one_line_back(
    app_as: Callable[..., ProdboardApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor = script(tmp_path, "ed", 'printf "New\\ntitle\\n" > "$1"\n')
    monkeypatch.setenv("VISUAL", str(editor))  # VISUAL first
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        form = await open_edit(app, pilot, "title")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert form.query_one("#f-title", Input).value == "New title"


@pytest.mark.parametrize(("setting", "said"), [
    ("/nonexistent/editor", "cannot be run (not found)"),
    ("", "No editor set: set $VISUAL or $EDITOR"),
    ("FAIL", "exited with status 3: the field is as it was"),
])
async def test_a_missing_or_failing_editor_is_a_toast_and_loses_nothing(
    app_as: Callable[..., ProdboardApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    setting: str, said: str,
) -> None:
    if setting == "FAIL":  # writes over the file, then fails: what it wrote is not taken
        setting = str(script(tmp_path, "bad", 'echo "half-written" > "$1"\nexit 3\n'))
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", setting)
    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        form = await open_edit(app, pilot, "key_message")
        area = form.query_one("#f-key_message", TextArea)
        area.load_text("typed\nby hand")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert any(said in t for t in toasts(app)), toasts(app)
        assert area.text == "typed\nby hand" and app.screen is form


async def test_the_comment_too_and_the_key_is_remappable(
    open_as: Callable[..., Workspace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor = script(tmp_path, "ed", 'printf "Long thoughts\\n\\nfor @dev\\n" > "$1"\n')
    monkeypatch.setenv("VISUAL", str(editor))
    mine = tmp_path / "config" / "prodboard" / "prodboard.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text('[keys]\nform-editor = "f4"\n')
    from prodboard.tui.app import make_app

    app = make_app(open_as("ana"), live=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.focus_piece(1)
        await pilot.press("c")
        assert isinstance(app.screen, CommentForm)
        area = app.screen.query_one(TextArea)
        await pilot.press("ctrl+e")  # no longer the editor: the text area's end of line
        await pilot.pause()
        assert area.text == ""
        await pilot.press("f4")
        await pilot.pause()
        assert area.text == "Long thoughts\n\nfor @dev"

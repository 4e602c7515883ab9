"""Every binding id on every screen can be remapped from the person's own config,
and the help screen, the footer and the command palette show the keys as mapped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, TextArea
from textual.widgets._footer import FooterKey

from prodboard.errors import ConfigError
from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.bindings import bindings_by_id
from prodboard.tui.keymap import registry
from prodboard.tui.screens.forms import CommentForm, PieceForm
from prodboard.tui.screens.help import HelpScreen
from prodboard.tui.screens.inbox import InboxScreen
from prodboard.tui.screens.piece import PieceScreen

AppMaker = Callable[..., ProdboardApp]
SIZE = (120, 35)


@pytest.fixture
def personal(tmp_path: Path) -> Callable[[str], Path]:
    """Write the person's own prodboard.toml where prodboard looks for it (the user
    config dir; the tui conftest points XDG_CONFIG_HOME into tmp_path)."""

    def write(text: str) -> Path:
        path = tmp_path / "config" / "prodboard" / "prodboard.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


async def settle(app: ProdboardApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def help_rows(app: ProdboardApp) -> dict[str, str]:
    """Binding id -> keys as the help table shows them."""
    table = app.screen.query_one(DataTable)
    rows = [table.get_row_at(i) for i in range(table.row_count)]
    return {str(r[2]): str(r[0]) for r in rows if str(r[2])}


def footer_keys(app: ProdboardApp) -> dict[str, str]:
    """Action -> key shown in the footer of the screen on top."""
    return {k.action: k.key_display for k in app.screen.query(FooterKey)}


async def test_piece_comment_remapped_works_on_the_piece_screen(
    app_as: AppMaker, personal: Callable[[str], Path]
) -> None:
    personal('[keys]\npiece-comment = "m"\n')
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        assert app.focus_piece(12)
        await pilot.press("enter")
        assert isinstance(app.screen, PieceScreen)
        await pilot.press("c")  # the old key does nothing now
        assert isinstance(app.screen, PieceScreen)
        await pilot.press("m")
        assert isinstance(app.screen, CommentForm)
        await pilot.press("escape")
        assert isinstance(app.screen, PieceScreen)
        await pilot.pause()
        assert footer_keys(app)["comment"] == "m"


async def test_inbox_open_remapped(app_as: AppMaker, personal: Callable[[str], Path]) -> None:
    personal('[keys]\ninbox-open = "o"\n')
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        assert isinstance(app.screen, InboxScreen)
        last = app.screen.inbox.alerts[-1].piece_id
        await pilot.press("o")
        await pilot.pause()
        assert not isinstance(app.screen, InboxScreen)
        now = app.current()
        assert last is not None and now is not None and now.id == last


async def test_form_save_remapped(app_as: AppMaker, personal: Callable[[str], Path],
                                  open_as: Callable[..., Workspace]) -> None:
    personal('[keys]\nform-save = "f2"\n')
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        assert app.focus_piece(2)
        await pilot.press("c")
        assert isinstance(app.screen, CommentForm)
        app.screen.query_one(TextArea).text = "saved with f2"
        await pilot.press("ctrl+s")  # no longer saves
        await settle(app, pilot)
        assert isinstance(app.screen, CommentForm)
        assert "(f2)" in str(app.screen.query_one("#save", Button).label)  # the hint too
        await pilot.press("f2")
        await settle(app, pilot)
        assert not isinstance(app.screen, CommentForm)
        assert open_as().queries.comments(2)[-1].body == "saved with f2"


async def test_help_palette_and_footer_show_the_remapped_keys(
    app_as: AppMaker, personal: Callable[[str], Path]
) -> None:
    personal('[keys]\ncomment = "m"\npiece-tick = "T"\nhelp = "f1"\nform-cancel = "ctrl+g"\n')
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()  # the footer fills in after the first refresh
        assert footer_keys(app)["app.comment"] == "m"
        palette = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert palette["Comment"] == "key: m"
        assert "f1" in palette["Help"]
        await pilot.press("question_mark")  # remapped away
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        rows = help_rows(app)
        assert rows["comment"] == "m"
        assert rows["piece-tick"] == "T"
        assert rows["form-cancel"] == "^g"
        assert rows["new"] == "n"  # not remapped: the default
        # every binding id of every screen is listed, so each can be looked up
        every = {i for s in registry() for i in bindings_by_id(s.screen)}
        assert every <= set(rows)
        await pilot.press("escape")
        assert app.focus_piece(12)
        await pilot.press("enter")
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert commands["Tick"].help == "key: T"
        app.call_later(commands["Comment"].callback)  # as the palette runs it
        await pilot.pause()
        assert isinstance(app.screen, CommentForm)


async def test_personal_keys_apply_beside_a_team_file(
    app_as: AppMaker, personal: Callable[[str], Path], board_db: Path
) -> None:
    (board_db.parent / "prodboard.toml").write_text(
        '[board]\nat_risk_days = 5\n\n[keys]\nnew = "N"\ncomment = "C"\n', encoding="utf-8")
    personal('[keys]\nnew = "M"\n\n[theme]\nname = "gruvbox"\n')
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        assert app.wf.at_risk_days == 5  # the team's rules
        assert app.theme == "gruvbox"  # my theme
        await pilot.press("N")  # the team's default for new, overridden by mine
        assert not isinstance(app.screen, PieceForm)
        await pilot.press("M")
        assert isinstance(app.screen, PieceForm)
        await pilot.press("escape")
        assert app.focus_piece(2)
        await pilot.press("C")  # the team's default I did not override
        assert isinstance(app.screen, CommentForm)


async def test_personal_workflow_sections_are_ignored_with_a_toast(
    app_as: AppMaker, personal: Callable[[str], Path], board_db: Path
) -> None:
    (board_db.parent / "prodboard.toml").write_text("[board]\nat_risk_days = 5\n")
    personal('[board]\nat_risk_days = 9\n\n[[stages]]\nname = "A"\n[[stages]]\nname = "B"\n'
             '\n[keys]\nnew = "M"\n')
    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.wf.at_risk_days == 5 and len(app.wf.stages) == 7
        warnings = [n for n in app._notifications if n.title == "Personal config"]
        assert len(warnings) == 1
        text = str(warnings[0].message)
        assert "[board], [stages] ignored" in text and "\n" not in text
        await pilot.press("M")  # the rest of the personal file still applies
        assert isinstance(app.screen, PieceForm)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[keys]\n\npiece-coment = "m"\n', ":3: keys.piece-coment: unknown binding id "
                                           "(did you mean piece-comment"),
        ('[keys]\nsave = "f2"\n', ":2: keys.save: unknown binding id (did you mean form-save?)"),
        ('[keys]\nnew = "e"\n', ":2: keys.new: e is also the key of edit on the board"),
        ('[keys]\npiece-tick = "c"\n', "keys.piece-tick: c is also the key of piece-comment"),
        ('[keys]\nform-save = "s"\n', "keys.form-save: s is kept on the forms for typing"),
        ('[keys]\nform-save = "ctrl+w"\n', "keys.form-save: ctrl+w is kept on the forms for Input"),
        ('[keys]\nopen = "ctrl+q"\n', "keys.open: ctrl+q is kept on the board"),
        ('[keys]\nnew = "ctrl+p"\n', "ctrl+p is kept on the board for the command palette"),
        ('[theme]\nname = "grubvox"\n', ":2: theme.name: unknown theme 'grubvox' "
                                        "(did you mean gruvbox"),
    ],
)
def test_a_keymap_the_board_cannot_honour_is_one_config_line(
    app_as: AppMaker, personal: Callable[[str], Path], text: str, expected: str
) -> None:
    path = personal(text)
    with pytest.raises(ConfigError) as err:
        app_as()
    message = err.value.message
    assert message.startswith(str(path) + ":"), message
    assert expected in message, message
    assert "\n" not in message


# -- the personal [notify] table: how alerts reach my screen --------------------------


@pytest.mark.parametrize(("text", "toasts", "seconds"),
                         [("[notify]\ntoasts = false\n", 0, None),
                          ("[notify]\ntoast_seconds = 30\n", 1, 30.0)])
async def test_personal_notify_settings(
    personal: Callable[[str], Path], open_as: Callable[..., Workspace], text: str, toasts: int,
    seconds: float | None,
) -> None:
    from prodboard.tui.app import make_app

    from .helpers import until

    personal(text)
    app = make_app(open_as("ana"), live=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.2)
        before = app.unread
        open_as("ben").board.comment(2, "@ana can you look at this?")
        await until(pilot, lambda: app.unread > before)  # the inbox has it either way
        mine = [n for n in app._notifications if n.title == "@ben"]
        assert len(mine) == toasts
        if seconds is not None:
            assert mine[0].timeout == seconds


def test_the_personal_example_file_is_accepted(
    app_as: AppMaker, personal: Callable[[str], Path]
) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "prodboard.personal.example.toml"
    personal(example.read_text(encoding="utf-8"))
    app = app_as()
    assert app.ui.warnings == ()
    assert app.ui.keys["piece-comment"] == "m" and app.ui.theme == "gruvbox"

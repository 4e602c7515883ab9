"""The team file and the personal file both apply: the team's owns the workflow and
rules (and may set default keys), the person's owns keys, theme and notifications."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prodboard.config import load_ui
from prodboard.config.ui import Notify
from prodboard.errors import ConfigError
from prodboard.services.context import Workspace, find_config, open_board


def personal_path() -> Path:
    """Where prodboard looks for the person's own file (the hermetic XDG config dir)."""
    return Path(os.environ["XDG_CONFIG_HOME"]) / "prodboard" / "prodboard.toml"


def write_personal(text: str) -> Path:
    path = personal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_team(db_path: Path, text: str) -> Path:
    path = db_path.parent / "prodboard.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def board(make_session: Callable[..., Workspace]) -> Workspace:
    """An empty board created by ana (its admin), with ben added by her."""
    session = make_session("ana")
    session.board.add_person("ben", "Ben", ["editor"])
    return session


def test_both_files_are_found(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    team = write_team(db_path, "[board]\nat_risk_days = 5\n")
    mine = write_personal('[keys]\nnew = "N"\n')
    files = find_config(db_path, None)
    assert (files.team, files.personal) == (team, mine)
    explicit = tmp_path / "other.toml"
    assert find_config(db_path, explicit).team == explicit
    monkeypatch.setenv("PRODBOARD_USER_CONFIG", str(tmp_path / "tests.toml"))
    assert find_config(db_path, None).personal == tmp_path / "tests.toml"


def test_a_file_found_as_both_is_the_teams(tmp_path: Path) -> None:
    mine = write_personal("[board]\nat_risk_days = 5\n")
    files = find_config(tmp_path / "x.db", mine)
    assert (files.team, files.personal) == (mine, None)


def test_personal_settings_apply_beside_a_team_file(board: Workspace, db_path: Path) -> None:
    write_team(db_path, '[board]\nat_risk_days = 5\n\n[keys]\nnew = "N"\ncomment = "C"\n\n'
                        '[notify]\ntoast_seconds = 20\n')
    write_personal('[keys]\nnew = "M"\n\n[theme]\nname = "gruvbox"\n\n[notify]\ntoasts = false\n')
    session = open_board(db_path, "ben")
    try:
        assert session.workflow.at_risk_days == 5  # the team's rules
        assert session.ui.keys == {"new": "M", "comment": "C"}  # mine win, entry by entry
        assert session.ui.theme == "gruvbox"
        assert session.ui.notify == Notify(toasts=False, toast_seconds=20.0)
        assert session.ui.warnings == ()
        assert session.personal_config == personal_path()
    finally:
        session.close()


def test_personal_workflow_sections_warn_once_and_change_nothing(
    cli: Any, board: Workspace, db_path: Path
) -> None:
    write_team(db_path, "[board]\nat_risk_days = 5\n")
    mine = write_personal(
        '[board]\napprover_roles = ["writer"]\nat_risk_days = 9\n\n'
        '[[stages]]\nname = "Todo"\n[[stages]]\nname = "Done"\n\n[keys]\nnew = "N"\n')
    code, out, err = cli("ls", "--json", user="ben")
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"prodboard: warning: {mine}: [board], [stages] ignored"), err
    assert str(db_path.parent / "prodboard.toml") in lines[0]
    assert json.loads(out) == []
    session = open_board(db_path, "ben")
    try:
        assert session.workflow.at_risk_days == 5
        assert session.workflow.approver_roles == ("editor",)
        assert [s.key for s in session.workflow.stages][:2] == ["ideas", "brief"]
        assert session.ui.keys == {"new": "N"}  # the personal part still applies
    finally:
        session.close()


@pytest.mark.parametrize(("text", "section"), [("[checklist]\nseo = 'SEO'\n", "[checklist]"),
                                               ("board.at_risk_days = 9\n", "[board]")])
def test_warning_without_a_team_file_says_where_rules_go(
    cli: Any, board: Workspace, db_path: Path, text: str, section: str
) -> None:
    write_personal(text)
    code, _, err = cli("ls", user="ben")
    assert code == 0
    assert err.count("\n") == 1 and f"{section} ignored" in err
    assert "prodboard.toml beside the board" in err
    session = open_board(db_path, "ben")
    try:  # today the personal file is the workflow when no team file exists
        assert session.workflow.at_risk_days == 3
        assert session.workflow.checklist_default[0] == "brand_voice"
    finally:
        session.close()


@pytest.mark.parametrize(
    ("text", "where", "why"),
    [
        ("[colours]\nbg = 'red'\n", "1: colours", "unknown section (a personal file holds keys"),
        ("[notify]\ntoast_seconds = nan\n", "2: notify.toast_seconds", "1 to 600"),
        ("[notify]\ntoast_seconds = inf\n", "2: notify.toast_seconds", "1 to 600"),
        ("[notify]\ntoast_seconds = 1e300\n", "2: notify.toast_seconds", "1 to 600"),
        ("[notify]\ntoast_seconds = true\n", "2: notify.toast_seconds", "1 to 600"),
        ("[notify]\ntoasts = 'no'\n", "2: notify.toasts", "expected true or false"),
        ("[notify]\nsound = true\n", "2: notify.sound", "unknown key"),
        ("[keys]\nnew = 'ctrl + n'\n", "2: keys.new", "not a key list"),
        ("[keys]\nnew = 'n,'\n", "2: keys.new", "not a key list"),
        ("[theme]\ncolour = 'red'\n", "2: theme.colour", "unknown key"),
        ("keys = 3\n", "1: keys", "expected a table"),
        ("[keys\n", "1: invalid TOML", ""),
    ],
)
def test_bad_personal_file_is_one_line_exit_2(
    cli: Any, board: Workspace, db_path: Path, text: str, where: str, why: str
) -> None:
    write_team(db_path, "[board]\nat_risk_days = 5\n")  # today the personal file is skipped
    mine = write_personal(text)
    before = db_path.read_bytes()
    code, out, err = cli("ls", user="ben")
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"prodboard: {mine}:{where}"), err
    assert why in err
    assert db_path.read_bytes() == before


def test_a_named_personal_file_that_is_missing_is_an_error(
    cli: Any, board: Workspace, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.toml"
    code, _, err = cli("ls", user="ben", env={"PRODBOARD_USER_CONFIG": str(missing)})
    assert code == 2
    assert err == f"prodboard: {missing}: config file not found\n"


def test_load_ui_reads_each_file_once_and_keeps_origins(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text('[keys]\nnew = "N"\n\n[theme]\nname = "nord"\n')
    mine = tmp_path / "mine.toml"
    mine.write_text('\n[keys]\ncomment = "m"\n')
    ui = load_ui(team, mine)
    assert ui.keys == {"new": "N", "comment": "m"} and ui.theme == "nord"
    assert ui.origins == {"keys.new": f"{team}:2", "theme": f"{team}:5",
                          "keys.comment": f"{mine}:3"}
    assert math.isclose(ui.notify.toast_seconds, 8.0) and ui.notify.toasts


def test_config_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "mine.toml"
    bad.write_text("[notify]\ntoast_seconds = 0\n")
    with pytest.raises(ConfigError) as err:
        load_ui(None, bad)
    assert err.value.message.startswith(f"{bad}:2: notify.toast_seconds:")

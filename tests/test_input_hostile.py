"""Hostile input: escape sequences never reach a terminal, and every bad value is one
line on stderr, exit 2, with the board unchanged (issue 8, items 3 and 4)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import one_error_line
from inprocess import dump, invoke
from terminal import run_in_a_terminal

from prodboard.errors import BadInput, ConfigError
from prodboard.services.context import Workspace, open_board

# Raw in output: C0 controls but tab/newline, DEL, C1 (ESC included).
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OSC52 = "producer,\x1b]52;c;agvsbg8=\x1b\\"
INT64_MAX = 2**63 - 1


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def no_constants(name: str) -> Any:
    """For json.loads: NaN and Infinity are not JSON, and strict readers reject them."""
    raise AssertionError(f"{name} in JSON output")


def raw_cli(db: Path, args: list[bytes], stdin: bytes = b"", env: dict[str, str] | None = None,
            timeout: float = 60) -> tuple[int, bytes, bytes]:
    """The real command line with raw bytes (invalid UTF-8 cannot go through str)."""
    full = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana", **(env or {})}
    proc = subprocess.run([sys.executable.encode(), b"-m", b"prodboard", *args], input=stdin,
                          capture_output=True, env=full, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def team(make_session: Callable[..., Workspace]) -> Workspace:
    """ana (admin, pm), ben (editor), gus (writer) and one piece; opened as ana."""
    s = make_session("ana")
    s.board.set_person("ana", display_name="Ana", roles=["pm", "admin"])
    s.board.add_person("ben", "Ben", ["editor"])
    s.board.add_person("gus", "Gus", ["writer"])
    s.board.create("First piece")
    return s


# -- item 3: escape sequences -----------------------------------------------------------------


def test_osc52_in_roles_is_stored_clean_and_never_printed(cli: Any, team: Workspace) -> None:
    code, out, err = cli("people", "set", "gus", "--roles", OSC52)
    assert (code, err) == (0, ""), err
    assert team.queries.person("gus").roles == ("producer",)  # type: ignore[union-attr]
    code, out, _ = cli("people")
    assert code == 0 and "\x1b" not in out and "52;c" not in out
    code, out, _ = cli("people", "--json")
    gus = next(p for p in json.loads(out) if p["handle"] == "gus")
    assert gus["roles"] == ["producer"]
    code, out, _ = cli("log", "--json")
    assert "52;c" not in out and not RAW_CONTROL.search(out)


def test_people_add_does_not_echo_an_escape(cli: Any, team: Workspace) -> None:
    code, out, err = cli("people", "add", "kim\x1bc")  # a control character: not a handle
    assert (code, out) == (2, "")
    assert not RAW_CONTROL.search(one_error_line(err)) and "kim" in err
    assert team.queries.person("kim") is None
    code, out, err = cli("people", "add", "kim", "--name", "Kim \x1b]0;x\x07Lee")
    assert code == 0, err
    assert out == "added kim\n"
    kim = team.queries.person("kim")
    assert kim is not None and kim.display_name == "Kim Lee"


@pytest.mark.parametrize(
    ("title", "stored"),
    [("\x1b[31mred\x1b[0m", "red"), ("x\x1b]0;pwned\x07y", "xy"), ("a\x9b2Jb", "ab")],
)
def test_titles_lose_whole_sequences(cli: Any, team: Workspace, title: str, stored: str) -> None:
    code, out, err = cli("add", title)
    assert code == 0, err
    assert team.queries.piece(int(out)).title == stored  # type: ignore[union-attr]


def test_every_stored_field_is_cleaned(team: Workspace) -> None:
    b = team.board
    pid = b.create("Piece", tags=["seo\x1b]0;t\x07", "x\x9b1m"], channels=["email\x1bc"])
    b.edit(pid, {"audience": "CMOs\x1b[2J", "key_message": "k\x1bP1$r\x1b\\"})
    b.set_person("gus", roles=["writer\x1b[31m", "\x1b]52;c;x\x07"], display_name="G\x1b[1mus\n2")
    b.set_away("ben", True, "sick \x1b]0;t\x07today", delegate="gus\x1bc")
    piece = team.queries.piece(pid)
    assert piece is not None
    assert (piece.tags, piece.channels, piece.audience, piece.key_message) == (
        ("seo", "x"), ("email",), "CMOs", "k")
    gus, ben = team.queries.person("gus"), team.queries.person("ben")
    assert gus is not None and ben is not None
    assert (gus.roles, gus.display_name) == (("writer",), "Gus 2")
    assert (ben.away_note, ben.delegate) == ("sick today", "gus")
    for ev in team.queries.events_since(0):
        assert not [s for s in strings(ev.data) if RAW_CONTROL.search(s)], ev


def test_json_output_holds_no_controls_even_from_an_older_board(
    cli: Any, team: Workspace, db_path: Path
) -> None:
    """Rows written before cleaning existed still reach people --json / log --json clean."""
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE person SET roles = ?, display_name = ? WHERE handle = 'gus'",
                 (json.dumps(["producer", "\x1b]52;c;agvsbg8=\x1b\\", "\x9b2J"]), "G\x85us\x1bc"))
    conn.execute("INSERT INTO event (at, actor, kind, piece_id, data) VALUES (?, ?, ?, ?, ?)",
                 ("2026-11-20T09:00:00+00:00", "gus", "comment.added", 1,
                  json.dumps({"title": "t\x9d0;x\x9c", "body": "two\nlines\x1b[31m"})))
    conn.execute("UPDATE piece SET cost = ? WHERE id = 1", (float("inf"),))
    conn.commit()
    conn.close()
    for args in (("people", "--json"), ("log", "--json"), ("ls", "--json"), ("show", "1", "--json")):
        code, out, err = cli(*args)
        assert code == 0, err
        assert not RAW_CONTROL.search(out), (args, out)
        for line in out.splitlines():
            data = json.loads(line, parse_constant=no_constants)
            found = [s for s in strings(data) if RAW_CONTROL.search(s)]
            assert not found, (args, found)
    _, out, _ = cli("log", "--json")
    assert json.loads(out.splitlines()[-1])["data"]["body"] == "two\nlines"  # newlines stay


# -- item 4: one line, exit 2, nothing changed ------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("show", str(2**63)), ("move", str(2**63), "draft"), ("edit", str(2**63), "--title", "x"),
        ("log", "--since", str(2**63)), ("show", str(2**70)), ("edit", "1", "--version", str(2**64)),
        ("comment", str(INT64_MAX + 1), "hi"),
    ],
)
def test_ids_beyond_int64_are_one_line(team: Workspace, db_path: Path, args: tuple[str, ...]) -> None:
    before = dump(db_path)
    code, out, err = invoke(list(args), db_path)
    assert (code, out) == (2, "")
    assert "out of range" in one_error_line(err)
    assert dump(db_path) == before


def test_ids_beyond_int64_in_a_real_process(cli: Any, team: Workspace, db_path: Path) -> None:
    before = dump(db_path)
    code, out, err = cli("show", str(2**63))
    assert (code, out) == (2, "") and "out of range" in one_error_line(err)
    assert dump(db_path) == before


def test_the_largest_id_is_just_not_found(cli: Any, team: Workspace) -> None:
    code, _, err = cli("show", str(INT64_MAX))
    assert code == 2 and "no piece" in one_error_line(err)


def test_user_that_is_not_utf8(team: Workspace, db_path: Path) -> None:
    before = dump(db_path)
    code, out, err = raw_cli(db_path, [b"--user", b"\xff", b"add", b"x"])
    assert (code, out) == (2, b"")
    assert "not valid UTF-8" in one_error_line(err.decode())
    code, out, err = raw_cli(db_path, [b"ls"], env={"PRODBOARD_USER": "ana"})
    assert code == 0
    assert dump(db_path) == before


def test_stdin_that_is_not_utf8(team: Workspace, db_path: Path) -> None:
    before = dump(db_path)
    for env in ({}, {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "0"}, {"LC_ALL": "C"}):
        code, out, err = raw_cli(db_path, [b"comment", b"1", b"-"], stdin=b"ok \xff\xfe bad", env=env)
        assert (code, out) == (2, b""), err
        assert "standard input is not valid UTF-8" in one_error_line(err.decode())
    assert dump(db_path) == before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PRODBOARD_BUSY_TIMEOUT_MS", "abc"), ("PRODBOARD_BUSY_TIMEOUT_MS", "1.5"),
        ("PRODBOARD_BUSY_TIMEOUT_MS", ""), ("PRODBOARD_BUSY_TIMEOUT_MS", "-1"),
        ("PRODBOARD_BUSY_TIMEOUT_MS", "99999999999999999999"),
        ("PRODBOARD_NOW", "garbage"), ("PRODBOARD_NOW", "0001-01-01T00:00:00+01:00"),
        ("PRODBOARD_NOW", "9999-12-31"),
        ("PRODBOARD_POLL_INTERVAL", "-1"), ("PRODBOARD_POLL_INTERVAL", "nan"),
        ("PRODBOARD_POLL_INTERVAL", "0"), ("PRODBOARD_CHECK_INTERVAL", "inf"),
        ("PRODBOARD_WATCH", "maybe"),
    ],
)
def test_bad_settings_are_named_not_clamped(team: Workspace, db_path: Path, name: str,
                                            value: str) -> None:
    before = dump(db_path)
    for args in (["ls"], ["add", "Piece"], ["check"]):
        code, out, err = invoke(args, db_path, env={name: value})
        assert (code, out) == (2, ""), (args, err)
        assert one_error_line(err).startswith(f"prodboard: {name}=")
    assert dump(db_path) == before


def test_a_bad_setting_in_a_real_process(cli: Any, team: Workspace, db_path: Path) -> None:
    before = dump(db_path)
    code, out, err = cli("add", "Piece", env={"PRODBOARD_BUSY_TIMEOUT_MS": "abc"})
    assert (code, out) == (2, "")
    assert one_error_line(err).startswith("prodboard: PRODBOARD_BUSY_TIMEOUT_MS='abc'")
    assert dump(db_path) == before


def test_good_settings_still_work(cli: Any, team: Workspace) -> None:
    env = {"PRODBOARD_BUSY_TIMEOUT_MS": "200", "PRODBOARD_POLL_INTERVAL": "0.05",
           "PRODBOARD_NOW": "2026-11-20T09:00:00Z", "PRODBOARD_WATCH": "off"}
    code, out, err = cli("add", "Pinned", env=env)
    assert (code, err) == (0, "")
    assert cli("show", out.strip(), "--json")[1].count("2026-11-20T09:00:00") >= 1


def test_negative_schema_version_is_not_a_board(cli: Any, team: Workspace, db_path: Path) -> None:
    team.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = -5")
    conn.commit()
    conn.close()
    code, out, err = cli("ls")
    assert (code, out) == (2, "")
    assert "not a prodboard database" in one_error_line(err)


def test_costs_must_be_finite(cli: Any, team: Workspace, db_path: Path) -> None:
    before = dump(db_path)
    for value in ("1e400", "nan", "inf", "-inf", "1e13", "-1"):
        code, out, err = invoke(["edit", "1", "--cost", value], db_path)
        assert (code, out) == (2, ""), value
        line = one_error_line(err)
        assert "cost" in line and "NOT NULL" not in line, line
    code, out, err = cli("edit", "1", "--cost", "1e400")
    assert (code, out) == (2, "") and "cost" in one_error_line(err)
    assert dump(db_path) == before
    code, out, _ = cli("ls", "--json")
    json.loads(out, parse_constant=no_constants)
    with pytest.raises(BadInput):
        team.board.edit(1, {"priority": float("inf")})


def test_an_argument_with_a_newline_is_still_one_line(cli: Any, team: Workspace, tmp_path: Path,
                                                      db_path: Path) -> None:
    cases = [
        ["--db", str(tmp_path / "no\nsuch" / "b.db"), "ls"],
        ["move", "1", "dr\naft"],
        ["tick", "1", "se\no"],
        ["add", "x", "--due", "2026-01-01\nprodboard: forged"],
        ["no\nsuch-command"],
    ]
    for args in cases:
        code, out, err = invoke(args, db_path)
        assert code == 2 and out == "", args
        one_error_line(err)
    code, out, err = cli(*cases[0])  # the real process too
    assert code == 2 and out == "" and "no\\nsuch" in one_error_line(err)


# -- config: numbers in range, theme known ------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[board]\ndue_soon_hours = nan\n", "board.due_soon_hours"),
        ("[board]\nreview_sla_hours = inf\n", "board.review_sla_hours"),
        ("[board]\nreview_sla_hours = 1e300\n", "board.review_sla_hours"),
        ("[board]\nat_risk_days = 9223372036854775807\n", "board.at_risk_days"),
        ("[board]\nreview_sla_hours = 100000000\n", "board.review_sla_hours"),
        ("[board]\nwip_per_person = 1000000000\n", "board.wip_per_person"),
        ("[board]\nrevision_limit = 100000\n", "board.revision_limit"),
        ("[formats.video]\nrevision_limit = 5000\n", "formats.video.revision_limit"),
        ("[board]\ndue_soon_hours = -inf\n", "board.due_soon_hours"),
    ],
)
def test_config_numbers_are_bounded(team: Workspace, db_path: Path, tmp_path: Path,
                                    toml: str, key: str) -> None:
    config = tmp_path / "team.toml"
    config.write_text(toml, encoding="utf-8")
    before = dump(db_path)
    for args in (["check"], ["ls"], ["add", "x"]):
        code, out, err = invoke(["--config", str(config), *args], db_path)
        assert (code, out) == (2, ""), (args, out, err)
        assert f": {key}: " in one_error_line(err)
    assert dump(db_path) == before


def test_a_bad_config_number_in_a_real_process(cli: Any, team: Workspace, db_path: Path,
                                               tmp_path: Path) -> None:
    config = tmp_path / "team.toml"
    config.write_text("[board]\ndue_soon_hours = nan\n", encoding="utf-8")
    before = dump(db_path)
    code, out, err = cli("--config", str(config), "check")
    assert (code, out) == (2, "")
    assert "board.due_soon_hours: must be a finite number" in one_error_line(err)
    assert dump(db_path) == before


def test_config_text_is_cleaned(team: Workspace, tmp_path: Path, db_path: Path) -> None:
    config = tmp_path / "team.toml"
    config.write_text('[board]\nname = "Team \\u001b]0;t\\u0007board"\napprover_roles = '
                      '["editor\\u001b[31m"]\n[checklist]\nseo = "SEO\\u009b2J"\n', encoding="utf-8")
    s = open_board(db_path, "ana", config=config)
    try:
        assert s.workflow.name == "Team board"
        assert s.workflow.approver_roles == ("editor",)
        assert s.workflow.label("seo") == "SEO"
    finally:
        s.close()


def test_unknown_theme_is_a_config_error(team: Workspace, tmp_path: Path, db_path: Path) -> None:
    from prodboard.tui.app import make_app

    config = tmp_path / "team.toml"
    config.write_text('[theme]\nname = "nonexistent"\n', encoding="utf-8")
    s = open_board(db_path, "ana", config=config)
    try:
        with pytest.raises(ConfigError) as info:
            make_app(s, live=False)
        message = info.value.message
        assert "\n" not in message and str(config) in message
        assert "theme.name: unknown theme 'nonexistent'" in message
    finally:
        s.close()
    config.write_text('[theme]\nname = "nord"\n', encoding="utf-8")
    s = open_board(db_path, "ana", config=config)
    try:
        make_app(s, live=False)
    finally:
        s.close()


def test_unknown_theme_stops_the_board_in_one_line(team: Workspace, tmp_path: Path, db_path: Path) -> None:
    config = tmp_path / "team.toml"
    config.write_text('[theme]\nname = "nonexistent"\n', encoding="utf-8")
    env = {**os.environ, "PRODBOARD_DB": str(db_path), "PRODBOARD_USER": "ana",
           "PRODBOARD_CONFIG": str(config), "TERM": "xterm-256color"}
    before = dump(db_path)
    code, err = run_in_a_terminal([], env)
    assert code == 2, err
    assert "unknown theme 'nonexistent'" in one_error_line(err)
    assert dump(db_path) == before


# -- smaller defects -------------------------------------------------------------------------------


def test_the_board_refuses_to_start_without_a_terminal(team: Workspace, db_path: Path) -> None:
    before = dump(db_path)
    env = {**os.environ, "PRODBOARD_DB": str(db_path), "PRODBOARD_USER": "ana"}
    try:
        proc = subprocess.run([sys.executable, "-m", "prodboard"], capture_output=True, text=True,
                              env=env, timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail("the board waited for a terminal that is not there")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert "prodboard ls" in one_error_line(proc.stderr)
    assert dump(db_path) == before


def test_unknown_formats_are_refused_unless_free(cli: Any, team: Workspace, db_path: Path,
                                                 tmp_path: Path) -> None:
    before = dump(db_path)
    code, out, err = cli("add", "Episode 1", "--format", "podcast")
    assert (code, out) == (2, "")
    line = one_error_line(err)
    assert "podcast" in line and "blog post" in line and "free_formats" in line
    code, _, err = cli("edit", "1", "--format", "podcast")
    assert code == 2 and "podcast" in one_error_line(err)
    assert dump(db_path) == before
    assert cli("add", "A video", "--format", "Video")[0] == 0  # known, any case
    config = tmp_path / "team.toml"
    config.write_text("[board]\nfree_formats = true\n", encoding="utf-8")
    code, out, err = cli("--config", str(config), "add", "Episode 1", "--format", "podcast")
    assert (code, err) == (0, "")
    assert team.queries.piece(int(out)).format == "podcast"  # type: ignore[union-attr]


def test_unknown_filter_keys_are_named() -> None:
    from prodboard.tui.board_state import Filter

    with pytest.raises(BadInput) as info:
        Filter.parse("launch foo:bar")
    assert "foo:" in info.value.message and "owner:" in info.value.message
    flt = Filter.parse("owner:@ana 10:30 tag:seo")  # a time is text, not a key
    assert (flt.owner, flt.tag, flt.text) == ("ana", "seo", "10:30")


async def test_the_board_filter_says_so_and_keeps_the_text(team: Workspace) -> None:
    from prodboard.tui.app import make_app
    from prodboard.tui.screens.forms import FilterForm

    app = make_app(team, live=False)
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        for ch in "foo:bar":
            await pilot.press(ch if ch != ":" else "colon")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FilterForm)  # still open, with what was typed
        assert app.screen.query_one("#filter-input").value == "foo:bar"  # type: ignore[attr-defined]
        assert any("unknown filter key" in str(n.message) for n in app._notifications)
        assert not app.model.filter.active


def test_linters_are_pinned_and_the_test_environment_has_constraints() -> None:
    import tomllib

    root = Path(__file__).resolve().parent.parent
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for tool in ("ruff", "mypy"):
        [spec] = [s for s in extras["test"] if re.match(rf"{tool}\b", s)]
        assert re.fullmatch(rf"{tool}==[\d.]+", spec), spec
    pins = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
            for line in (root / "constraints.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    for spec in extras["test"]:
        name = re.split(r"[=<>!~\[ ]", spec)[0].lower()
        assert name in pins, f"{name} has no pin in constraints.txt"
    assert "prodboard" not in pins

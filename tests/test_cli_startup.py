"""What the command line imports before it does anything: help, the version and tab
completion run without the board's services, storage, SQLAlchemy or pydantic, and
the command table the root group lists them from matches the command modules; a
command that opens a board without a config file loads neither pydantic nor the ORM."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click

from prodboard.cli import cli
from prodboard.cli.command_table import COMMANDS

# What a command brings when it runs; none of it may load to list or complete commands.
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "textual", "psycopg", "icalendar",
         "prodboard.services", "prodboard.storage", "prodboard.config")

# Runs each command line in one process, as `prodboard` would, then names what loaded.
PROBE = r"""
import json, os, sys
from prodboard.cli import run

loaded = {}
for args, env in json.loads(sys.argv[1]):
    os.environ.update(env)
    code = run(args)
    for name in env:
        del os.environ[name]
    loaded[" ".join(args) or str(env)] = (code, sorted(sys.modules))
sys.stderr.write("\nPROBE " + json.dumps(loaded))
"""


def complete(words: str) -> dict[str, str]:
    return {"_PRODBOARD_COMPLETE": "bash_complete", "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1)}


def probe(calls: list[tuple[list[str], dict[str, str]]]) -> dict[str, tuple[int, list[str]]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(calls)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report: dict[str, tuple[int, list[str]]] = json.loads(proc.stderr.rpartition("\nPROBE ")[2])
    return report


def heavy_in(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_help_version_and_completion_import_nothing_heavy() -> None:
    calls: list[tuple[list[str], dict[str, str]]] = [
        (["--help"], {}), (["--version"], {}),
        ([], complete("prodboard ")), ([], complete("prodboard r")), ([], complete("prodboard --")),
    ]
    for name in COMMANDS:  # every command module: its options complete, its help prints
        calls += [([], complete(f"prodboard {name} --")), ([name, "--help"], {})]
    report = probe(calls)
    assert len(report) == len(calls)
    for call, (code, modules) in report.items():
        assert code == 0, call
        assert heavy_in(modules) == [], call


def test_the_probe_sees_a_command_that_opens_the_board(tmp_path: Path) -> None:
    """The check above can fail: running a command does load the heavy parts."""
    report = probe([(["--db", str(tmp_path / "b.db"), "init"], {})])
    (code, modules), = report.values()
    assert code == 0
    assert {"sqlalchemy", "prodboard.services.context"} <= set(heavy_in(modules))


def test_show_and_ls_without_a_config_file_do_not_import_pydantic(tmp_path: Path) -> None:
    """With no config file the default workflow is built directly: the schema, and the
    pydantic it is written in, load only to check a file that exists."""
    db = str(tmp_path / "b.db")
    init = {"PRODBOARD_USER": "ana"}
    report = probe([(["--db", db, "init"], init), (["--db", db, "add", "A piece"], init),
                    (["--db", db, "show", "1"], init), (["--db", db, "ls"], init)])
    assert [code for code, _ in report.values()] == [0, 0, 0, 0]
    for _, modules in report.values():
        assert "prodboard.services.context" in modules  # the board was opened
        assert not [m for m in modules if m.split(".")[0] in ("pydantic", "pydantic_core", "sqlmodel")]
        assert "sqlalchemy.orm" not in modules  # the tables are Core tables: no ORM


# What reading a board without a config file, as someone named, needs none of: the TOML
# parser (no file), a typo's suggestions, the login's lookup, the review commands.
NOT_FOR_READING = ("tomllib", "difflib", "getpass", "prodboard.cli.tracks")


def test_show_and_ls_import_only_what_reading_needs(tmp_path: Path) -> None:
    db = str(tmp_path / "b.db")
    named = {"PRODBOARD_USER": "ana"}
    assert [code for code, _ in probe([(["--db", db, "init"], named),
                                       (["--db", db, "add", "A piece"], named)]).values()] == [0, 0]
    for args in (["show", "1"], ["ls"], ["ls", "--json"]):
        (code, modules), = probe([(["--db", db, *args], named)]).values()
        assert code == 0, args
        assert "prodboard.services.context" in modules  # the board was opened
        assert [m for m in NOT_FOR_READING if m in modules] == [], args


def test_a_config_file_is_checked_with_the_schema(tmp_path: Path) -> None:
    """The probe above can fail: a team file beside the board brings the schema in."""
    db = tmp_path / "b.db"
    (tmp_path / "prodboard.toml").write_text('[board]\nname = "Team"\n', encoding="utf-8")
    report = probe([(["--db", str(db), "init"], {"PRODBOARD_USER": "ana"}),
                    (["--db", str(db), "ls"], {"PRODBOARD_USER": "ana"})])
    for code, modules in report.values():
        assert code == 0
        assert {"pydantic", "prodboard.config.schema"} <= set(modules)


def test_the_table_lists_every_command_with_its_help() -> None:
    for module in sorted({entry.module for entry in COMMANDS.values()}):
        importlib.import_module(f"prodboard.cli.{module}")
    ctx = click.Context(cli)
    registered = {name: cmd.callback.__module__ if cmd.callback else "" for name, cmd in cli.commands.items()}
    assert sorted(registered) == sorted(COMMANDS), "add the new command to cli/command_table.py"
    for name, entry in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None
        assert registered[name] == f"prodboard.cli.{entry.module}", name
        assert entry.help == command.get_short_help_str(10**6), (
            f"cli/command_table.py: {name!r}: Entry({entry.module!r}, "
            f"{command.get_short_help_str(10**6)!r})")


def test_a_mistyped_command_is_matched_against_every_command() -> None:
    """Suggestions come from the whole table, not only the modules imported so far."""
    proc = subprocess.run([sys.executable, "-m", "prodboard", "calender"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == ("prodboard: No such command 'calender'. Did you mean 'calendar'? "
                           "(see: prodboard --help)\n")


def completions(shell: str, words: str) -> str:
    env = {**complete(words), "_PRODBOARD_COMPLETE": f"{shell}_complete"}
    proc = subprocess.run([sys.executable, "-m", "prodboard"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_completion_offers_every_command_then_each_commands_options() -> None:
    assert completions("bash", "prodboard ").split() == [f"plain,{name}" for name in sorted(COMMANDS)]
    assert completions("bash", "prodboard re").split() == [
        "plain,reassign", "plain,reject", "plain,report", "plain,request-changes", "plain,restore",
        "plain,reviews"]
    zsh = completions("zsh", "prodboard sh").splitlines()
    assert zsh == ["plain", "show", "Show a piece with its comments and full..."]
    options = completions("bash", "prodboard ls --").split()
    assert options == ["plain,--stage", "plain,--owner", "plain,--archived", "plain,--awaiting-me",
                       "plain,--mine", "plain,--json", "plain,--help"]
    assert completions("bash", "prodboard hooks add --format ").split() == ["plain,json", "plain,slack"]

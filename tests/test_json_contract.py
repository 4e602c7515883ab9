"""The JSON contract: docs/json.md's tables, checked against each command's real output."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from prodboard.services.context import Workspace

DOC = Path(__file__).resolve().parents[1] / "docs" / "json.md"
NOW = "2026-11-20T09:00:00+00:00"
Fields = dict[str, str]


def doc_tables() -> tuple[dict[str, str], dict[str, Fields]]:
    """(command -> what it prints, object name -> {field: type}) from docs/json.md."""
    commands: dict[str, str] = {}
    objects: dict[str, Fields] = {}
    section = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2 or set(cells[0]) <= {"-"}:
            continue
        if cells[0] in ("command", "field"):
            continue
        name = cells[0].strip("`")
        if section == "Commands":
            commands[name] = cells[1]
        else:
            objects.setdefault(section, {})[name] = cells[1]
    return commands, objects


COMMANDS, OBJECTS = doc_tables()


def fields_of(name: str) -> Fields:
    fields = dict(OBJECTS[name])
    for key, kind in list(fields.items()):
        if key == "...":  # "every field of <kind>"
            del fields[key]
            fields = {**fields_of(kind), **fields}
    return fields


def check_value(value: Any, kind: str, where: str) -> None:
    if kind.endswith(" or null"):
        if value is None:
            return
        kind = kind[: -len(" or null")]
    if kind.startswith("list of "):
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            check_value(item, kind[len("list of "):], f"{where}[{i}]")
        return
    if kind in OBJECTS:
        check_object(value, kind, where)
        return
    checks: dict[str, Callable[[Any], bool]] = {
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "date": lambda v: isinstance(v, str) and date.fromisoformat(v).isoformat() == v,
        "time": is_utc_time,
    }
    assert kind in checks, f"{where}: the doc names an unknown type {kind!r}"
    assert checks[kind](value), f"{where}: {value!r} is not {kind}"


UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


def is_utc_time(value: Any) -> bool:
    if not isinstance(value, str) or not UTC_TIME.fullmatch(value):
        return False
    return datetime.fromisoformat(value).utcoffset() == UTC.utcoffset(None)


def check_object(value: Any, name: str, where: str) -> None:
    fields = fields_of(name)
    assert isinstance(value, dict), f"{where}: not an object"
    assert set(value) == set(fields), (
        f"{where} ({name}): extra {sorted(set(value) - set(fields))}, "
        f"missing {sorted(set(fields) - set(value))}")
    for key, kind in fields.items():
        check_value(value[key], kind, f"{where}.{key}")


@pytest.fixture
def full_board(make_session: Callable[..., Workspace]) -> dict[str, int]:
    """Every kind of object at least once: a comment, a request for changes, an alert."""
    ana = make_session("ana")
    ana.board.set_person("ana", roles=["admin", "pm", "editor"])
    ana.board.add_person("ben", roles=["writer"])
    pid = ana.board.create("Launch post", stage="review", owner="ben", reviewers=["ana"],
                           due="2026-11-01", publish_date="2026-11-21", imported=True)
    ana.board.comment(pid, "@ben the intro needs work")
    ana.board.request_changes(pid, "Tighten the intro; cite the Q3 figures")
    return {"piece": pid}


def test_the_doc_covers_every_json_command() -> None:
    assert set(COMMANDS) == {"ls --json", "show ID --json", "log --json", "inbox --json",
                             "check --json", "people --json", "calendar --json"}
    for shape in COMMANDS.values():
        assert shape.split(" of ")[-1] in OBJECTS, shape


def test_every_command_prints_what_the_doc_says(cli: Any, full_board: dict[str, int]) -> None:
    env = {"PRODBOARD_NOW": NOW}
    for command, shape in COMMANDS.items():
        args = command.replace("ID", str(full_board["piece"])).split()
        code, out, err = cli(*args, user="ben", env=env)
        assert (code, err) == (0, ""), command
        if shape.startswith("lines of "):
            items = [json.loads(line) for line in out.splitlines()]
            assert items, command
            for i, item in enumerate(items):
                check_object(item, shape[len("lines of "):], f"{command} line {i}")
        elif shape.startswith("array of "):
            data = json.loads(out)
            assert isinstance(data, list) and data, f"{command}: {out[:200]}"
            for i, item in enumerate(data):
                check_object(item, shape[len("array of "):], f"{command}[{i}]")
        else:
            check_object(json.loads(out), shape, command)


def test_show_json_carries_the_request_for_changes(cli: Any, full_board: dict[str, int]) -> None:
    code, out, _ = cli("show", full_board["piece"], "--json")
    data = json.loads(out)
    assert [(r["by"], r["note"], r["revision"]) for r in data["change_requests"]] == [
        ("ana", "Tighten the intro; cite the Q3 figures", 1)]
    assert [c["body"] for c in data["comments"]] == ["@ben the intro needs work"]

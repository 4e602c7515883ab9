"""The field list drives the CLI flags, the JSON names, the value object and the
cleaning: each face sees the same fields, spelled the same way."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from inprocess import dump, invoke

from prodboard.domain.fields import (
    BY_NAME,
    DEFAULT_PRIORITY,
    EDITABLE,
    FIELDS,
    FORM_INPUTS,
    LINE,
    LIST,
    TEXT,
    normalise,
)
from prodboard.domain.values import ATTACHED, PieceView
from prodboard.errors import BadInput
from prodboard.services.context import Workspace
from prodboard.storage.tables import PIECES

HOSTILE = "a\x1b]52;c;QUFBQQ==\x07b\x1b[31mc\x9b2Jd\x1bce\x00f\r\ng\u202e"
FLAG = re.compile(r"^\s+(--[a-z-]+)", re.MULTILINE)


@pytest.fixture
def team(make_session: Callable[..., Workspace]) -> Workspace:
    s = make_session("ana")
    s.board.set_person("ana", roles=["admin", "pm", "strategist"])
    s.board.add_person("ben", "Ben", ["editor"])
    return s


def flags(db: Path, command: str) -> set[str]:
    code, out, err = invoke([command, "--help"], db)
    assert (code, err) == (0, ""), err
    return set(FLAG.findall(out))


def test_add_and_edit_spell_every_field_the_same(team: Workspace, db_path: Path) -> None:
    add, edit = flags(db_path, "add"), flags(db_path, "edit")
    for field in FIELDS:
        if not field.settable:  # read-only: no flag (edit's --version is the base version)
            assert field.flag not in (add | edit) - {"--version"}, field.name
            continue
        assert field.flag == "--" + field.json_name.replace("_", "-")
        assert (field.flag in edit) == field.edit, field.name
        assert (field.flag in add) == (field.name != "title"), field.name  # add takes TITLE
        for old in field.old_flags:  # old spellings work but are not shown
            assert old not in add | edit, old
    assert {f.name for f in FIELDS if f.settable and f.edit} == set(EDITABLE)


def test_old_spellings_still_work(team: Workspace, db_path: Path) -> None:
    old = ["add", "Old", "--tag", "seo", "--tag", "Pricing", "--publish", "2026-03-10",
           "--channel", "blog", "--reviewer", "@Ben", "--link", "https://x.test/a"]
    new = ["add", "New", "--tags", "seo,Pricing", "--publish-date", "2026-03-10",
           "--channels", "blog", "--reviewers", "@Ben", "--links", "https://x.test/a"]
    ids = []
    for args in (old, new):
        code, out, err = invoke(args, db_path)
        assert (code, err) == (0, ""), err
        ids.append(int(out))
    a, b = (team.queries.piece(i) for i in ids)
    assert a is not None and b is not None
    for name in ("tags", "publish_date", "channels", "reviewers", "links"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.tags == ("seo", "Pricing") and a.reviewers == ("ben",)
    code, _, err = invoke(["edit", str(ids[0]), "--tags", "x, y", "--tag", "z",
                           "--publish", "2026-04-01"], db_path)
    assert (code, err) == (0, ""), err
    edited = team.queries.piece(ids[0])
    assert edited is not None
    assert edited.tags == ("x", "y", "z") and edited.publish_date == "2026-04-01"


def test_json_keys_are_the_field_json_names(team: Workspace, db_path: Path) -> None:
    team.board.create("A piece", tags=["t"])
    code, out, err = invoke(["ls", "--json"], db_path)
    assert (code, err) == (0, "")
    [piece] = json.loads(out)
    assert list(piece) == [f.json_name for f in FIELDS]  # every field, in the list's order
    # The value object and the table hold the same fields (the table has no comment count).
    assert set(PieceView.__dataclass_fields__) - set(ATTACHED) == {f.name for f in FIELDS}
    assert {c.name for c in PIECES.columns} == {f.name for f in FIELDS} - {"comments"}


def test_cleaning_takes_whole_escapes_from_every_typed_field() -> None:
    for field in FIELDS:
        if field.kind not in (LINE, TEXT, LIST):
            continue
        value = normalise(field.name, HOSTILE)
        for text in value if isinstance(value, list) else [value]:
            assert "\x1b" not in text and "\x9b" not in text and "\x00" not in text, field.name
            assert "52;" not in text and "[31m" not in text and "2J" not in text, field.name
            if field.kind != TEXT:
                assert "\n" not in text and "\t" not in text, field.name
    assert normalise("title", HOSTILE).startswith("abcd")
    assert normalise("audience", "one\r\ntwo") == "one\ntwo"  # a brief keeps its lines
    # A list is cleaned before it is split: an escape sequence may hold commas.
    assert normalise("tags", "x\x1b[1;2my, z,, z") == ["xy", "z"]
    assert normalise("reviewers", ["@Ben", "ben, @ANA"]) == ["ben", "ana"]


def test_cleaning_refuses_bad_values() -> None:
    for name, value in [("title", " \x1b[31m "), ("due", "2025-02-30"), ("priority", "9"),
                        ("priority", "high"), ("cost", "nan"), ("cost", "-1"),
                        ("cost", "1e400"), ("publish_date", "next week")]:
        with pytest.raises(BadInput):
            normalise(name, value)
    with pytest.raises(BadInput, match="read-only"):
        normalise("version", 3)
    with pytest.raises(BadInput, match="read-only"):
        normalise("owner", "ben")  # owner changes by assign, stage by move
    assert normalise("priority", " 3 ") == 3 and normalise("cost", "12.5") == 12.5
    assert normalise("format", "  Video ") == "video"


def test_hostile_text_through_the_cli_is_stored_clean(team: Workspace, db_path: Path) -> None:
    args = ["add", HOSTILE, "--owner", "ben", "--reviewers", "@Ben\x1b[31m"]
    for field in FIELDS:
        typed = field.kind in (LINE, TEXT, LIST) and field.name not in ("title", "reviewers")
        if field.settable and field.edit and typed:
            args += [field.flag, HOSTILE]
    code, out, err = invoke(args, db_path)
    assert (code, err) == (0, ""), err
    piece = team.queries.piece(int(out))
    assert piece is not None
    assert piece.reviewers == ("ben",) and piece.tags and piece.audience
    stored = json.dumps(piece.to_json())
    assert "\\u001b" not in stored and "\\u009b" not in stored and "[31m" not in stored
    before = dump(db_path)
    code, out, _ = invoke(["edit", str(piece.id), "--priority", "0", "--title", "fine"], db_path)
    assert (code, out) == (2, "") and dump(db_path) == before  # nothing half-done


def test_defaults_come_from_the_list(team: Workspace) -> None:
    pid = team.board.create("Bare")
    piece = team.queries.piece(pid)
    assert piece is not None
    assert (piece.priority, piece.format) == (DEFAULT_PRIORITY, "blog post")
    # The board's form types every editable field but the format (a select).
    assert {f.name for f in FORM_INPUTS} == set(EDITABLE) - {"format"}
    assert BY_NAME["publish_date"].describe == "publish date"

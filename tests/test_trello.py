"""Importing a Trello board export (built from Trello's documented format)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import one_error_line
from trello_fixture import board as trello_board

from prodboard.services.context import Workspace

MAP = "Backlog=ideas,Writing=draft,Done=published"
PEOPLE = "anaruiz=ana,benok=ben,zoe=chloe"


def rows(db: Path) -> tuple[int, int, int]:
    raw = sqlite3.connect(db)
    try:
        return tuple(raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("piece", "event", "comment"))
    finally:
        raw.close()


@pytest.fixture
def team(make_session: Callable[..., Workspace]) -> Workspace:
    s = make_session("ana")
    s.board.add_person("ben", "Ben Okafor", ["editor"])
    s.board.add_person("chloe", "Chloé Martin", ["writer"])
    return s


@pytest.fixture
def export(tmp_path: Path) -> Path:
    f = tmp_path / "trello.json"
    f.write_text(json.dumps(trello_board()), encoding="utf-8")
    return f


def test_cards_lists_members_comments_checklists_history(cli: Any, team: Workspace, export: Path) -> None:
    code, out, err = cli("import", export, "--map", MAP, "--people", PEOPLE)
    assert (code, err) == (0, ""), err
    assert out == "created 3, updated 0, skipped (unchanged) 0\n"
    pieces = {p.title: p for p in team.queries.pieces(archived=None)}
    launch = pieces["Launch post"]
    assert launch.stage == "draft" and launch.owner == "ana"
    assert launch.key_message == "Why the launch matters\nfor editors"
    assert launch.due == "2027-03-01" and launch.tags == ("SEO", "red")
    assert launch.links == ("https://docs.example.com/d/1",)
    assert set(launch.checklist) == {"seo"}  # the matching item, ticked; Legal was not done
    assert launch.created_at.startswith("2026-10-28T08:00")
    assert team.queries.watchers(launch.id) == {"ben"}  # the second member
    comments = team.queries.comments(launch.id)
    assert [(c.author, c.created_at[:10]) for c in comments[:2]] == [
        ("ana", "2026-11-01"), ("chloe", "2026-11-02")]
    assert comments[0].body == "First draft is in"
    note = comments[2].body
    assert "Checklist 'Before publishing' from Trello" in note
    assert "[x] Ask Dev for a hero image" in note and "[ ] Legal" not in note  # legal is ours
    history = team.queries.history(launch.id)
    moves = [e for e in history if e.kind == "piece.moved"]
    assert [(e.changes["stage"], e.data["original_at"][:10]) for e in moves] == [
        (["ideas", "draft"], "2026-10-30")]
    assert all(e.data["imported"] for e in history)
    recap = pieces["Old webinar recap"]
    assert recap.archived and recap.archive_reason == "closed in Trello" and recap.stage == "published"
    hostile = pieces["=cmd|' /C calc'!A0"]
    assert hostile.owner == "chloe" and hostile.stage == "ideas"


def test_unmapped_comment_authors_are_named_in_the_text(cli: Any, team: Workspace,
                                                        tmp_path: Path) -> None:
    data = trello_board()
    data["cards"][2]["idMembers"] = []  # zoe is on no card: only her comment remains
    f = tmp_path / "t.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = cli("import", f, "--map", MAP, "--people", "anaruiz=ana,benok=ben", user="ben")
    assert code == 0, err
    launch = next(p for p in team.queries.pieces() if p.title == "Launch post")
    first, second = team.queries.comments(launch.id)[:2]
    assert (first.author, first.body) == ("ana", "First draft is in")
    assert second.author == "ben"  # the importer writes it, saying who did
    assert second.body == ("(originally by Zoë Visitor (@zoe) on 2026-11-02)\n"
                           "Looks good from outside")
    assert second.created_at.startswith("2026-11-02T09:00")


def test_again_updates_instead_of_duplicating(cli: Any, team: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "t.json"
    data = trello_board()
    f.write_text(json.dumps(data), encoding="utf-8")
    cli("import", f, "--map", MAP, "--people", PEOPLE)
    before = rows(Path(team.store.location))
    code, out, _ = cli("import", f, "--map", MAP, "--people", PEOPLE)
    assert out == "created 0, updated 0, skipped (unchanged) 3\n"
    assert rows(Path(team.store.location)) == before
    data["cards"][2]["name"] = "Renamed"
    data["cards"][2]["idList"] = data["lists"][1]["id"]
    f.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = cli("import", f, "--map", MAP, "--people", PEOPLE, "--dry-run")
    assert "update  #3      card 'Renamed' (IjKl9012): Renamed" in out
    assert rows(Path(team.store.location)) == before
    code, out, _ = cli("import", f, "--map", MAP, "--people", PEOPLE)
    assert out == "created 0, updated 1, skipped (unchanged) 2\n"
    piece = team.queries.piece(3)
    assert piece is not None and (piece.title, piece.stage) == ("Renamed", "draft")


def test_every_unmapped_list_is_named(cli: Any, team: Workspace, export: Path) -> None:
    before = rows(Path(team.store.location))
    code, out, err = cli("import", export)
    assert code == 2 and out == ""
    assert "lists without a stage: 'Backlog', 'Writing', 'Done'" in one_error_line(err)
    assert "--map 'Backlog=STAGE,Writing=STAGE,Done=STAGE'" in err
    code, _, err = cli("import", export, "--map", "Backlog=ideas,Writing=nowhere,Done=published")
    assert code == 2 and "'Writing'" in one_error_line(err) and "'Backlog'" not in err
    assert rows(Path(team.store.location)) == before


def test_unknown_members_are_an_error(cli: Any, team: Workspace, export: Path) -> None:
    before = rows(Path(team.store.location))
    code, _, err = cli("import", export, "--map", MAP, "--people", "benok=ben")
    assert code == 2 and ("card members not on the board: anaruiz (card 'Launch post'), "
                          "zoe (card \"=cmd|' /C calc'!A0\")") in one_error_line(err)
    assert rows(Path(team.store.location)) == before


def test_bad_due_date_names_the_card(cli: Any, team: Workspace, tmp_path: Path) -> None:
    data = trello_board()
    data["cards"][1]["due"] = "next tuesday"
    f = tmp_path / "t.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    before = rows(Path(team.store.location))
    code, _, err = cli("import", f, "--map", MAP, "--people", PEOPLE)
    assert code == 2
    assert f"{f}: card 'Old webinar recap' (EfGh5678): due: " in one_error_line(err)
    assert rows(Path(team.store.location)) == before


def test_the_action_limit_is_warned_about(cli: Any, team: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "t.json"
    f.write_text(json.dumps(trello_board(actions=1000)), encoding="utf-8")
    code, out, err = cli("import", f, "--map", MAP, "--people", PEOPLE)
    assert code == 0
    assert "warning: the export holds 1,000 actions, Trello's limit" in err
    f.write_text(json.dumps(trello_board()), encoding="utf-8")
    code, _, err = cli("import", f, "--map", MAP, "--people", PEOPLE)
    assert "limit" not in err


def test_not_a_trello_board(cli: Any, team: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"cards": "nope", "lists": []}), encoding="utf-8")
    code, _, err = cli("import", f, "--format", "trello")
    assert code == 2 and "not a Trello board export" in one_error_line(err)
    f.write_text(json.dumps({"cards": [{"id": "x", "idList": "gone"}], "lists": []}), encoding="utf-8")
    code, _, err = cli("import", f, "--format", "trello")
    assert code == 2 and "lists the export does not hold: gone" in one_error_line(err)


def test_escape_sequences_are_cleaned_and_odd_shapes_do_not_crash(cli: Any, team: Workspace,
                                                                  tmp_path: Path) -> None:
    data = trello_board()
    data["cards"][0]["name"] = "\x1b]52;c;aGk=\x07Launch\x1b[31m post"
    data["cards"][0]["desc"] = "brief\x1b[2J\x07 text"
    data["actions"][1]["data"]["text"] = "draft \x1b]0;title\x07in"
    data["cards"][1]["labels"] = 5  # a hand-edited file: not a list
    data["cards"][1]["idMembers"] = "nobody"
    f = tmp_path / "t.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = cli("import", f, "--map", MAP, "--people", PEOPLE)
    assert code == 0, err
    launch = next(p for p in team.queries.pieces() if "Launch" in p.title)
    assert launch.title == "Launch post" and launch.key_message == "brief text"
    assert team.queries.comments(launch.id)[0].body == "draft in"
    recap = next(p for p in team.queries.pieces(archived=True))
    assert recap.tags == () and recap.owner is None

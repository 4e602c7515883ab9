"""People who are who they say: named users must exist, newcomers join in the open,
and only admins change roles, delegates and other people's availability."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import one_error_line
from terminal import run_in_a_terminal

from prodboard.domain.identity import is_admin
from prodboard.errors import BadInput, NotFound, Refused
from prodboard.services.alerts import load_inbox
from prodboard.services.context import Workspace, open_board

BAD_HANDLES = ["bad name!", "kim\x1bc", "-dash", "dot.", "émile", "9lives", "a" * 33, "@"]


@pytest.fixture
def team(make_session: Callable[..., Workspace]) -> Workspace:
    """ana made the board (its admin) and added ed (admin), ben (editor), chloe (writer)
    and hana (writer), all through `people add`. Returned: ana's session."""
    ana = make_session("ana")
    ana.board.add_person("ed", "Ed Admin", ["admin"])
    ana.board.add_person("ben", "Ben Okafor", ["editor"])
    ana.board.add_person("chloe", "Chloé Martin", ["writer"])
    ana.board.add_person("hana", "Hana Sato", ["writer"])
    return ana


def event_count(s: Workspace) -> int:
    return s.queries.last_event_id()


def handles(s: Workspace) -> list[str]:
    return [p.handle for p in s.queries.people()]


# -- who you are -----------------------------------------------------------------------------
def test_an_unknown_user_is_refused_naming_the_closest_handles(cli: Any, team: Workspace) -> None:
    before = event_count(team)
    for args in (("ls",), ("add", "Typo piece"), ("people",), ("inbox",)):
        code, out, err = cli(*args, user="bne")
        assert (code, out) == (2, ""), (args, err)
        line = one_error_line(err)
        assert "unknown person 'bne'" in line and "closest: ben" in line, line
    assert event_count(team) == before and "bne" not in handles(team)


@pytest.mark.parametrize("typo", ["bne", "bad name!", "BEN2"])
def test_a_typo_never_joins_the_board(cli: Any, team: Workspace, typo: str) -> None:
    before = (event_count(team), handles(team))
    code, _, err = cli("comment", 1, "hello", user=typo)
    assert code == 2, err
    code, _, err = cli("people", "set", "ben", "--level", "all", user=typo)
    assert code == 2, err
    assert (event_count(team), handles(team)) == before


@pytest.mark.parametrize("bad", BAD_HANDLES)
def test_one_handle_rule_for_people_add_join_and_init(
    cli: Any, team: Workspace, tmp_path: Path, bad: str
) -> None:
    before = (event_count(team), handles(team))
    with pytest.raises(BadInput, match="not a valid handle"):
        team.board.add_person(bad)
    code, _, err = cli("people", "add", "--", bad)
    assert code == 2 and "not a valid handle" in one_error_line(err)
    code, _, err = cli("join", user=bad)
    assert code == 2 and "not a valid user name" in one_error_line(err)
    assert "\x1b" not in err
    new = tmp_path / "new.db"
    code, _, err = cli("init", user=bad, db=new)
    assert code == 2 and "not a valid user name" in one_error_line(err)
    assert not new.exists()
    assert (event_count(team), handles(team)) == before


def test_the_os_login_is_a_guest_who_may_read_but_not_write(cli: Any, team: Workspace) -> None:
    pid = team.board.create("Q3 pricing page")
    zoe = {"LOGNAME": "zoe"}
    for args in (("ls",), ("show", pid), ("log",), ("people",)):
        code, out, err = cli(*args, user=None, env=zoe)
        assert code == 0 and err == "", (args, err)
    before = event_count(team)
    writes: list[tuple[str | int, ...]] = [("add", "x"), ("comment", pid, "hi"), ("inbox",),
                                           ("people", "away", "zoe")]
    for write in writes:
        code, _, err = cli(*write, user=None, env=zoe)
        assert code == 2, (write, err)
    assert "'zoe' is not on this board" in err and "prodboard join" in err
    assert event_count(team) == before


def test_the_bare_command_tells_a_guest_to_join_in_one_line(cli: Any, team: Workspace) -> None:
    env = {**os.environ, "PRODBOARD_DB": str(cli.db_path), "LOGNAME": "zoe"}
    env.pop("PRODBOARD_USER", None)
    code, err = run_in_a_terminal([], env)
    assert code == 2
    line = one_error_line(err)
    assert "'zoe' is not on this board" in line and "'prodboard join'" in line
    assert "--user HANDLE" in line  # how to act as one of the demo's people
    assert "ana" in line and "ed" in line  # who can add them
    assert "zoe" not in handles(team)


# -- joining ---------------------------------------------------------------------------------
def test_join_records_person_joined_and_alerts_the_admins(
    cli: Any, team: Workspace, make_session: Callable[..., Workspace]
) -> None:
    code, out, err = cli("join", "--name", "Zoe Ng", user=None, env={"LOGNAME": "Zoe"})
    assert (code, out, err) == (0, "joined as zoe\n", "")
    zoe = team.queries.person("zoe")
    assert zoe is not None and (zoe.display_name, zoe.roles) == ("Zoe Ng", ())
    [ev] = team.queries.events_since(event_count(team) - 1)
    assert (ev.kind, ev.actor, ev.data["handle"]) == ("person.joined", "zoe", "zoe")
    for admin in ("ana", "ed"):
        texts = [a.text for a in load_inbox(make_session(admin), admin).alerts]
        assert "zoe joined the board" in texts, (admin, texts)
    ben = make_session("ben")
    assert "zoe joined the board" not in [a.text for a in load_inbox(ben, "ben").alerts]
    code, _, err = cli("join", user="zoe")  # once on the board, --user names them
    assert code == 2 and "already on the board" in one_error_line(err)
    code, _, err = cli("add", "Zoe's first piece", user="zoe")
    assert code == 0, err


def test_join_with_user_joins_as_that_handle_only(cli: Any, team: Workspace) -> None:
    code, out, _ = cli("join", user="kim")
    assert (code, out) == (0, "joined as kim\n")
    code, _, err = cli("join", "kim2", user="lee")  # no argument names someone else
    assert code == 2 and "lee" not in handles(team)


def test_a_closed_board_takes_newcomers_only_from_an_admin(
    cli: Any, team: Workspace, tmp_path: Path
) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text("[board]\nopen_join = false\n")
    env = {"PRODBOARD_CONFIG": str(config)}
    before = event_count(team)
    code, _, err = cli("join", user="zoe", env=env)
    assert code == 1
    line = one_error_line(err)
    assert "closed to joining" in line and "ana, ed" in line and "people add zoe" in line
    assert event_count(team) == before and "zoe" not in handles(team)
    code, _, err = cli("people", "add", "zoe", env=env)
    assert code == 0, err


# -- what needs an admin ---------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    pytest.param(("people", "set", "ben", "--roles", "pm,editor"), id="promote-oneself"),
    pytest.param(("people", "set", "hana", "--roles", "pm,editor"), id="promote-someone-else"),
    pytest.param(("people", "set", "ben", "--delegate", "chloe"), id="own-delegate"),
    pytest.param(("people", "set", "hana", "--delegate", "ben"), id="someone-elses-delegate"),
    pytest.param(("people", "set", "hana", "--level", "none"), id="silence-someone"),
    pytest.param(("people", "set", "hana", "--name", "Not Hana"), id="rename-someone-else"),
    pytest.param(("people", "away", "hana", "--note", "fired"), id="someone-elses-availability"),
    pytest.param(("people", "away", "ben", "--delegate", "chloe"), id="away-is-mine-the-delegate-is-not"),
    pytest.param(("people", "back", "ed"), id="mark-someone-else-back"),
    pytest.param(("people", "add", "dev"), id="add-a-person"),
])
def test_a_non_admin_cannot_change_the_team(cli: Any, team: Workspace, args: tuple[str, ...]) -> None:
    team.board.set_away("ed", True, "on leave")
    before = (event_count(team), [p.to_json() for p in team.queries.people()])
    code, out, err = cli(*args, user="ben")
    assert (code, out) == (1, ""), err
    assert "only an admin (admin or pm role)" in one_error_line(err) and "ana, ed" in err
    assert (event_count(team), [p.to_json() for p in team.queries.people()]) == before


def test_promoting_oneself_does_not_open_the_gate_override(cli: Any, team: Workspace) -> None:
    pid = team.board.create("Straight to Optimize", stage="draft", imported=True)
    cli("people", "set", "hana", "--roles", "pm,editor", user="hana")
    code, _, err = cli("move", pid, "published", "--override", "trust me", user="hana")
    assert code == 1 and "may override a gate" in err


def test_anyone_may_mark_themselves_away_and_back(cli: Any, team: Workspace) -> None:
    code, out, err = cli("people", "away", "chloe", "--note", "out sick", user="chloe")
    assert (code, out, err) == (0, "chloe is away\n", "")
    me = team.queries.person("chloe")
    assert me is not None and (me.away, me.away_note) == (True, "out sick")
    code, out, _ = cli("people", "back", "@Chloe", user="chloe")
    assert (code, out) == (0, "chloe is back\n")
    code, out, _ = cli("people", "set", "chloe", "--level", "all", "--name", "Chloé M.", user="chloe")
    assert code == 0
    me = team.queries.person("chloe")
    assert me is not None and (me.away, me.alert_level, me.display_name) == (False, "all", "Chloé M.")


def test_each_admin_change_is_an_event_naming_before_and_after(
    cli: Any, team: Workspace, make_session: Callable[..., Workspace]
) -> None:
    start = event_count(team)
    assert cli("people", "set", "ben", "--roles", "editor,pm")[0] == 0
    assert cli("people", "set", "hana", "--delegate", "ben")[0] == 0
    assert cli("people", "away", "hana", "--note", "on leave", "--delegate", "chloe")[0] == 0
    assert cli("people", "back", "hana")[0] == 0
    events = team.queries.events_since(start)
    assert [(e.kind, e.actor, e.data["handle"]) for e in events] == [
        ("person.changed", "ana", "ben"), ("person.changed", "ana", "hana"),
        ("person.away", "ana", "hana"), ("person.back", "ana", "hana")]
    assert events[0].changes == {"roles": [["editor"], ["editor", "pm"]]}
    assert events[1].changes == {"delegate": [None, "ben"]}
    assert events[2].changes == {"away": [False, True], "away_note": ["", "on leave"],
                                 "delegate": ["ben", "chloe"]}
    code, out, _ = cli("log", "--since", start)
    assert "ana changed ben: roles editor → editor, pm" in out
    assert "ana changed hana: delegate — → ben" in out
    assert "ana marked hana away (on leave): delegate ben → chloe" in out
    ed = make_session("ed")  # the other admin hears every one of them (a burst or not)
    box = load_inbox(ed, "ed")
    heard = {i for a in box.alerts for i in a.event_ids}
    assert {e.id for e in events} <= heard
    ed.board.mark_read(box.last_event_id)
    assert cli("people", "set", "ben", "--roles", "editor")[0] == 0
    assert [a.text for a in load_inbox(ed, "ed").alerts] == [
        "ana changed ben: roles editor, pm → editor"]
    # The same values again change nothing and record nothing.
    assert cli("people", "set", "ben", "--roles", "editor")[0] == 0
    assert event_count(team) == start + 5


def test_the_last_admin_keeps_the_role(cli: Any, team: Workspace) -> None:
    assert cli("people", "set", "ed", "--roles", "writer")[0] == 0
    before = event_count(team)
    code, _, err = cli("people", "set", "ana", "--roles", "writer")
    assert code == 1 and "ana is the last admin" in one_error_line(err)
    assert event_count(team) == before
    ana = team.queries.person("ana")
    assert ana is not None and ana.roles == ("admin",)


def test_admin_roles_come_from_the_config(cli: Any, team: Workspace, tmp_path: Path) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text('[board]\nadmin_roles = ["editor"]\n')
    env = {"PRODBOARD_CONFIG": str(config)}
    code, _, err = cli("people", "add", "dev", user="ben", env=env)  # ben is an editor
    assert code == 0, err
    code, _, err = cli("people", "add", "eve", env=env)  # ana holds only "admin"
    assert code == 1 and "only an admin (editor role)" in err
    config.write_text("[board]\nadmin_roles = []\n")
    code, _, err = cli("people", env=env)
    assert code == 2 and "admin_roles: needs at least one role" in one_error_line(err)


# -- who starts as admin ---------------------------------------------------------------------
def test_the_board_creator_is_its_admin(cli: Any, db_path: Path) -> None:
    code, _, err = cli("init", user="Pia")
    assert code == 0, err
    code, out, _ = cli("people", "--json", user="pia")
    assert [(p["handle"], p["roles"]) for p in json.loads(out)] == [("pia", ["admin"])]
    code, _, err = cli("people", "add", "wes", "--role", "writer", user="pia")
    assert code == 0, err
    code, _, err = cli("people", "add", "zed", user="wes")
    assert code == 1


def test_the_creator_is_the_os_login_without_user(cli: Any, db_path: Path) -> None:
    code, _, err = cli("init", user=None, env={"LOGNAME": "Quinn"})
    assert code == 0, err
    s = open_board(db_path, "quinn")
    try:
        assert is_admin(s.queries.person("quinn"), s.workflow)
    finally:
        s.close()


def test_the_demo_lead_is_admin_and_init_does_not_join(tmp_path: Path, cli: Any) -> None:
    db = tmp_path / "demo.db"
    code, _, err = cli("init", "--demo", user=None, db=db, env={"LOGNAME": "zoe"})
    assert code == 0, err
    s = open_board(db)
    try:
        lead = s.queries.person("ana")
        assert lead is not None and is_admin(lead, s.workflow) and "strategist" in lead.roles
        assert [p.handle for p in s.queries.people() if is_admin(p, s.workflow)] == ["ana"]
        assert s.queries.person("zoe") is None
    finally:
        s.close()
    code, _, err = cli("people", "set", "ben", "--roles", "editor,legal", user="ana", db=db)
    assert code == 0, err
    code, _, err = cli("people", "set", "ben", "--roles", "editor,pm", user="ben", db=db)
    assert code == 1


# -- the core, without the command line --------------------------------------------------------
def test_the_board_refuses_a_guest_and_names_the_admins(
    team: Workspace, make_session: Callable[..., Workspace]
) -> None:
    with pytest.raises(NotFound, match="unknown person 'zoe'"):
        make_session("zoe")
    guest = make_session("zoe", newcomer=True)
    before = event_count(team)
    with pytest.raises(NotFound, match="'zoe' is not on this board.*ask ana, ed"):
        guest.board.create("x")
    with pytest.raises(NotFound):
        guest.board.mark_read(1)
    with pytest.raises(Refused, match="already has people"):
        guest.board.found()
    assert event_count(team) == before


"""`prodboard calendar` (the agenda) and `prodboard ical` (the .ics export and its
tokens), read back with the icalendar library and with our own strict parser."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest
from ical_parse import parse
from inprocess import dump, invoke
from test_json_contract import check_object

NOW = "2026-11-20T09:00:00+00:00"
ENV = {"PRODBOARD_NOW": NOW}


@pytest.fixture
def demo(db_path: Path) -> Path:
    code, _, err = invoke(["init", "--demo"], db_path, env=ENV)
    assert (code, err) == (0, ""), err
    return db_path


def run(db: Path, *args: str, user: str = "ana", env: dict[str, str] | None = None
        ) -> tuple[int, str, str]:
    return invoke(list(args), db, user=user, env={**ENV, **(env or {})})


def agenda(db: Path, *args: str, user: str = "ana") -> dict[str, Any]:
    code, out, err = run(db, "calendar", "--json", *args, user=user)
    assert (code, err) == (0, ""), err
    data: dict[str, Any] = json.loads(out)
    check_object(data, "Agenda", "calendar --json")  # the contract of docs/json.md
    return data


def test_agenda_one_line_per_piece_and_day(demo: Path) -> None:
    data = agenda(demo, "--from", "2026-11-20", "--to", "2026-11-24")
    assert (data["from"], data["to"]) == ("2026-11-20", "2026-11-24")
    assert [(e["date"], e["kind"], e["piece_id"]) for e in data["entries"]] == [
        ("2026-11-21", "publish", 13), ("2026-11-21", "due", 8), ("2026-11-21", "due", 13),
        ("2026-11-22", "due", 11), ("2026-11-23", "publish", 11), ("2026-11-23", "due", 7),
        ("2026-11-24", "publish", 10), ("2026-11-24", "due", 12)]
    code, out, _ = run(demo, "calendar", "--from", "2026-11-21", "--to", "2026-11-21")
    assert code == 0
    assert out.splitlines()[0] == ("2026-11-21 Sat  publish        #13    Social: 5 brief questions  "
                                   "[social post · linkedin]  fatima  Scheduled")
    assert len(out.splitlines()) == 3


def test_agenda_defaults_to_two_weeks_from_today(demo: Path) -> None:
    data = agenda(demo)
    assert (data["from"], data["to"]) == ("2026-11-20", "2026-12-03")


def test_agenda_mine_is_what_i_own_or_review(demo: Path) -> None:
    code, _, _ = run(demo, "edit", "5", "--reviewers", "eli", user="ana")
    assert code == 0
    data = agenda(demo, "--mine", "--from", "2026-11-01", "--to", "2026-12-31", user="eli")
    assert {e["piece_id"] for e in data["entries"]} == {5, 8}  # eli reviews #8 too
    mine = agenda(demo, "--mine", "--from", "2026-11-01", "--to", "2026-12-31", user="chloe")
    assert {e["piece_id"] for e in mine["entries"]} == {5, 7, 10, 14}
    assert all(e["owner"] == "chloe" for e in mine["entries"])


def test_agenda_warnings_and_the_tray(demo: Path, tmp_path: Path) -> None:
    config = tmp_path / "team.toml"
    config.write_text("[board]\nchannel_max_per_day = 1\n", encoding="utf-8")
    env = {"PRODBOARD_CONFIG": str(config)}
    code, out, err = run(demo, "add", "Rushed draft", "--stage", "draft", "--override", "legacy",
                         "--publish", "2026-11-21", "--channel", "linkedin", env=env)
    assert code == 0, err
    rushed = int(out)
    code, out, err = run(demo, "add", "Needs a date", "--stage", "draft", "--override", "legacy",
                         env=env)
    assert code == 0, err
    undated = int(out)
    code, out, _ = run(demo, "calendar", "--json", "--from", "2026-11-21", "--to", "2026-11-21", env=env)
    data = json.loads(out)
    assert [(w["kind"], w["piece_id"], w["channel"]) for w in data["day_warnings"]] == [
        ("channel_over", None, "linkedin"), ("too_late", rushed, None)]
    by_piece = {(e["piece_id"], e["kind"]): e["warnings"] for e in data["entries"]}
    assert by_piece[(rushed, "publish")] == [
        "linkedin: 2 publications (max 1 a day)", f"#{rushed} publishes in 1 day but is still in Draft"]
    assert by_piece[(13, "publish")] == ["linkedin: 2 publications (max 1 a day)"]
    assert by_piece[(13, "due")] == []
    assert data["unscheduled"] == [undated]
    code, out, _ = run(demo, "calendar", "--from", "2026-11-21", "--to", "2026-11-21", env=env)
    assert f"⚠ #{rushed} publishes in 1 day but is still in Draft" in out
    assert out.rstrip().splitlines()[-1].startswith(f"  #{undated:<5} Needs a date  draft")


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-13-01"], "--from: '2026-13-01' is not a date (use YYYY-MM-DD)"),
    (["--from", "2026-11-20", "--to", "2026-11-01"], "--to 2026-11-01 is before --from 2026-11-20"),
    (["--from", "2000-01-01", "--to", "2026-01-01"], "the range is longer than 3660 days"),
    (["--from", "9999-12-31"], "--from: '9999-12-31' is out of range (years 1970-9000)"),
    (["--to", "1969-12-31"], "--to: '1969-12-31' is out of range (years 1970-9000)"),
])
def test_agenda_bad_input_is_one_line_and_exit_2(demo: Path, args: list[str], message: str) -> None:
    code, out, err = run(demo, "calendar", *args)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err, err


def _ical(db: Path, *args: str, user: str = "ana") -> bytes:
    out_file = db.parent / "out.ics"
    code, out, err = run(db, "ical", *args, "--out", str(out_file), user=user)
    assert (code, err) == (0, ""), err
    assert out.startswith("wrote ")
    return out_file.read_bytes()


def test_ical_parsed_back_by_two_parsers(demo: Path) -> None:
    body = _ical(demo, "--all")
    ours = parse(body)  # strict: CRLF, 75-octet lines, balanced components
    theirs = icalendar.Calendar.from_ical(body)
    assert ours.get("VERSION").value == "2.0"
    assert ours.get("X-WR-CALNAME").text == theirs["X-WR-CALNAME"] == "Acme content studio"
    assert ours.get("NAME").text == "Acme content studio"
    events = ours.walk("VEVENT")
    assert len(events) == len(theirs.walk("VEVENT")) == 20  # 11 publish dates, 9 due dates
    for ev in events:
        start, end = ev.get("DTSTART"), ev.get("DTEND")
        assert start.params == {"VALUE": "DATE"} and end.params == {"VALUE": "DATE"}
        assert (date.fromisoformat(_iso(end.value)) - date.fromisoformat(_iso(start.value))).days == 1
        for stamp in ("DTSTAMP", "CREATED", "LAST-MODIFIED"):  # UTC, never floating
            assert ev.get(stamp).value.endswith("Z") and not ev.get(stamp).params
    social = next(e for e in theirs.walk("VEVENT") if str(e["UID"]).startswith("piece-13-publish@"))
    assert social["SUMMARY"] == "Social: 5 brief questions"
    assert social.decoded("DTSTART") == date(2026, 11, 21)
    assert social.decoded("DTEND") == date(2026, 11, 22)
    assert social["STATUS"] == "CONFIRMED"
    text = str(social["DESCRIPTION"])
    assert text.splitlines()[:4] == ["Stage: Scheduled", "Owner: fatima", "Format: social post",
                                     "Channels: linkedin"]
    due = next(e for e in events if e.get("UID").value.startswith("piece-13-due@"))
    assert due.get("SUMMARY").text == "Due: Social: 5 brief questions"


def _iso(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}"


def test_uids_stable_sequence_grows_archived_is_cancelled(demo: Path) -> None:
    def events() -> dict[str, Any]:
        cal = icalendar.Calendar.from_ical(_ical(demo, "--all"))
        return {str(e["UID"]): e for e in cal.walk("VEVENT")}

    first, again = events(), events()
    assert set(first) == set(again)
    assert _ical(demo, "--all") == _ical(demo, "--all")  # the same bytes for the same board
    uid = next(u for u in first if u.startswith("piece-7-publish@"))
    before = int(first[uid]["SEQUENCE"])
    assert run(demo, "edit", "7", "--publish", "2026-11-30")[0] == 0
    after = events()
    assert set(after) == set(first)  # rescheduled: the same event, not a new one
    assert int(after[uid]["SEQUENCE"]) == before + 1
    assert after[uid].decoded("DTSTART") == date(2026, 11, 30)
    assert run(demo, "archive", "7", "--reason", "dropped")[0] == 0
    archived = events()
    assert archived[uid]["STATUS"] == "CANCELLED"
    assert int(archived[uid]["SEQUENCE"]) > before + 1
    assert "Archived: dropped" in str(archived[uid]["DESCRIPTION"])


def test_ical_selections(demo: Path) -> None:
    def ids(*args: str, user: str = "ana") -> set[int]:
        cal = icalendar.Calendar.from_ical(_ical(demo, *args, user=user))
        return {int(str(e["UID"]).split("-")[1]) for e in cal.walk("VEVENT")}

    assert ids("--person", "chloe") == {5, 7, 10, 14}
    assert ids("--mine", user="chloe") == {5, 7, 10, 14}
    assert ids("--role", "writer") >= {5, 7, 10, 14}
    assert ids() == ids("--all")
    assert ids("--all") == set(range(5, 16))  # every piece with a date


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--mine", "--all"], 2, "choose one of --mine, --person, --role, --all"),
    (["--person", "zed"], 2, "unknown person 'zed'"),
    (["--role", "astronaut"], 2, "nobody holds the role 'astronaut'"),
    (["--out", "/nonexistent/dir/x.ics"], 2, "cannot write /nonexistent/dir/x.ics"),
    (["serve", "--port", "70000"], 2, "70000 is not in the range"),
    (["--all", "token", "ana"], 2, "are for the export, not for 'ical token'"),
])
def test_ical_bad_input(demo: Path, args: list[str], code: int, message: str) -> None:
    before = dump(demo)
    got, out, err = run(demo, "ical", *args)
    assert got == code and out == ""
    assert len(err.splitlines()) == 1 and message in err, err
    assert dump(demo) == before


def test_hostile_titles_are_cleaned_and_escaped(demo: Path) -> None:
    title = "\x1b]52;c;aGk=\x07Launch; a, b \\ [bold]x[/bold] \x1b[31mred"
    code, out, _ = run(demo, "add", title, "--publish", "2026-11-26")
    pid = int(out)
    run(demo, "edit", str(pid), "--key-message", "Line one\nline two; with, commas")
    body = _ical(demo, "--all")
    assert b"\x1b" not in body and b"\x07" not in body
    theirs = next(e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")
                  if str(e["UID"]).startswith(f"piece-{pid}-publish@"))
    assert str(theirs["SUMMARY"]) == "Launch; a, b \\ [bold]x[/bold] red"
    ours = next(e for e in parse(body).walk("VEVENT")
                if e.get("UID").value.startswith(f"piece-{pid}-publish@"))
    assert ours.get("SUMMARY").text == "Launch; a, b \\ [bold]x[/bold] red"
    assert "Key message: Line one\nline two; with, commas" in ours.get("DESCRIPTION").text


def test_tokens_only_for_oneself_or_by_an_admin(demo: Path) -> None:
    code, out, err = run(demo, "ical", "token", "ben", user="ana")  # ana is an admin
    assert code == 0 and len(out.strip()) >= 32
    assert "/feed/ben.ics?token=" in err
    token = out.strip()
    assert token not in "\n".join(dump(demo))  # only its hash is kept
    code, out, err = run(demo, "ical", "token", "ana", user="ben")
    assert code == 1 and "only ana or an admin" in err
    assert run(demo, "ical", "token", "me", user="ben")[0] == 0
    code, out, _ = run(demo, "ical", "token", "ben", "--revoke", user="ben")
    assert (code, out.strip()) == (0, "revoked ben's calendar token")
    code, out, _ = run(demo, "ical", "token", "ben", "--revoke", user="ben")
    assert out.strip() == "ben had no calendar token"
    code, _, err = run(demo, "ical", "token", "zed")
    assert code == 2 and "unknown person 'zed'" in err


def test_calendar_in_a_real_process(cli: Any, demo: Path) -> None:
    code, out, err = cli("calendar", "--from", "2026-11-21", "--to", "2026-11-21",
                         env={"PRODBOARD_NOW": NOW})
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("2026-11-21 Sat  publish        #13")
    code, out, err = cli("ical", "--person", "fatima", env={"PRODBOARD_NOW": NOW})
    assert code == 0 and out.startswith("BEGIN:VCALENDAR")
    assert icalendar.Calendar.from_ical(out)["X-WR-CALNAME"] == "Acme content studio"


def test_the_cached_render_is_the_same_bytes(make_session: Any) -> None:
    from prodboard.services import calendar, ical

    s = make_session("ana", demo=True)
    q = s.queries
    pieces, uid = calendar.select_pieces(q), calendar.board_uid(q)
    plain = ical.render(pieces, s.workflow, q.board_name(), uid)
    whole = icalendar.Calendar()  # icalendar writing the whole calendar itself
    for name in ("prodid", "version", "calscale", "name", "x-wr-calname"):
        whole.add(name, {"prodid": ical.PRODID, "version": "2.0", "calscale": "GREGORIAN"}
                  .get(name, "Acme content studio"))
    for p in sorted(pieces, key=lambda p: p.id):
        for ev in ical.piece_events(p, s.workflow, uid):
            whole.add_component(ev)
    assert whole.to_ical() == plain
    cache: ical.Cache = {}
    assert ical.render(pieces, s.workflow, q.board_name(), uid, cache) == plain
    assert len(cache) == len(pieces)
    assert ical.render(pieces, s.workflow, q.board_name(), uid, cache) == plain  # from the cache
    s.board.edit(7, {"publish_date": "2026-12-30"})
    moved = calendar.select_pieces(q)
    fresh = ical.render(moved, s.workflow, q.board_name(), uid)
    assert ical.render(moved, s.workflow, q.board_name(), uid, cache) == fresh != plain

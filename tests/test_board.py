"""The commands: each writes its state and exactly one event, and the rules hold."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from prodboard.domain.values import EventView
from prodboard.errors import BadInput, Conflict, NotFound, Refused
from prodboard.services.context import Workspace

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BRIEF = {
    "audience": "Heads of content at 50-500 person SaaS companies",
    "desired_action": "Book a demo",
    "business_goal": "Pipeline for Q3",
    "success_metrics": "40 demo requests",
}


def strings(value: Any) -> list[str]:
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*strings(k), *strings(v))]
    if isinstance(value, list | tuple):
        return [t for v in value for t in strings(v)]
    return []


class Team:
    """Three people on one board: ana (pm, strategist), ben (editor), chloe (writer)."""

    def __init__(self, make_session: Callable[..., Workspace]) -> None:
        self.open = make_session  # more sessions on the same board
        self.ana = make_session("ana")
        self.ana.board.set_person("ana", display_name="Ana Ruiz", roles=["pm", "strategist"])
        self.ana.board.add_person("ben", "Ben Okafor", ["editor"])
        self.ana.board.add_person("chloe", "Chloé Martin", ["writer"])
        self.ben = make_session("ben")
        self.chloe = make_session("chloe")

    def last(self) -> int:
        return self.ana.queries.last_event_id()

    def one_event(self, fn: Callable[[], Any]) -> tuple[Any, EventView]:
        """Run one command; assert it recorded exactly one event and return both."""
        before = self.last()
        result = fn()
        events = self.ana.queries.events_since(before)
        assert len(events) == 1, [e.kind for e in events]
        return result, events[0]

    def no_event(self, fn: Callable[[], Any], error: type[Exception] | None = None) -> Any:
        """Run a command that must change nothing: no event, and optionally an error."""
        before = self.last()
        if error is None:
            result = fn()
        else:
            with pytest.raises(error) as info:
                fn()
            result = info.value
        assert self.ana.queries.events_since(before) == []
        return result

    def piece(self, pid: int) -> Any:
        found = self.ana.queries.piece(pid)
        assert found is not None
        return found


@pytest.fixture
def team(make_session: Callable[..., Workspace], board_location: str) -> Team:
    """The team on a fresh board, once on SQLite and once on PostgreSQL."""
    return Team(partial(make_session, db=board_location))


# -- each command, its state and its one event -------------------------------------------------


def test_create(team: Team) -> None:
    pid, ev = team.one_event(lambda: team.ana.board.create(
        "Pricing page refresh", owner="chloe", format="Video", tags=["seo", "seo", "pricing"],
        due="2025-03-01"))
    assert (ev.kind, ev.actor, ev.piece_id) == ("piece.created", "ana", pid)
    assert ev.data["title"] == "Pricing page refresh"
    assert ev.data["stage"] == "ideas" and ev.data["owner"] == "chloe" and ev.data["version"] == 1
    p = team.piece(pid)
    assert (p.stage, p.owner, p.format, p.tags, p.due, p.version) == (
        "ideas", "chloe", "video", ("seo", "pricing"), "2025-03-01", 1)


def test_create_puts_pieces_at_the_end_of_their_stage(team: Team) -> None:
    ids = [team.ana.board.create(f"Piece {i}", stage="draft", imported=True) for i in range(3)]
    assert [p.id for p in team.ana.queries.pieces(stage="draft")] == ids


def test_create_many_records_one_event_per_piece(team: Team) -> None:
    before = team.last()
    ids = team.ana.board.create_many([{"title": "A"}, {"title": "B", "stage": "draft"}])
    events = team.ana.queries.events_since(before)
    assert [(e.kind, e.piece_id) for e in events] == [("piece.created", i) for i in ids]


def test_edit_records_before_and_after(team: Team) -> None:
    pid = team.ana.board.create("Old title", tags=["x"])
    piece, ev = team.one_event(lambda: team.chloe.board.edit(pid, {
        "title": "New title", "tags": "y, z", "due": "2025-03-01", "priority": "1", "cost": 12.5,
        "audience": "Editors",
    }))
    assert ev.kind == "piece.edited" and ev.actor == "chloe"
    assert ev.changes == {
        "title": ["Old title", "New title"], "tags": [["x"], ["y", "z"]],
        "due": [None, "2025-03-01"], "priority": [2, 1], "cost": [0.0, 12.5],
        "audience": ["", "Editors"],
    }
    assert ev.data["version"] == 2 == piece.version
    assert (piece.title, piece.tags, piece.priority, piece.cost) == ("New title", ("y", "z"), 1, 12.5)


def test_edit_that_changes_nothing_records_nothing(team: Team) -> None:
    pid = team.ana.board.create("Same", tags=["x"], cost=3)
    piece = team.no_event(lambda: team.ana.board.edit(pid, {"title": "Same", "tags": ["x"], "cost": 3}))
    assert piece.version == 1 == team.piece(pid).version


def test_move(team: Team) -> None:
    pid = team.ana.board.create("Idea")
    piece, ev = team.one_event(lambda: team.ana.board.move(pid, "Brief", note="ready to plan"))
    assert ev.kind == "piece.moved"
    assert ev.changes["stage"] == ["ideas", "brief"]
    assert ev.data["note"] == "ready to plan" and ev.data["version"] == 2
    assert piece.stage == "brief" == team.piece(pid).stage
    refused = team.no_event(lambda: team.ana.board.move(pid, "brief"), Refused)
    assert "already in Brief" in str(refused)


def test_reorder_swaps_with_the_neighbour(team: Team) -> None:
    a, b, c = (team.ana.board.create(t) for t in "ABC")
    _, ev = team.one_event(lambda: team.ana.board.reorder(c, -1))
    assert ev.kind == "piece.reordered" and ev.piece_id == c
    assert ev.data["swapped_with"] == b
    assert ev.changes == {"rank": [3.0, 2.0]}
    assert [p.id for p in team.ana.queries.pieces(stage="ideas")] == [a, c, b]
    team.no_event(lambda: team.ana.board.reorder(a, -1))  # already at the top
    assert [p.id for p in team.ana.queries.pieces(stage="ideas")] == [a, c, b]


def test_assign_and_unassign(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    _, ev = team.one_event(lambda: team.ana.board.assign(pid, "@Chloe"))
    assert (ev.kind, ev.changes["owner"]) == ("piece.assigned", [None, "chloe"])
    _, ev = team.one_event(lambda: team.ana.board.assign(pid, None))
    assert ev.changes["owner"] == ["chloe", None]
    assert team.piece(pid).owner is None


def test_comment_with_handle_and_role_mentions(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    body = "Over to @ben and @Editor; not @nobody, not mail@example.com, again @ben."
    cid, ev = team.one_event(lambda: team.chloe.board.comment(pid, body))
    assert ev.kind == "comment.added" and ev.actor == "chloe"
    assert ev.data["comment_id"] == cid and ev.data["body"] == body
    assert ev.data["mentions"] == ["ben", "editor"]
    [stored] = team.ana.queries.comments(pid)
    assert (stored.id, stored.author, stored.body, stored.mentions) == (cid, "chloe", body, ("ben", "editor"))
    # The author and the people mentioned by handle now watch the piece.
    assert team.ana.queries.watchers(pid) == {"chloe", "ben"}
    team.no_event(lambda: team.chloe.board.comment(pid, " \x1b\x07 "), BadInput)


def test_tick_and_untick(team: Team) -> None:
    pid = team.ana.board.create("Piece", stage="optimize", imported=True)
    piece, ev = team.one_event(lambda: team.chloe.board.tick(pid, "Brand voice"))
    assert ev.kind == "checklist.ticked" and ev.data["item"] == "brand_voice"
    before, after = ev.changes["checklist"]
    assert before == {} and after["brand_voice"]["by"] == "chloe"
    assert piece.checklist["brand_voice"]["by"] == "chloe"
    _, ev = team.one_event(lambda: team.chloe.board.tick(pid, "brand_voice", done=False))
    assert ev.kind == "checklist.unticked" and ev.changes["checklist"][1] == {}
    assert team.piece(pid).checklist == {}
    err = team.no_event(lambda: team.chloe.board.tick(pid, "vibes"), BadInput)
    assert "brand_voice" in str(err)


def test_social_posts_have_their_own_checklist(team: Team) -> None:
    pid = team.ana.board.create("Post", format="social post", stage="optimize", imported=True)
    team.no_event(lambda: team.ana.board.tick(pid, "seo"), BadInput)
    team.one_event(lambda: team.ana.board.tick(pid, "legal"))


def test_archive_and_restore(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    _, ev = team.one_event(lambda: team.ana.board.archive(pid, "duplicate of #3"))
    assert ev.kind == "piece.archived" and ev.data["reason"] == "duplicate of #3"
    assert ev.changes["archived"] == [False, True]
    assert team.ana.queries.pieces() == []
    assert [p.id for p in team.ana.queries.pieces(archived=True)] == [pid]
    team.no_event(lambda: team.ana.board.archive(pid), Refused)
    team.no_event(lambda: team.ana.board.move(pid, "draft"), Refused)
    _, ev = team.one_event(lambda: team.ana.board.restore(pid))
    assert ev.kind == "piece.restored" and ev.changes["archived"] == [True, False]
    assert [p.id for p in team.ana.queries.pieces()] == [pid]
    team.no_event(lambda: team.ana.board.restore(pid), Refused)


def test_reject_needs_a_reason(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    team.no_event(lambda: team.ana.board.reject(pid, "  "), BadInput)
    piece, ev = team.one_event(lambda: team.ana.board.reject(pid, "off brand"))
    assert ev.kind == "piece.rejected" and ev.data["reason"] == "off brand"
    assert piece.archived and piece.archive_reason == "off brand"


def test_approve_is_for_editors(team: Team) -> None:
    pid = team.ana.board.create("Piece", stage="review", imported=True)
    err = team.no_event(lambda: team.chloe.board.approve(pid), Refused)
    assert "editor" in str(err)
    piece, ev = team.one_event(lambda: team.ben.board.approve(pid))
    assert ev.kind == "piece.approved" and ev.actor == "ben"
    assert ev.changes["stage"] == ["review", "optimize"] and ev.changes["approved_by"] == [None, "ben"]
    assert ev.data["delegated"] is False
    assert (piece.stage, piece.approved_by, piece.approval_delegated) == ("optimize", "ben", False)
    team.no_event(lambda: team.ben.board.approve(pid), Refused)  # no longer in review


def test_request_changes_is_a_revision_round(team: Team) -> None:
    pid = team.ana.board.create("Piece", stage="review", imported=True)
    team.no_event(lambda: team.ben.board.request_changes(pid, ""), BadInput)
    piece, ev = team.one_event(lambda: team.ben.board.request_changes(pid, "tighten the intro"))
    assert ev.kind == "piece.changes_requested" and ev.data["note"] == "tighten the intro"
    assert ev.changes["stage"] == ["review", "draft"] and ev.changes["revision_rounds"] == [0, 1]
    assert ev.data["revision"] == 1
    assert (piece.stage, piece.revision_rounds) == ("draft", 1)


def test_watch_and_unwatch(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    changed, ev = team.one_event(lambda: team.chloe.board.watch(pid))
    assert changed is True and (ev.kind, ev.actor) == ("piece.watched", "chloe")
    assert team.no_event(lambda: team.chloe.board.watch(pid)) is False
    assert team.ana.queries.watchers(pid) == {"chloe"}
    changed, ev = team.one_event(lambda: team.chloe.board.watch(pid, on=False))
    assert changed is True and ev.kind == "piece.unwatched"
    assert team.ana.queries.watchers(pid) == set()


def test_people_commands(team: Team) -> None:
    _, ev = team.one_event(lambda: team.ana.board.add_person("@Dev", "Dev Patel", ["Designer"]))
    assert ev.kind == "person.added"
    assert ev.data == {"handle": "dev", "display_name": "Dev Patel", "roles": ["designer"]}
    team.no_event(lambda: team.ana.board.add_person("dev"), BadInput)
    team.no_event(lambda: team.ana.board.add_person("not valid!"), BadInput)

    _, ev = team.one_event(lambda: team.ana.board.set_away("chloe", True, "out sick", delegate="ben"))
    assert ev.kind == "person.away"
    assert ev.data == {"handle": "chloe", "away": True, "away_note": "out sick", "delegate": "ben",
                       "changes": {"away": [False, True], "away_note": ["", "out sick"],
                                   "delegate": [None, "ben"]}}
    chloe = team.ana.queries.person("chloe")
    assert chloe is not None and (chloe.away, chloe.away_note, chloe.delegate) == (True, "out sick", "ben")
    _, ev = team.one_event(lambda: team.ana.board.set_away("chloe", False))
    assert ev.kind == "person.back" and ev.data["away"] is False
    chloe = team.ana.queries.person("chloe")
    assert chloe is not None and (chloe.away, chloe.away_note) == (False, "")

    _, ev = team.one_event(lambda: team.ana.board.set_person(
        "chloe", roles=["writer", "sme"], alert_level="all", display_name="Chloé M."))
    assert ev.kind == "person.changed" and ev.data["roles"] == ["writer", "sme"]
    assert ev.changes == {"roles": [["writer"], ["writer", "sme"]], "alert_level": ["involved", "all"],
                          "display_name": ["Chloé Martin", "Chloé M."]}
    chloe = team.ana.queries.person("chloe")
    assert chloe is not None
    assert (chloe.roles, chloe.alert_level, chloe.display_name) == (("writer", "sme"), "all", "Chloé M.")
    team.no_event(lambda: team.ana.board.set_person("chloe", alert_level="loud"), BadInput)
    team.no_event(lambda: team.ana.board.set_person("chloe", email="x@y"), BadInput)
    team.no_event(lambda: team.ana.board.set_away("zed", True), NotFound)


def test_a_newcomer_acts_only_after_joining(team: Team) -> None:
    with pytest.raises(NotFound, match="unknown person 'newbie'"):
        team.open("newbie")  # --user must name someone on the board
    s = team.open("newbie", newcomer=True)
    team.no_event(lambda: s.board.create("Hello"), NotFound)
    s.board.join()
    pid = s.board.create("Hello")
    kinds = [(e.kind, e.actor) for e in s.queries.events_since(team.last() - 2)]
    assert kinds == [("person.joined", "newbie"), ("piece.created", "newbie")]
    assert s.queries.piece(pid) is not None and s.queries.person("newbie") is not None


def test_rename(team: Team) -> None:
    old = team.ana.queries.board_name()
    _, ev = team.one_event(lambda: team.ana.board.rename("Growth content\x1b[2J"))
    assert ev.kind == "board.renamed" and ev.changes == {"board_name": [old, "Growth content"]}
    assert team.ana.queries.board_name() == "Growth content"
    team.no_event(lambda: team.ana.board.rename("  "), BadInput)


def test_mark_read_moves_a_private_cursor_forward_only(team: Team) -> None:
    # A read cursor is the reader's own state, not a change to the board: recording an
    # event for it would make every board that marks events read produce new unread events.
    team.ana.board.create("Piece")
    last = team.last()
    team.no_event(lambda: team.chloe.board.mark_read(last))
    assert team.ana.queries.read_cursor("chloe") == last
    team.chloe.board.mark_read(1)
    assert team.ana.queries.read_cursor("chloe") == last
    assert team.ana.queries.read_cursor("ben") == 0


def test_time_based_alert_is_raised_once(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    eid, ev = team.one_event(lambda: team.ben.board.raise_once(f"due:{pid}", "piece.overdue", pid, {}))
    assert ev.id == eid and ev.kind == "piece.overdue" and ev.actor == "prodboard"
    assert team.no_event(lambda: team.chloe.board.raise_once(f"due:{pid}", "piece.overdue", pid, {})) is None


def test_event_ids_strictly_increase(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    team.chloe.board.comment(pid, "hi")
    team.ben.board.edit(pid, {"title": "Piece 2"})
    with pytest.raises(Refused):
        team.ana.board.move(pid, "draft")
    team.ana.board.move(pid, "brief")
    ids = [e.id for e in team.ana.queries.events_since(0)]
    assert ids == sorted(set(ids)) and ids == list(range(ids[0], ids[0] + len(ids)))
    assert [e.kind for e in team.ana.queries.history(pid)] == [
        "piece.created", "comment.added", "piece.edited", "piece.moved"]
    assert [e.id for e in team.ana.queries.events_since(ids[-3])] == ids[-2:]


# -- text people type ---------------------------------------------------------------------------


def test_control_characters_are_removed(team: Team) -> None:
    title = "Launch\x1b[31m red\x1b[0m\x07 now\x9b2J\x00"
    pid, ev = team.one_event(lambda: team.ana.board.create(title))
    assert team.piece(pid).title == "Launch red now" == ev.data["title"]  # whole sequences go
    body = "line one\r\nline two\x1b]0;pwned\x07\tend\x85"
    team.chloe.board.comment(pid, body)
    [stored] = team.ana.queries.comments(pid)
    assert stored.body == "line one\nline two\tend"
    team.ana.board.edit(pid, {"audience": "x\x1bP1;2|y", "tags": ["a\x1b", "b\x9b"]})
    piece = team.piece(pid)
    assert (piece.audience, piece.tags) == ("x", ("a", "b"))  # an open DCS runs to the end
    for ev in team.ana.queries.history(pid):
        assert not [t for t in strings(ev.data) if CONTROL.search(t)], ev


def test_unicode_and_markup_are_kept_verbatim(team: Team) -> None:
    title = "🚀 Launch — مرحبا بالعالم שלום [bold]x[/b] [link=http://x]y[/link] 1 < 2 & ✓"
    pid, ev = team.one_event(lambda: team.ana.board.create(title, tags=["[red]tag[/red]", "日本語"]))
    piece = team.piece(pid)
    assert piece.title == title == ev.data["title"]
    assert piece.tags == ("[red]tag[/red]", "日本語")
    body = "👍🏽 looks good\nמצוין [i]really[/i] @ben"
    team.chloe.board.comment(pid, body)
    assert team.ana.queries.comments(pid)[0].body == body


def test_titles_become_one_line(team: Team) -> None:
    pid = team.ana.board.create("two\nlines\r\nhere")
    assert team.piece(pid).title == "two lines here"
    team.no_event(lambda: team.ana.board.create("\x1b\x07 \n"), BadInput)


# -- bad input ------------------------------------------------------------------------------------


def test_unknown_stage_person_piece_and_bad_values(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    err = team.no_event(lambda: team.ana.board.move(pid, "limbo"), BadInput)
    assert "limbo" in str(err) and "draft" in str(err)
    team.no_event(lambda: team.ana.board.create("X", stage="limbo"), BadInput)
    err = team.no_event(lambda: team.ana.board.assign(pid, "zed"), NotFound)
    assert "zed" in str(err)
    team.no_event(lambda: team.ana.board.create("X", owner="zed"), NotFound)
    team.no_event(lambda: team.ana.board.edit(pid, {"reviewers": "ben, zed"}), NotFound)
    for command in (
        lambda: team.ana.board.edit(999, {"title": "x"}),
        lambda: team.ana.board.move(999, "draft"),
        lambda: team.ana.board.comment(999, "x"),
        lambda: team.ana.board.tick(999, "seo"),
        lambda: team.ana.board.archive(999),
        lambda: team.ana.board.watch(999),
    ):
        err = team.no_event(command, NotFound)
        assert "#999" in str(err)
    bad: list[dict[str, Any]] = [{"due": "2025-02-30"}, {"priority": 9}, {"priority": "high"},
                                 {"cost": -1}, {"cost": "lots"}, {"version": 7}, {"title": ""}, {}]
    for changes in bad:
        err = team.no_event(partial(team.ana.board.edit, pid, changes), BadInput)
        assert err.exit_code == 2 and "\n" not in str(err)
    assert team.piece(pid).version == 1


# -- concurrent edits -----------------------------------------------------------------------------


def test_stale_edit_of_the_same_field_conflicts(team: Team) -> None:
    pid = team.ana.board.create("Original", tags=["x"])
    seen = team.piece(pid).version
    team.ben.board.edit(pid, {"title": "Ben's title"})
    err = team.no_event(lambda: team.ana.board.edit(pid, {"title": "Ana's", "due": "2025-05-01"},
                                                    base_version=seen), Conflict)
    assert err.fields == ("title",) and err.by == ("ben",) and err.exit_code == 1
    assert "ben" in str(err) and "title" in str(err)
    piece = team.piece(pid)
    assert (piece.title, piece.due, piece.version) == ("Ben's title", None, 2)


def test_stale_edit_conflicts_even_after_comments_and_watches(team: Team) -> None:
    pid = team.ana.board.create("Original")
    seen = team.piece(pid).version
    team.ben.board.edit(pid, {"title": "Ben's title"})
    team.chloe.board.comment(pid, "looks good")  # events that change no field
    team.chloe.board.watch(pid, on=False)
    err = team.no_event(lambda: team.ana.board.edit(pid, {"title": "Ana's"}, base_version=seen), Conflict)
    assert err.fields == ("title",) and err.by == ("ben",)
    assert team.piece(pid).title == "Ben's title"


def test_stale_edit_of_other_fields_merges(team: Team) -> None:
    pid = team.ana.board.create("Original")
    seen = team.piece(pid).version
    team.ben.board.edit(pid, {"title": "Ben's title"})
    team.chloe.board.assign(pid, "chloe")
    piece, ev = team.one_event(lambda: team.ana.board.edit(pid, {"audience": "CMOs"}, base_version=seen))
    assert (piece.title, piece.audience, piece.owner) == ("Ben's title", "CMOs", "chloe")
    assert piece.version == 4 == ev.data["version"]
    assert ev.changes == {"audience": ["", "CMOs"]}


def test_stale_move_conflicts_with_a_move(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    seen = team.piece(pid).version
    team.ben.board.move(pid, "brief")
    err = team.no_event(lambda: team.chloe.board.move(pid, "ideas", base_version=seen), Conflict)
    assert err.fields == ("stage",) and err.by == ("ben",)
    team.ana.board.edit(pid, {"title": "Renamed"})
    seen = team.piece(pid).version
    team.ben.board.edit(pid, {"due": "2025-06-01"})
    _, ev = team.one_event(lambda: team.chloe.board.move(pid, "ideas", base_version=seen))
    assert ev.changes["stage"] == ["brief", "ideas"]


# -- gates -----------------------------------------------------------------------------------------


def test_brief_gate_names_the_missing_fields(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    err = team.no_event(lambda: team.chloe.board.move(pid, "draft"), Refused)
    assert err.missing == ("audience", "desired action", "business goal", "success metrics")
    assert "brief gate" in str(err) and "success metrics" in str(err) and err.exit_code == 1
    team.ana.board.move(pid, "brief")  # into the brief stage: no gate yet
    team.ana.board.edit(pid, {"audience": BRIEF["audience"], "desired_action": BRIEF["desired_action"]})
    err = team.no_event(lambda: team.chloe.board.move(pid, "draft"), Refused)
    assert err.missing == ("business goal", "success metrics")
    team.ana.board.edit(pid, {"business_goal": BRIEF["business_goal"], "success_metrics": " "})
    err = team.no_event(lambda: team.chloe.board.move(pid, "draft"), Refused)
    assert err.missing == ("success metrics",)  # blank text does not count
    team.ana.board.edit(pid, {"success_metrics": BRIEF["success_metrics"]})
    piece, ev = team.one_event(lambda: team.chloe.board.move(pid, "draft"))
    assert piece.stage == "draft" and "override" not in ev.data


def test_gate_override_needs_a_role_and_is_recorded(team: Team) -> None:
    pid = team.ana.board.create("Piece")
    err = team.no_event(lambda: team.chloe.board.move(pid, "draft", override="deadline"), Refused)
    assert "pm or strategist" in str(err)
    err = team.no_event(lambda: team.ana.board.move(pid, "draft", override="   "), BadInput)
    assert "give a reason" in str(err)  # not the gate's refusal: the reason is what is missing
    piece, ev = team.one_event(
        lambda: team.ana.board.move(pid, "draft", override="launch is Monday\x1b[2J"))
    assert piece.stage == "draft"
    assert ev.data["override"] == "launch is Monday" and ev.data["overridden"] == ["brief"]
    assert ev.actor == "ana"


def test_review_and_checklist_gates(team: Team) -> None:
    pid = team.ana.board.create("Piece", stage="review", imported=True)
    err = team.no_event(lambda: team.ana.board.move(pid, "optimize"), Refused)
    assert err.missing == ("an approval",)
    team.ben.board.approve(pid)
    err = team.no_event(lambda: team.ana.board.move(pid, "scheduled"), Refused)
    assert "pre-publish gate" in str(err) and len(err.missing) == 5 and "SEO" in err.missing
    for item in ("brand_voice", "seo", "legal", "channels"):
        team.chloe.board.tick(pid, item)
    err = team.no_event(lambda: team.ana.board.move(pid, "scheduled"), Refused)
    assert err.missing == ("Analytics tracking",)
    team.chloe.board.tick(pid, "analytics")
    assert team.ana.board.move(pid, "published").stage == "published"
    team.ana.board.move(pid, "review")  # back into review: the old approval no longer counts
    piece = team.piece(pid)
    assert piece.approved_by is None
    team.no_event(lambda: team.ana.board.move(pid, "optimize"), Refused)


def test_review_back_to_draft_counts_revision_rounds(team: Team) -> None:
    pid = team.ana.board.create("Piece", stage="review", imported=True)  # a blog post: limit 2 rounds
    for expected in (1, 2, 3):
        piece, ev = team.one_event(lambda: team.chloe.board.move(pid, "draft"))
        assert piece.revision_rounds == expected == ev.data["revision"]
        assert ev.changes["revision_rounds"] == [expected - 1, expected]
        assert ("revision_limit_exceeded" in ev.data) is (expected > 2)
        team.chloe.board.move(pid, "review")
    assert ev.data["revision_limit_exceeded"] == 2
    other = team.ana.board.create("Other", stage="optimize", imported=True)
    team.ana.board.move(other, "draft")  # backwards, but not from review: not a revision
    assert team.piece(other).revision_rounds == 0


def test_wip_warnings_are_in_the_event(team: Team) -> None:
    for i in range(5):
        team.ana.board.create(f"In review {i}", stage="review", imported=True)
    pid = team.ana.board.create("One more", stage="draft", imported=True)
    piece, ev = team.one_event(lambda: team.ana.board.move(pid, "review"))
    assert piece.stage == "review"  # a warning, not a refusal
    assert ev.data["wip_exceeded"] == {"stage": "review", "count": 6, "limit": 5}
    calm = team.ana.board.create("Calm", stage="ideas")
    _, ev = team.one_event(lambda: team.ana.board.move(calm, "brief"))
    assert "wip_exceeded" not in ev.data


def test_person_wip_warning(make_session: Callable[..., Workspace], tmp_path: Path) -> None:
    config = tmp_path / "prodboard.toml"
    config.write_text("[board]\nwip_per_person = 1\n")
    s = make_session("ana", config=config)
    assert s.workflow.wip_per_person == 1
    s.board.add_person("chloe", "Chloé", ["writer"])
    first = s.board.create("First", stage="draft", owner="chloe", imported=True)
    second = s.board.create("Second", stage="draft", imported=True)
    idea = s.board.create("Idea", stage="ideas", owner="chloe")  # ideas do not count
    before = s.queries.last_event_id()
    s.board.assign(second, "chloe")
    [ev] = s.queries.events_since(before)
    assert ev.data["person_wip_exceeded"] == {"person": "chloe", "count": 2, "limit": 1}
    assert first and idea

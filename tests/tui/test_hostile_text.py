"""Someone else's text is shown as typed, on every screen: names, roles, formats, tags,
channels, comments, notes, and the stage names and checklist items of the team's
config. Markup in it never styles, links or runs an action (a click on it does
nothing), and no escape byte reaches the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from prodboard.domain.describe import describe_event
from prodboard.services.alerts import load_inbox
from prodboard.services.context import open_board
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.screens.forms import AssignForm, CommentForm, FilterForm, PieceForm, ReasonForm
from prodboard.tui.screens.inbox import InboxScreen
from prodboard.tui.screens.piece import PieceScreen

from .helpers import shown_toasts, until
from .screen_text import HOSTILE, OSC, assert_shown_literally, record_actions

SIZE = (200, 50)
KEYS = ("ideas", "brief", "draft", "review", "optimize", "published")
GATES = {"brief": "brief", "review": "approval", "optimize": "checklist"}


def hostile_config(path: Path) -> None:
    """A team file whose board name, stage names, checklist items and formats are all
    hostile text."""
    q = json.dumps  # a JSON string is a TOML basic string
    lines = ["[board]", f"name = {q(HOSTILE[0])}", ""]
    for key, name in zip(KEYS, HOSTILE, strict=True):
        lines += ["[[stages]]", f"key = {q(key)}", f"name = {q(name)}"]
        if key in GATES:
            lines.append(f"gate = {q(GATES[key])}")
        lines.append("")
    lines.append("[checklist]")
    lines += [f"c{i} = {q(h)}" for i, h in enumerate(HOSTILE)]
    lines.append("")
    for h in HOSTILE:
        lines += [f"[formats.{q(h)}]", "revision_limit = 2", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


class Hostile:
    """The hostile board: piece ``ids[i]`` carries ``HOSTILE[i]`` in every text field
    and sits in stage ``KEYS[i]``; ``review`` and ``brief`` are spare pieces for the
    decision forms."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.ana = open_board(db, "ana", create=True)  # the board's creator
        ana = self.ana.board
        ana.set_person("ana", roles=["strategist", "pm"])
        ana.add_person("ben", "Ben", ["editor"])
        for i, h in enumerate(HOSTILE):
            ana.add_person(f"mal{i}", h, [h])
        self.ids = [
            ana.create(h + OSC, stage=KEYS[i], owner=f"mal{i}", format=h, imported=True,
                       tags=h, channels=h, links=h, audience=h + OSC, desired_action=h,
                       success_metrics=h, key_message=h, reviewers="ben")
            for i, h in enumerate(HOSTILE)
        ]
        self.review = ana.create(HOSTILE[3], stage="review", owner="mal3", format=HOSTILE[3],
                                 imported=True, reviewers="ben")
        self.brief = ana.create(HOSTILE[1], stage="brief", owner="mal1", format=HOSTILE[1])
        self.ben = open_board(db, "ben")
        for i, pid in enumerate(self.ids):
            self.ben.board.comment(pid, f"@ana {HOSTILE[i]}{OSC}")
        self.ben.board.request_changes(self.ids[3], HOSTILE[3] + OSC)
        ana.move(self.ids[1], "draft", override=HOSTILE[1] + OSC)
        ana.tick(self.ids[4], "c0")

    def app(self, user: str = "ana", live: bool = False) -> tuple[ProdboardApp, list[str]]:
        session = self.ana if user == "ana" else self.ben if user == "ben" else open_board(
            self.db, user)
        app = make_app(session, live=live)
        return app, record_actions(app)

    def close(self) -> None:
        self.ana.close()
        self.ben.close()


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Hostile]:
    hostile_config(tmp_path / "prodboard.toml")  # beside the board: the team's file
    board = Hostile(tmp_path / "board.db")
    yield board
    board.close()


async def test_the_board(hostile: Hostile) -> None:
    app, fired = hostile.app()
    async with app.run_test(size=SIZE) as pilot:
        # card titles, formats and column headers (stage names), and the board's name
        await assert_shown_literally(app, pilot, *HOSTILE)
        assert fired == []
        await pilot.press("slash")
        assert isinstance(app.screen, FilterForm)
        app.screen.query_one(Input).value = HOSTILE[2]
        await pilot.press("enter")
        await pilot.pause()
        await assert_shown_literally(app, pilot, f"filter: {HOSTILE[2]}")
    assert fired == []


async def test_the_piece_screen_every_tab(hostile: Hostile) -> None:
    app, fired = hostile.app()
    wf = app.wf
    async with app.run_test(size=SIZE) as pilot:
        for i, pid in enumerate(hostile.ids):
            app.push_screen(PieceScreen(pid))
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, PieceScreen)
            tabs = screen.query_one("#piece-tabs")
            history = [describe_event(e, wf, with_actor=False) for e in hostile.ana.queries.history(pid)]
            expected = {
                "tab-details": (HOSTILE[i], f"mal{i}"),
                "tab-checklist": HOSTILE,
                "tab-comments": (f"@ana {HOSTILE[i]}",),
                "tab-history": tuple(history),
            }
            for tab, texts in expected.items():
                tabs.active = tab  # type: ignore[attr-defined]
                await pilot.pause()
                await assert_shown_literally(app, pilot, *texts)
            await pilot.press("escape")
            await pilot.pause()
    assert fired == []


async def open_select(app: ProdboardApp, pilot: object, selector: str) -> None:
    app.screen.query_one(selector, Select).focus()
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_the_edit_form_and_its_lists(hostile: Hostile) -> None:
    app, fired = hostile.app()
    async with app.run_test(size=SIZE) as pilot:
        for i, pid in enumerate(hostile.ids):
            app.push_screen(PieceForm(app.session.queries.piece(pid)))
            await pilot.pause()
            assert isinstance(app.screen, PieceForm)
            await assert_shown_literally(app, pilot, HOSTILE[i], f"{HOSTILE[i]} (@mal{i})")
            await open_select(app, pilot, "#f-format")
            await assert_shown_literally(app, pilot, *HOSTILE)  # every format
            await pilot.press("escape")
            await open_select(app, pilot, "#f-owner")
            await assert_shown_literally(app, pilot, *(f"{h} (@mal{j})" for j, h in enumerate(HOSTILE)))
            await pilot.press("escape", "escape")
            await pilot.pause()
    assert fired == []


async def test_the_new_piece_form(hostile: Hostile) -> None:
    app, fired = hostile.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, PieceForm)
        await open_select(app, pilot, "#f-stage")
        await assert_shown_literally(app, pilot, *HOSTILE)  # every stage name
    assert fired == []


async def test_the_comment_and_assign_forms(hostile: Hostile) -> None:
    app, fired = hostile.app()
    async with app.run_test(size=SIZE) as pilot:
        for i, pid in enumerate(hostile.ids):
            assert app.focus_piece(pid)
            await pilot.press("c")
            assert isinstance(app.screen, CommentForm)
            await assert_shown_literally(app, pilot, f"#{pid} {HOSTILE[i]}")
            await pilot.press("escape")
        await pilot.press("a")
        assert isinstance(app.screen, AssignForm)
        # every display name and role
        await assert_shown_literally(app, pilot, *(f"{h} (@mal{j}) {h}" for j, h in enumerate(HOSTILE)))
    assert fired == []


async def test_the_request_changes_and_override_forms(hostile: Hostile) -> None:
    app, fired = hostile.app("ben")
    async with app.run_test(size=SIZE) as pilot:
        assert app.focus_piece(hostile.review)
        await pilot.press("x")
        assert isinstance(app.screen, ReasonForm)
        await assert_shown_literally(app, pilot, f"#{hostile.review} {HOSTILE[3]}")
    assert fired == []
    app, fired = hostile.app("ana")
    async with app.run_test(size=SIZE) as pilot:
        assert app.focus_piece(hostile.brief)
        await pilot.press("o")
        assert isinstance(app.screen, ReasonForm)
        await assert_shown_literally(app, pilot, f"move to {HOSTILE[2]}", f"#{hostile.brief} {HOSTILE[1]}")
    assert fired == []


async def test_the_inbox(hostile: Hostile) -> None:
    app, fired = hostile.app()
    inbox = load_inbox(hostile.ana, "ana")
    assert inbox.alerts
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        assert isinstance(app.screen, InboxScreen)
        await assert_shown_literally(app, pilot, *(a.text for a in inbox.alerts[-10:]))
    assert fired == []


async def test_the_help_screen(hostile: Hostile) -> None:
    app, fired = hostile.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await assert_shown_literally(app, pilot, "Request changes", "Override gate")
    assert fired == []


async def test_toasts(hostile: Hostile) -> None:
    """A live alert quoting someone's comment, and a refusal naming a stage."""
    app, fired = hostile.app(live=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.feed is not None)
        hostile.ben.board.comment(hostile.ids[0], f"@ana {HOSTILE[4]}{OSC}")
        await until(pilot, lambda: any(HOSTILE[4] in str(n.message) for n in app._notifications))
        assert app.focus_piece(hostile.brief)
        await pilot.press("L")  # the brief gate refuses: "cannot move … to <stage name>"
        await until(pilot, lambda: any(n.title == "Refused" for n in app._notifications))
        await pilot.pause()
        shown = [t.render().plain for t in shown_toasts(app.screen)]
        assert any(HOSTILE[4] in s for s in shown), shown
        assert any(s.startswith("Refused\n") and HOSTILE[2] in s for s in shown), shown
        await assert_shown_literally(app, pilot)
    assert fired == []


def test_the_hostile_board_is_what_the_tests_think(hostile: Hostile) -> None:
    """The fixture really holds the hostile text the screens are checked for."""
    wf = hostile.ana.workflow
    assert [s.name for s in wf.stages] == list(HOSTILE)
    assert set(HOSTILE) <= set(wf.formats)
    for i, pid in enumerate(hostile.ids):
        piece = hostile.ana.queries.piece(pid)
        assert piece is not None and piece.format == HOSTILE[i] and HOSTILE[i] in piece.title

"""Review tracks on running boards: two reviewers approve in parallel from two boards
on one real file and the piece moves on once the second approves; the cards and the
piece screen show the tracks; review:me filters; with a fake clock, two running boards
raise each escalation step once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.screens.piece import PieceScreen

from .conftest import NOW
from .helpers import until

SIZE = (140, 40)
TRACKS = '[formats.whitepaper]\nreviews = ["editor", "sme"]\n'


@pytest.fixture
def whitepaper(board_db: Path, open_as: Callable[..., Workspace]) -> int:
    """The demo's whitepaper (hana's; reviewers ben and eli), sent to review under a
    config giving whitepapers an editor and an sme track."""
    (board_db.parent / "prodboard.toml").write_text(TRACKS, encoding="utf-8")
    s = open_as("hana")
    pid = next(p.id for p in s.queries.pieces() if p.format == "whitepaper")
    s.board.move(pid, "review")
    return pid


def card_text(app: ProdboardApp, stage: str) -> str:
    cards = app.column(stage).cards
    return "\n".join(str(cards.render_line(y).text) for y in range(cards.size.height))


def stage_of(s: Workspace, pid: int) -> str:
    piece = s.queries.piece(pid)
    assert piece is not None
    return piece.stage


async def test_two_reviewers_approve_in_parallel_from_two_boards(
    whitepaper: int, open_as: Callable[..., Workspace],
) -> None:
    ben, eli = make_app(open_as("ben"), live=True), make_app(open_as("eli"), live=True)
    async with ben.run_test(size=SIZE, notifications=True) as ben_pilot:
        async with eli.run_test(size=SIZE, notifications=True) as eli_pilot:
            assert "editor · sme" in card_text(ben, "review")
            assert ben.focus_piece(whitepaper) and eli.focus_piece(whitepaper)
            await ben_pilot.press("y")  # both at once: each acts on their own track
            await eli_pilot.press("y")
            await until(ben_pilot, lambda: stage_of(open_as(), whitepaper) == "optimize")
            await until(ben_pilot, lambda: ben.model.pieces[whitepaper].stage == "optimize"
                        and eli.model.pieces[whitepaper].stage == "optimize")
            history = open_as().queries.history(whitepaper)
            decided = [(e.kind, e.actor, e.data.get("track")) for e in history
                       if e.kind in ("review.approved", "piece.approved")]
            assert len(decided) == 2 and decided[-1][0] == "piece.approved"
            assert {(actor, track) for _, actor, track in decided} == {("ben", "editor"),
                                                                        ("eli", "sme")}
            piece = open_as().queries.piece(whitepaper)
            assert piece is not None and piece.approved_by == decided[-1][1]


async def test_the_second_board_sees_the_first_approval_on_the_card(
    whitepaper: int, open_as: Callable[..., Workspace],
) -> None:
    ben, eli = make_app(open_as("ben"), live=True), make_app(open_as("eli"), live=True)
    async with ben.run_test(size=SIZE) as ben_pilot, eli.run_test(size=SIZE) as eli_pilot:
        assert ben.focus_piece(whitepaper)
        await ben_pilot.press("y")
        await until(eli_pilot, lambda: "✓editor · sme" in card_text(eli, "review"))
        assert stage_of(open_as(), whitepaper) == "review"
        assert eli.focus_piece(whitepaper)
        await eli_pilot.press("enter")
        await until(eli_pilot, lambda: isinstance(eli.screen, PieceScreen))
        details = str(eli.screen.query_one("#piece-details").render())
        assert "Review tracks (in parallel)" in details
        assert "approved by ben at 09:00 UTC" in details and "waiting 0 h, left 2 d" in details
        await eli_pilot.press("y")
        await until(eli_pilot, lambda: stage_of(open_as(), whitepaper) == "optimize")


async def test_not_my_track_is_refused_on_the_board(
    whitepaper: int, app_as: Callable[..., ProdboardApp], open_as: Callable[..., Workspace],
) -> None:
    app = app_as("chloe")  # a writer: no track of the whitepaper waits on her
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.focus_piece(whitepaper)
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("waits on you" in str(n.message) for n in app._notifications)
        assert app.screen is app.board_screen  # no note asked for
    assert stage_of(open_as(), whitepaper) == "review"


async def test_review_me_filter(whitepaper: int, app_as: Callable[..., ProdboardApp]) -> None:
    for who, expected in (("eli", True), ("chloe", False)):
        app = app_as(who)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("slash")
            await pilot.press(*"review:me", "enter")
            await pilot.pause()
            assert app.model.filter.describe() == "review:me"
            shown = [p.id for p in app.model.columns["review"]]
            assert (whitepaper in shown) is expected
            assert all(not app.model.columns[s.key] for s in app.wf.stages if s.key != "review")


ESCALATIONS = ("alert.review_track_overdue", "alert.review_track_escalated")


def escalations(s: Workspace) -> Counter[tuple[str, str]]:
    return Counter((e.kind, e.data["role"]) for e in s.queries.events_since(0)
                   if e.kind.startswith("alert.review_track"))


async def two_boards_until(open_as: Callable[..., Workspace], want: set[tuple[str, str]]) -> None:
    """Run two boards (their time checks race) until the escalations ``want`` exist and
    both boards have read every event."""
    ana, ben = make_app(open_as("ana"), live=True), make_app(open_as("ben"), live=True)
    async with ana.run_test(size=SIZE) as pilot, ben.run_test(size=SIZE) as ben_pilot:
        await until(pilot, lambda: set(escalations(open_as())) == want)
        last = open_as().queries.last_event_id()
        await until(pilot, lambda: ana.feed_cursor >= last and ben.feed_cursor >= last)
        await ben_pilot.pause(0.3)


async def test_each_escalation_step_once_with_two_running_boards(
    whitepaper: int, open_as: Callable[..., Workspace], monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = datetime.fromisoformat(NOW)
    roles = ("editor", "sme")
    for hours, kinds in ((49, ("alert.review_track_overdue",)),
                         (97, ("alert.review_track_overdue", "alert.review_track_escalated"))):
        monkeypatch.setenv("PRODBOARD_NOW", (start + timedelta(hours=hours)).isoformat())
        await two_boards_until(open_as, {(k, r) for k in kinds for r in roles})
        assert all(n == 1 for n in escalations(open_as()).values())
    await two_boards_until(open_as, {(k, r) for k in ESCALATIONS for r in roles})  # a restart
    assert all(n == 1 for n in escalations(open_as()).values())
    s = open_as()
    step_two = [e for e in s.queries.events_since(0) if e.kind == "alert.review_track_escalated"]
    assert {r.person for e in step_two for r in s.queries.recipients(e.id)} == {"ana"}  # the pm
    step_one = [e for e in s.queries.events_since(0) if e.kind == "alert.review_track_overdue"
                and e.data["role"] == "editor"]
    assert {r.person for r in s.queries.recipients(step_one[0].id)} == {"ben"}


async def reassign_editor_to_edd(app: ProdboardApp, whitepaper: int, allowed: bool) -> None:
    """Open the piece, press r, pick "editor → edd"; the form closes, or stays with why."""
    from textual.widgets import Static

    from prodboard.tui.screens.reassign import ReassignForm

    async with app.run_test(size=SIZE) as pilot:
        assert app.focus_piece(whitepaper)
        await pilot.press("enter", "r")
        await until(pilot, lambda: isinstance(app.screen, ReassignForm))
        form = app.screen
        assert isinstance(form, ReassignForm)
        assert form.choices == [("editor", "ben"), ("editor", "edd"), ("sme", "eli")]
        await pilot.press("down", "enter")  # editor → edd
        await app.workers.wait_for_complete()
        await pilot.pause()
        if allowed:
            await until(pilot, lambda: isinstance(app.screen, PieceScreen))
        else:  # refused: the form stays, saying why
            assert app.screen is form
            assert "may reassign it" in str(form.query_one("#form-error", Static).render())


async def test_reassigning_a_track_from_the_piece_screen(
    whitepaper: int, app_as: Callable[..., ProdboardApp], open_as: Callable[..., Workspace],
) -> None:
    open_as("ana").board.add_person("edd", "Edd", ["editor"])
    await reassign_editor_to_edd(app_as("chloe"), whitepaper, allowed=False)  # a writer
    piece = open_as().queries.piece(whitepaper)
    assert piece is not None and {t.role: t.reviewer for t in piece.tracks}["editor"] == "ben"
    await reassign_editor_to_edd(app_as("ana"), whitepaper, allowed=True)  # the pm
    piece = open_as().queries.piece(whitepaper)
    assert piece is not None and {t.role: t.reviewer for t in piece.tracks}["editor"] == "edd"


async def test_x_requests_changes_on_my_track(
    whitepaper: int, app_as: Callable[..., ProdboardApp], open_as: Callable[..., Workspace],
) -> None:
    from textual.widgets import Input

    from prodboard.tui.screens.forms import ReasonForm

    app = app_as("eli")
    async with app.run_test(size=SIZE) as pilot:
        assert app.focus_piece(whitepaper)
        await pilot.press("x")
        form = app.screen
        assert isinstance(form, ReasonForm)
        form.query_one(Input).value = "Cite the survey"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is app.board_screen)
    piece = open_as().queries.piece(whitepaper)
    assert piece is not None and (piece.stage, piece.revision_rounds) == ("draft", 1)
    asked = open_as().queries.history(whitepaper)[-1]
    assert (asked.kind, asked.actor, asked.data["track"]) == ("piece.changes_requested", "eli", "sme")

"""Pilot tests: every binding of the board, asserting on the database afterwards."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import DataTable, Input, Select, Static, TextArea

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.board import BOARD_BINDINGS
from prodboard.tui.screens.forms import AssignForm, CommentForm, FilterForm, PieceForm, ReasonForm
from prodboard.tui.screens.help import HelpScreen
from prodboard.tui.screens.piece import PieceScreen

AppMaker = Callable[..., ProdboardApp]
SIZE = (120, 35)


async def settle(app: ProdboardApp, pilot: object) -> None:
    """Wait for the writer thread and the repaint."""
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def toasts(app: ProdboardApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def go_to(app: ProdboardApp, pilot: object, piece_id: int) -> None:
    assert app.focus_piece(piece_id)
    await pilot.pause()  # type: ignore[attr-defined]


async def test_arrows_and_hjkl_move_the_focus(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        first = app.current()
        assert first is not None and first.stage == "ideas"
        await pilot.press("j")
        assert app.current() is not None and app.current().id != first.id  # type: ignore[union-attr]
        await pilot.press("k")
        assert app.current() == first
        await pilot.press("l", "right")
        assert app.focus_stage == "draft"
        await pilot.press("h")
        assert app.focus_stage == "brief"
        await pilot.press("left", "left")  # stops at the first stage
        assert app.focus_stage == "ideas"
        await pilot.press("down", "end")
        assert app.current().id == app.model.columns["ideas"][-1].id  # type: ignore[union-attr]
        await pilot.press("home")
        assert app.current().id == first.id  # type: ignore[union-attr]


async def test_shift_right_moves_the_piece_and_keeps_the_focus(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("chloe")
    async with app.run_test(size=SIZE) as pilot:
        await go_to(app, pilot, 7)  # draft, brief complete
        await pilot.press("shift+right")
        await settle(app, pilot)
        assert open_as().queries.piece(7).stage == "review"  # type: ignore[union-attr]
        assert app.focus_stage == "review" and app.current().id == 7  # type: ignore[union-attr]
        await pilot.press("H")
        await settle(app, pilot)
        piece = open_as().queries.piece(7)
        assert piece is not None and piece.stage == "draft" and piece.revision_rounds == 1
        kinds = [e.kind for e in open_as().queries.history(7)]
        assert kinds[-2:] == ["piece.moved", "piece.moved"]


async def test_refused_move_leaves_the_piece_and_says_why(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await go_to(app, pilot, 5)  # brief without business goal / success metrics
        await pilot.press("L")
        await settle(app, pilot)
        assert open_as().queries.piece(5).stage == "brief"  # type: ignore[union-attr]
        assert app.current().id == 5  # type: ignore[union-attr]
        assert any("business goal" in t and "success metrics" in t for t in toasts(app))


async def test_shift_up_down_reorder_within_the_stage(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        order = [p.id for p in open_as().queries.pieces(stage="ideas")]
        await go_to(app, pilot, order[1])
        await pilot.press("K")
        await settle(app, pilot)
        after = [p.id for p in open_as().queries.pieces(stage="ideas")]
        assert after[:2] == [order[1], order[0]]
        await pilot.press("shift+down")
        await settle(app, pilot)
        assert [p.id for p in open_as().queries.pieces(stage="ideas")] == order
        assert [c.id for c in app.model.columns["ideas"]] == order


async def test_new_piece_form_creates_a_piece(app_as: AppMaker, open_as: Callable[..., Workspace]) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")  # brief column
        await pilot.press("n")
        assert isinstance(app.screen, PieceForm)
        app.screen.query_one("#f-title", Input).value = "Podcast: editing in public"
        app.screen.query_one("#f-due", Input).value = "2026-12-24"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, PieceForm)
        made = [p for p in open_as().queries.pieces() if p.title == "Podcast: editing in public"]
        assert len(made) == 1 and made[0].stage == "brief" and made[0].due == "2026-12-24"
        assert made[0].owner == "ana"
        assert made[0].id in {p.id for p in app.model.columns["brief"]}


async def test_new_piece_form_keeps_input_when_refused(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        form = app.screen
        form.query_one("#f-title", Input).value = "Bad date piece"
        form.query_one("#f-due", Input).value = "next tuesday"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert form.query_one("#f-title", Input).value == "Bad date piece"
        assert "not a date" in str(form.query_one("#form-error", Static).render())


async def test_edit_conflict_keeps_the_form_and_names_the_field(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await go_to(app, pilot, 1)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, PieceForm)
        open_as("ben").board.edit(1, {"title": "Ben's title"})  # someone else, meanwhile
        form.query_one("#f-title", Input).value = "Ana's title"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert form.query_one("#f-title", Input).value == "Ana's title"
        assert "ben changed title" in str(form.query_one("#form-error", Static).render())
        assert open_as().queries.piece(1).title == "Ben's title"  # type: ignore[union-attr]


async def test_edit_merges_when_fields_do_not_overlap(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(app, pilot, 1)
        await pilot.press("e")
        open_as("ben").board.edit(1, {"tags": "seo, q1"})
        app.screen.query_one("#f-audience", TextArea).text = "Ops leads"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        piece = open_as().queries.piece(1)
        assert piece is not None and piece.audience == "Ops leads" and piece.tags == ("seo", "q1")


async def test_comment_and_assign_keys(app_as: AppMaker, open_as: Callable[..., Workspace]) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(app, pilot, 2)
        await pilot.press("c")
        assert isinstance(app.screen, CommentForm)
        app.screen.query_one(TextArea).text = "Can @dev storyboard this? [bold]not markup[/b]"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        comments = open_as().queries.comments(2)
        assert comments[-1].body == "Can @dev storyboard this? [bold]not markup[/b]"
        assert comments[-1].mentions == ("dev",)
        await pilot.press("a")
        assert isinstance(app.screen, AssignForm)
        handles = [p.handle for p in open_as().queries.people()]
        app.screen.query_one("OptionList").highlighted = handles.index("gus") + 1  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(app, pilot)
        assert open_as().queries.piece(2).owner == "gus"  # type: ignore[union-attr]


async def test_filter_and_clear(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.screen, FilterForm)
        await pilot.press(*"owner:hana")
        await pilot.press("enter")
        await pilot.pause()
        shown = [p for col in app.model.columns.values() for p in col]
        assert shown and all(p.owner == "hana" for p in shown)
        assert app.model.counts["draft"] == 3  # counts still tell the whole stage
        await pilot.press("escape")
        await pilot.pause()
        assert sum(len(c) for c in app.model.columns.values()) == len(app.model.pieces)


async def test_open_piece_screen_tick_comment_and_history(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("gus")
    async with app.run_test(size=SIZE) as pilot:
        await go_to(app, pilot, 12)  # optimize, two items ticked
        await pilot.press("enter")
        assert isinstance(app.screen, PieceScreen)
        screen = app.screen
        await pilot.press("t")  # on Details: shows the checklist, ticks nothing
        await settle(app, pilot)
        assert "brand_voice" in open_as().queries.piece(12).checklist  # type: ignore[union-attr]
        await pilot.press("t")  # the cursor is on the first item, already ticked: untick
        await settle(app, pilot)
        assert "brand_voice" not in open_as().queries.piece(12).checklist  # type: ignore[union-attr]
        table = screen.query_one("#checklist", DataTable)
        table.move_cursor(row=2)
        await pilot.press("t")
        await settle(app, pilot)
        ticked = open_as().queries.piece(12).checklist  # type: ignore[union-attr]
        assert ticked["legal"]["by"] == "gus"
        history = screen.query_one("#history", DataTable)
        assert history.row_count == len(open_as().queries.history(12))
        await pilot.press("w")
        await settle(app, pilot)
        assert "gus" in open_as().queries.watchers(12)
        await pilot.press("escape")
        assert not isinstance(app.screen, PieceScreen)


async def test_approve_request_changes_and_override(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("ben")  # an editor
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await go_to(app, pilot, 11)
        await pilot.press("y")
        await settle(app, pilot)
        piece = open_as().queries.piece(11)
        assert piece is not None and piece.stage == "optimize" and piece.approved_by == "ben"
        await go_to(app, pilot, 10)
        await pilot.press("x")
        assert isinstance(app.screen, ReasonForm)
        await pilot.press(*"Cut the intro")
        await pilot.press("enter")
        await settle(app, pilot)
        piece = open_as().queries.piece(10)
        assert piece is not None and piece.stage == "draft" and piece.revision_rounds == 2
        # ben is not allowed to override a gate; the refusal is a toast, no form
        await go_to(app, pilot, 5)
        await pilot.press("o")
        await settle(app, pilot)
        assert not isinstance(app.screen, ReasonForm)
        assert open_as().queries.piece(5).stage == "brief"
        assert any("may override" in t for t in toasts(app))


async def test_override_by_a_manager_is_recorded(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("ana")  # strategist + pm
    async with app.run_test(size=SIZE) as pilot:
        await go_to(app, pilot, 5)
        await pilot.press("o")
        await pilot.press(*"CEO asked for it")
        await pilot.press("enter")
        await settle(app, pilot)
        assert open_as().queries.piece(5).stage == "draft"  # type: ignore[union-attr]
        last = open_as().queries.history(5)[-1]
        assert last.data["override"] == "CEO asked for it"


async def test_help_lists_every_binding(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        ids = {str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        expected = {b.id for b in BOARD_BINDINGS}
        assert expected <= ids
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_mouse_selects_and_opens(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#col-draft CardList", offset=(3, 5))  # the second card
        await pilot.pause()
        assert app.focus_stage == "draft"
        assert app.current().id == app.model.columns["draft"][1].id  # type: ignore[union-attr]
        await pilot.click("#col-draft CardList", offset=(3, 5))
        await pilot.pause()
        assert isinstance(app.screen, PieceScreen)


async def test_quit_key(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 or app.return_code is None
    assert not app.is_running


async def test_palette_offers_every_action(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for needed in ("Open", "New", "Edit", "Comment", "Assign", "Filter", "Approve",
                       "Request changes", "Override gate", "Move to next stage", "Help"):
            assert needed in titles


async def test_remapped_key(app_as: AppMaker, tmp_path: object, monkeypatch: object) -> None:
    from pathlib import Path

    cfg = Path(str(tmp_path)) / "keys.toml"
    cfg.write_text('[keys]\nnew = "N"\n')
    monkeypatch.setenv("PRODBOARD_CONFIG", str(cfg))  # type: ignore[attr-defined]
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert not isinstance(app.screen, PieceForm)
        await pilot.press("N")
        assert isinstance(app.screen, PieceForm)


async def test_read_only_board_opens_with_a_notice(
    board_db: object, app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    import os
    from pathlib import Path

    os.chmod(Path(str(board_db)), 0o444)
    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.session.store.readonly
        assert "READ-ONLY" in str(app.query_one("#tb-notice", Static).render())
        await go_to(app, pilot, 7)
        await pilot.press("L")
        await settle(app, pilot)
        assert any("read-only" in t for t in toasts(app))
        assert open_as().queries.piece(7).stage == "draft"  # type: ignore[union-attr]


async def test_owner_select_lists_people(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=SIZE) as pilot:
        await go_to(app, pilot, 8)
        await pilot.press("e")
        assert app.screen.query_one("#f-owner", Select).value == "hana"


async def test_a_move_someone_else_made_first_is_a_conflict(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("chloe")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await go_to(app, pilot, 13)  # scheduled
        open_as("ben").board.move(13, "published")  # ben, meanwhile, in his terminal
        await pilot.press("H")  # chloe meant Scheduled → Optimize
        await settle(app, pilot)
        assert open_as().queries.piece(13).stage == "published"  # type: ignore[union-attr]
        assert any("ben changed stage" in t for t in toasts(app))


async def test_my_own_quick_moves_are_not_conflicts(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("ana")
    async with app.run_test(size=SIZE) as pilot:
        await go_to(app, pilot, 1)  # ideas
        await pilot.press("L")  # to Brief, then the brief gate refuses the next one
        await pilot.press("H")
        await settle(app, pilot)
        assert open_as().queries.piece(1).stage == "ideas"  # type: ignore[union-attr]
        assert [e.kind for e in open_as().queries.history(1)][-2:] == ["piece.moved"] * 2


async def test_override_key_checks_first(app_as: AppMaker) -> None:
    app = app_as("ben")  # an editor, not allowed to override
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await go_to(app, pilot, 5)
        await pilot.press("o")
        assert not isinstance(app.screen, ReasonForm)
        assert any("may override" in t for t in toasts(app))
        await go_to(app, pilot, 7)  # no gate blocks draft → review
        await pilot.press("o")
        assert not isinstance(app.screen, ReasonForm)
        assert any("No gate blocks" in t for t in toasts(app))


async def test_checklist_tab_takes_the_keys(app_as: AppMaker, open_as: Callable[..., Workspace]) -> None:
    app = app_as("gus")
    async with app.run_test(size=SIZE) as pilot:
        await go_to(app, pilot, 12)
        await pilot.press("enter")
        await pilot.press("right")  # Details → Checklist tab
        await pilot.pause()
        await pilot.press("down", "t")  # the second item: SEO, ticked → unticked
        await settle(app, pilot)
        checklist = open_as().queries.piece(12).checklist  # type: ignore[union-attr]
        assert "seo" not in checklist and "brand_voice" in checklist


async def test_a_big_last_stage_loads_after_the_first_paint(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    open_as("ana").board.create_many(
        [{"title": f"Old post {i}", "stage": "published"} for i in range(700)])
    app = app_as("ana")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.model.counts["published"] == 702
        assert app.column("published").header.render()  # painted
        await go_to(app, pilot, 13)  # scheduled → published still works on the big column
        await pilot.press("L")
        await settle(app, pilot)
        assert app.model.pieces[13].stage == "published"
        assert app.model.columns["published"][0].id == 13  # a moved card lands on top


async def test_piece_screen_decisions_share_the_boards_checks(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("ben")  # an editor: may approve, may not override
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await go_to(app, pilot, 5)
        await pilot.press("enter", "o")
        assert isinstance(app.screen, PieceScreen)  # refused before any form opens
        assert any("may override" in t for t in toasts(app))
        await pilot.press("escape")
        await go_to(app, pilot, 11)
        await pilot.press("enter", "y")
        await settle(app, pilot)
        assert open_as().queries.piece(11).stage == "optimize"  # type: ignore[union-attr]
        assert "Optimize" in str(app.screen.query_one("#piece-title", Static).render())

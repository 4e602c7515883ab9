"""The piece form is made from the field list: one input per typed field, labelled
from it, and what is typed there is cleaned by the same rules as the CLI's flags."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Label, TextArea

from prodboard.domain.fields import AREA, FORM_INPUTS
from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.forms import PieceForm

from .helpers import until


async def test_the_form_has_an_input_per_field_and_saves_through_the_cleaning(
    app_as: Callable[..., ProdboardApp], open_as: Callable[..., Workspace]
) -> None:
    s = open_as()
    pid = s.queries.pieces()[0].id
    app = app_as()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.focus_piece(pid)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, PieceForm)
        labels = [str(label.content) for label in form.query(Label)]
        for field in FORM_INPUTS:
            form.query_one(f"#f-{field.name}", TextArea if field.widget == AREA else Input)
            assert field.form_label in labels, field.name
        form.query_one("#f-links", Input).value = "https://x.test/a,\x1b[31mhttps://x.test/b"
        form.query_one("#f-tags", Input).value = "seo, seo, \x1b]52;c;QQ==\x07launch"
        await pilot.press("ctrl+s")

        def saved() -> bool:
            piece = s.queries.piece(pid)
            return piece is not None and piece.links == ("https://x.test/a", "https://x.test/b")

        await until(pilot, saved)
    piece = s.queries.piece(pid)
    assert piece is not None and piece.tags == ("seo", "launch")

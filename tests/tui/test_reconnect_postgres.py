"""A board on PostgreSQL whose server goes out of reach, and comes back.

The network is cut by a real TCP forwarder in front of the real server (tests/tui/
pg_proxy.py): every connection is reset and new ones are refused, exactly what a
dropped network shows the board, and it can be restored at a chosen moment."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from conftest import new_pg_board
from textual.widgets import Static, TextArea

from prodboard.domain.values import EventView
from prodboard.services.context import open_board
from prodboard.services.feed import ChangeFeed
from prodboard.settings import POLL_INTERVAL
from prodboard.storage.store import remove_board
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.reads import OpenBurst
from prodboard.tui.screens.forms import CommentForm

from .helpers import until
from .pg_proxy import Proxy

SIZE = (120, 35)


@pytest.fixture
def demo_url() -> Iterator[str]:
    url = new_pg_board("reconnect")
    open_board(url, "ana", create=True, demo=True).close()
    yield url
    remove_board(url)


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    p = Proxy()
    yield p
    p.close()


def notice(app: ProdboardApp) -> str:
    return str(app.topbar.query_one("#tb-notice", Static).render())


def delivered_ids(app: ProdboardApp) -> list[int]:
    """Every event id the feed hands the app, in order, repeats included."""
    seen: list[int] = []
    original = app._deliver

    async def deliver(batch: list[EventView], bursts: dict[str, OpenBurst]) -> None:
        seen.extend(e.id for e in batch)
        await original(batch, bursts)

    app._deliver = deliver  # type: ignore[method-assign]
    return seen


def ben_comments(url: str, piece: int, n: int) -> list[int]:
    """Another person, on the server itself, commits while the board is cut off."""
    session = open_board(url, "ben")
    try:
        start = session.queries.last_event_id()
        for i in range(n):
            session.board.comment(piece, f"while you were away {i}")
        return [e.id for e in session.queries.events_since(start)]
    finally:
        session.close()


async def test_cut_off_board_says_reconnecting_refuses_writes_and_catches_up(
    demo_url: str, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(POLL_INTERVAL.name, "0.2")
    app = make_app(open_board(proxy.url(demo_url), "chloe"), live=True)
    seen = delivered_ids(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.feed is not None)
        piece = app.current()
        assert piece is not None
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CommentForm))
        await pilot.press(*"typed offline")

        proxy.cut()
        await until(pilot, lambda: app.reconnecting is not None)
        assert "reconnecting…" in notice(app)
        # The toast is registered when the app handles its Notify message: wait for it.
        await until(pilot, lambda: any(n.title == "Reconnecting" for n in app._notifications))

        await pilot.press("ctrl+s")  # refused: the form stays with what was typed
        form = app.screen
        await until(pilot, lambda: "reconnecting" in str(
            form.query_one("#form-error", Static).render()))
        assert isinstance(app.screen, CommentForm)
        assert app.screen.query_one(TextArea).text == "typed offline"
        assert any("nothing was saved" in str(n.message) for n in app._notifications)

        theirs = await asyncio.to_thread(ben_comments, demo_url, piece.id, 3)
        await pilot.pause(1.0)
        assert "reconnecting…" in notice(app)  # persistent while the server is away
        assert not set(theirs) & set(seen)

        proxy.restore()
        await until(pilot, lambda: app.reconnecting is None, timeout=30)
        assert "reconnecting" not in notice(app)
        assert any("caught up on 3 changes" in str(n.message) for n in app._notifications)
        await until(pilot, lambda: set(theirs) <= set(seen))
        assert [i for i in seen if i in theirs] == theirs  # each once, in order

        await pilot.press("ctrl+s")  # the same form saves now
        await until(pilot, lambda: not isinstance(app.screen, CommentForm))
        await pilot.pause(1.0)
        assert len(seen) == len(set(seen))
    app.session.close()
    check = open_board(demo_url, "ana")
    try:
        bodies = [c.body for c in check.queries.comments(piece.id)]
    finally:
        check.close()
    assert bodies.count("typed offline") == 1


async def test_a_dropped_board_is_marked_lost_and_refuses_writes(demo_url: str) -> None:
    app = make_app(open_board(demo_url, "chloe"), live=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.feed is not None)
        piece = app.current()
        assert piece is not None
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CommentForm))
        await pilot.press(*"kept")
        await asyncio.to_thread(remove_board, demo_url)  # DROP SCHEMA … CASCADE
        await until(pilot, lambda: app.lost is not None)
        assert "BOARD LOST" in notice(app) and "dropped" in str(app.lost)
        assert "schema" in str(app.lost) and "file" not in str(app.lost)
        await until(pilot, lambda: any(n.title == "Board lost" for n in app._notifications))
        await pilot.press("ctrl+s")
        form = app.screen
        await until(pilot, lambda: "dropped" in str(form.query_one("#form-error", Static).render()))
        assert isinstance(app.screen, CommentForm)
        assert app.screen.query_one(TextArea).text == "kept"
    app.session.close()


def test_the_feed_reports_the_outage_and_counts_what_it_caught_up_on(
    demo_url: str, proxy: Proxy
) -> None:
    session = open_board(proxy.url(demo_url), "chloe")
    feed = ChangeFeed(session.store, session.queries.last_event_id(), use_watcher=False)
    try:
        assert feed.poll() == [] and feed.unreachable is None
        proxy.cut()
        assert feed.poll() == []
        assert feed.unreachable is not None and "PostgreSQL server" in feed.unreachable
        cursor, delivered = feed.cursor, feed.delivered
        theirs = ben_comments(demo_url, 1, 2)
        assert feed.poll() == [] and feed.unreachable is not None  # still away
        proxy.restore()
        got = [e.id for e in feed.poll()]
        assert got == theirs and feed.unreachable is None
        assert feed.delivered - delivered == 2 and feed.cursor == theirs[-1] > cursor
        assert feed.poll() == []  # nothing twice
    finally:
        feed.close()
        session.close()

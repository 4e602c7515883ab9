"""A running board on PostgreSQL: other people's commits arrive by LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from conftest import new_pg_board

from prodboard.services.context import open_board
from prodboard.settings import POLL_INTERVAL
from prodboard.storage.store import remove_board
from prodboard.tui.app import make_app

from .helpers import until

SIZE = (120, 35)


@pytest.fixture
def demo_url() -> Iterator[str]:
    """The demo board in a fresh schema on the real server (dropped after)."""
    url = new_pg_board("tui")
    open_board(url, "ana", create=True, demo=True).close()
    yield url
    remove_board(url)


def cli(url: str, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prodboard", "--db", url, "--user", user, *args],
                          capture_output=True, text=True, timeout=60, env=os.environ.copy())


async def test_another_process_commit_reaches_a_running_board(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fallback poll far beyond the test: only the NOTIFY can deliver the change.
    monkeypatch.setenv(POLL_INTERVAL.name, "60")
    app = make_app(open_board(demo_url, "chloe"), live=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.3)
        result = await asyncio.to_thread(cli, demo_url, "ben", "request-changes", "10",
                                         "--note", "Tighten it")
        assert result.returncode == 0, result.stderr
        await until(pilot, lambda: app.model.pieces[10].stage == "draft")
        await until(pilot, lambda: any("requested changes" in str(n.message)
                                       for n in app._notifications))
    app.session.close()


async def test_fifty_commits_all_reach_the_board(demo_url: str) -> None:
    app = make_app(open_board(demo_url, "chloe"), live=True)
    start = app.session.queries.last_event_id()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        code = ("from prodboard.services.context import open_board\n"
                f"board = open_board({demo_url!r}, 'ben').board\n"
                "for i in range(50):\n    board.comment(10, f'note {i}')\n")
        writer = subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy())
        assert await asyncio.to_thread(writer.wait, 60) == 0
        q = app.session.queries
        ben = [e.id for e in q.events_since(start) if e.actor == "ben"]
        assert len(ben) == 50
        # The board's own time checks may add alert.* events: the cursor follows them all.
        await until(pilot, lambda: app.feed_cursor == q.last_event_id())
        assert app.feed is not None and app.feed.watcher_error is None
    app.session.close()

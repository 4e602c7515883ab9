"""The change feed against real second processes: in order, exactly once, never a ghost.

Every writer here is another OS process (the prodboard command line, or a small
Python writer), as on a shared board. Async tests run their own loop with
asyncio.run inside a plain test function: no Textual, no pytest plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from prodboard.domain.values import EventView
from prodboard.services.context import Workspace, open_board
from prodboard.services.feed import ChangeFeed, FeedLost

CLI = [sys.executable, "-c", "from prodboard.cli import main; main()"]
WRITER = """
import sys
from prodboard.services.context import open_board
s = open_board(sys.argv[1], sys.argv[2])
for i in range(int(sys.argv[3])):
    s.board.create(f"piece {i}")  # one transaction, one event each
s.close()
"""
# Deadlines for correctness only, never latency: a check returns as soon as its
# condition holds, so a generous deadline costs nothing when things work.
TIMEOUT = 60.0
# A fallback poll this rare never runs within a test: whatever arrives came from the watcher.
WATCHER_ONLY = 3600.0


@pytest.fixture
def feed_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Hermetic settings for this process and the writers it starts."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for name in ("PRODBOARD_DB", "PRODBOARD_USER", "PRODBOARD_CONFIG", "PRODBOARD_WATCH"):
        monkeypatch.delenv(name, raising=False)
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}


@pytest.fixture
def feed_board(tmp_path: Path, feed_env: dict[str, str]) -> Iterator[Workspace]:
    """A board in its own directory with ana, ben and one piece (#1, in Ideas)."""
    folder = tmp_path / "team"
    folder.mkdir()
    s = open_board(folder / "board.db", "ana", create=True)
    s.board.set_person("ana", display_name="Ana", roles=["pm"])
    s.board.add_person("ben", "Ben", ["writer"])
    s.board.create("Q3 pricing page", owner="ben")
    yield s
    s.close()


def run_cli(s: Workspace, env: dict[str, str], user: str, *args: str) -> str:
    proc = subprocess.run(
        [*CLI, "--db", str(Path(s.store.location)), "--user", user, *args],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return str(proc.stdout)


def start_writer(s: Workspace, env: dict[str, str], count: int, user: str = "ben") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(Path(s.store.location)), user, str(count)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


async def collect(feed: ChangeFeed, want: int, timeout: float | None = TIMEOUT) -> list[list[EventView]]:
    """Batches from feed.batches() until ``want`` events arrived (``timeout=None``:
    the caller puts the deadline on the task)."""
    batches: list[list[EventView]] = []

    async def run() -> None:
        async with contextlib.aclosing(feed.batches()) as stream:
            async for batch in stream:
                batches.append(batch)
                if sum(map(len, batches)) >= want:
                    return

    await asyncio.wait_for(run(), timeout)
    return batches


def ids(batches: list[list[EventView]]) -> list[int]:
    return [ev.id for batch in batches for ev in batch]


def watching(s: Workspace) -> bool:
    """Whether a watcher of this process watches the board's folder (Linux: an inotify
    watch on the folder's inode, as /proc/self/fdinfo lists it)."""
    inode = f" ino:{Path(s.store.location).parent.stat().st_ino:x} "
    for info in Path("/proc/self/fdinfo").iterdir():
        with contextlib.suppress(OSError):  # an fd closed while we look
            if any(line.startswith("inotify ") and inode in line
                   for line in info.read_text().splitlines()):
                return True
    return False


async def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait until ``check()`` holds; fail with ``what`` after TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.01)


async def until_watching(s: Workspace, watched: bool = True) -> None:
    """Wait until the feed's watcher watches the board's folder (so a commit from now
    on wakes it), or with ``watched=False`` until it has let go."""
    await eventually(lambda: watching(s) == watched,
                     "the watcher did not start" if watched else "the watcher kept watching")


def test_other_process_commits_arrive_in_order_exactly_once(
    feed_board: Workspace, feed_env: dict[str, str]
) -> None:
    start = feed_board.queries.last_event_id()

    async def scenario() -> list[list[EventView]]:
        feed = ChangeFeed(feed_board.store, start, poll_interval=WATCHER_ONLY)
        task = asyncio.create_task(collect(feed, 3, timeout=None))
        await until_watching(feed_board)
        await asyncio.to_thread(run_cli, feed_board, feed_env, "ben", "move", "1", "brief")
        await asyncio.to_thread(run_cli, feed_board, feed_env, "ben", "comment", "1", "hello @ana")
        await asyncio.to_thread(run_cli, feed_board, feed_env, "ben", "edit", "1", "--title", "Q3 v2")
        batches = await asyncio.wait_for(task, TIMEOUT)  # long before the hourly poll
        assert feed.poll() == []  # nothing is delivered twice
        feed.close()
        return batches

    batches = asyncio.run(scenario())
    expected = feed_board.queries.events_since(start)
    assert [ev.kind for ev in expected] == ["piece.moved", "comment.added", "piece.edited"]
    assert ids(batches) == [ev.id for ev in expected]
    assert all(batch for batch in batches)


def test_200_events_from_another_process_none_missed_none_repeated(
    feed_board: Workspace, feed_env: dict[str, str]
) -> None:
    start = feed_board.queries.last_event_id()

    async def scenario() -> tuple[list[list[EventView]], ChangeFeed]:
        feed = ChangeFeed(feed_board.store, start)
        task = asyncio.create_task(collect(feed, 200))
        await asyncio.sleep(0.1)
        writer = start_writer(feed_board, feed_env, 200)
        batches = await task
        assert await asyncio.to_thread(writer.wait, 60) == 0
        return batches, feed

    batches, feed = asyncio.run(scenario())
    got = ids(batches)
    assert got == list(range(start + 1, start + 201))
    assert feed.cursor == start + 200
    assert feed.poll() == []
    feed.close()
    # The batches are the wake-ups: bursts arrive together, not one by one.
    assert len(batches) <= 200


def test_poll_alone_delivers_when_the_watcher_is_off(
    feed_board: Workspace, feed_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    start = feed_board.queries.last_event_id()

    async def scenario(feed: ChangeFeed) -> tuple[list[int], float]:
        task = asyncio.create_task(collect(feed, 5))
        await asyncio.sleep(0.1)
        writer = start_writer(feed_board, feed_env, 5)
        began = time.monotonic()
        batches = await task
        assert await asyncio.to_thread(writer.wait, 60) == 0
        return ids(batches), time.monotonic() - began

    feed = ChangeFeed(feed_board.store, start, use_watcher=False, poll_interval=0.2)
    got, _ = asyncio.run(scenario(feed))
    assert got == list(range(start + 1, start + 6))
    feed.close()

    monkeypatch.setenv("PRODBOARD_WATCH", "0")
    feed = ChangeFeed(feed_board.store, start + 5, poll_interval=0.2)
    assert not feed.use_watcher
    got, _ = asyncio.run(scenario(feed))
    assert got == list(range(start + 6, start + 11))
    feed.close()


def test_a_watcher_that_fails_to_start_leaves_the_poll_in_charge(
    feed_board: Workspace, feed_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import watchfiles

    def broken(*_a: Any, **_k: Any) -> Any:
        raise OSError("inotify watch limit reached")

    monkeypatch.setattr(watchfiles, "awatch", broken)
    start = feed_board.queries.last_event_id()
    feed = ChangeFeed(feed_board.store, start, poll_interval=0.2)

    async def scenario() -> list[int]:
        task = asyncio.create_task(collect(feed, 2))
        await asyncio.sleep(0.1)
        writer = start_writer(feed_board, feed_env, 2)
        batches = await task
        assert await asyncio.to_thread(writer.wait, 60) == 0
        return ids(batches)

    assert asyncio.run(scenario()) == [start + 1, start + 2]
    assert feed.watcher_error is not None and "inotify" in feed.watcher_error
    feed.close()


def test_same_process_commits_on_other_connections_are_delivered(feed_board: Workspace) -> None:
    start = feed_board.queries.last_event_id()

    async def scenario() -> list[int]:
        feed = ChangeFeed(feed_board.store, start, poll_interval=WATCHER_ONLY)
        task = asyncio.create_task(collect(feed, 2))
        await until_watching(feed_board)
        await asyncio.to_thread(feed_board.board.move, 1, "brief")
        await asyncio.to_thread(feed_board.board.comment, 1, "on my way")
        got = ids(await task)
        feed.close()
        return got

    assert asyncio.run(scenario()) == [start + 1, start + 2]


def test_events_after_the_cursor_come_first_and_poll_pages(feed_board: Workspace) -> None:
    feed = ChangeFeed(feed_board.store, 0, page_size=2)
    first = feed.poll()
    assert [ev.id for ev in first] == [1, 2]
    assert feed.cursor == 2
    rest: list[EventView] = []
    while batch := feed.poll():
        rest.extend(batch)
    assert [ev.id for ev in rest] == list(range(3, feed_board.queries.last_event_id() + 1))
    feed.close()


def test_cancelling_the_task_ends_batches_and_its_watcher(feed_board: Workspace) -> None:
    """A Textual worker is cancelled, not closed: the watcher must stop too, and the
    stream must end without waiting for its (here hourly) poll."""

    async def scenario() -> None:
        feed = ChangeFeed(feed_board.store, feed_board.queries.last_event_id(),
                          poll_interval=WATCHER_ONLY)

        async def consume() -> None:
            async for _ in feed.batches():
                pass

        task = asyncio.create_task(consume())
        await until_watching(feed_board)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, TIMEOUT)
        await until_watching(feed_board, watched=False)  # the watcher let go of the folder
        await eventually(lambda: asyncio.all_tasks() == {asyncio.current_task()},
                         "a task of the stream was left running")
        feed.close()

    asyncio.run(scenario())


def test_close_ends_the_stream(feed_board: Workspace) -> None:
    """close() wakes the stream at once: it does not wait for the (here hourly) poll."""

    async def scenario() -> None:
        feed = ChangeFeed(feed_board.store, feed_board.queries.last_event_id(),
                          poll_interval=WATCHER_ONLY)
        got: list[list[EventView]] = []

        async def consume() -> None:
            async for batch in feed.batches():
                got.append(batch)

        task = asyncio.create_task(consume())
        await until_watching(feed_board)
        feed.close()
        await asyncio.wait_for(task, TIMEOUT)
        assert got == []

    asyncio.run(scenario())


def _remove_board(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


def test_a_deleted_board_file_raises_feed_lost(feed_board: Workspace) -> None:
    feed = ChangeFeed(feed_board.store, feed_board.queries.last_event_id())
    assert feed.poll() == []
    _remove_board(Path(feed_board.store.location))
    with pytest.raises(FeedLost, match="deleted") as err:
        feed.poll()
    assert err.value.exit_code == 1
    assert "reopen" in err.value.message
    feed.close()
    assert not Path(feed_board.store.location).exists()  # the feed did not create a ghost board


def test_a_replaced_board_file_raises_feed_lost_in_batches(feed_board: Workspace, tmp_path: Path) -> None:
    other = open_board(tmp_path / "other.db", "zed", create=True)
    other.board.create("someone else's board")
    other.close()

    async def scenario() -> None:
        feed = ChangeFeed(feed_board.store, feed_board.queries.last_event_id(), poll_interval=0.3)
        task = asyncio.create_task(collect(feed, 1))
        await asyncio.sleep(0.2)  # the swap comes while the stream waits (or before it reads)
        os.replace(tmp_path / "other.db", Path(feed_board.store.location))
        with pytest.raises(FeedLost, match="replaced"):
            await task
        feed.close()

    asyncio.run(scenario())


def test_follow_blocking_delivers_and_closes(feed_board: Workspace, feed_env: dict[str, str]) -> None:
    start = feed_board.queries.last_event_id()
    feed = ChangeFeed(feed_board.store, start, poll_interval=WATCHER_ONLY)
    got: list[int] = []
    done = threading.Event()

    def follow() -> None:
        for batch in feed.follow():
            got.extend(ev.id for ev in batch)
            if len(got) >= 3:
                done.set()
        done.set()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    asyncio.run(until_watching(feed_board))
    writer = start_writer(feed_board, feed_env, 3)
    assert writer.wait(60) == 0
    assert done.wait(TIMEOUT)  # the watcher: the poll is an hour away
    feed.close()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert got == [start + 1, start + 2, start + 3]


# A process started in the background by a shell without job control inherits
# SIGINT *ignored*, and Python then installs no Ctrl-C handler: a test run from
# such a shell (or CI) could never interrupt its follower. A terminal's foreground
# process has Python's usual handler; the follower starts with it explicitly.
FOLLOW_CLI = [sys.executable, "-c", (
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "from prodboard.cli import main; main()")]


class Follower:
    """``prodboard log --follow`` in a subprocess, its lines read by a thread."""

    def __init__(self, s: Workspace, env: dict[str, str], *extra: str) -> None:
        self.proc = subprocess.Popen(
            [*FOLLOW_CLI, "--db", str(Path(s.store.location)), "--user", "ana", "log", "--follow", *extra],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def read(self, n: int, timeout: float = TIMEOUT) -> list[str]:
        """Up to ``n`` lines, as soon as they come; fewer if ``timeout`` passes first."""
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            try:
                out.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                break
        return out

    def stop(self, sig: int) -> tuple[int, str]:
        """Send ``sig`` and wait for the exit; its status and stderr."""
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(TIMEOUT)
        assert self.proc.stderr is not None
        err = self.proc.stderr.read()
        assert code is not None, f"the follower did not exit on signal {sig}: {err}"
        return code, err


def test_log_follow_json_prints_other_processes_events(
    feed_board: Workspace, feed_env: dict[str, str]
) -> None:
    backlog = feed_board.queries.last_event_id()
    follower = Follower(feed_board, feed_env, "--json")
    try:
        first = [json.loads(line) for line in follower.read(backlog)]
        assert [e["id"] for e in first] == list(range(1, backlog + 1))
        run_cli(feed_board, feed_env, "ben", "move", "1", "brief")
        run_cli(feed_board, feed_env, "ben", "comment", "1", "moved it")
        new = [json.loads(line) for line in follower.read(2)]
        assert [(e["id"], e["actor"], e["kind"]) for e in new] == [
            (backlog + 1, "ben", "piece.moved"), (backlog + 2, "ben", "comment.added"),
        ]
        assert new[0]["data"]["changes"]["stage"] == ["ideas", "brief"]
    finally:
        code, err = follower.stop(signal.SIGTERM)
    assert code == -signal.SIGTERM  # stopped by the signal, quietly
    assert "Traceback" not in err, err


def test_log_follow_stops_on_ctrl_c_with_status_130(
    feed_board: Workspace, feed_env: dict[str, str]
) -> None:
    follower = Follower(feed_board, feed_env)
    try:
        backlog = follower.read(feed_board.queries.last_event_id())
        assert len(backlog) == feed_board.queries.last_event_id()  # it is following now
    finally:
        code, err = follower.stop(signal.SIGINT)
    assert code == 130  # Ctrl-C: the usual exit status, no traceback
    assert err == "", err


def test_log_follow_reports_a_deleted_board_in_one_line(
    feed_board: Workspace, feed_env: dict[str, str]
) -> None:
    follower = Follower(feed_board, feed_env)
    try:
        assert len(follower.read(feed_board.queries.last_event_id())) > 0
        _remove_board(Path(feed_board.store.location))
        code = follower.proc.wait(TIMEOUT)
    finally:
        if follower.proc.poll() is None:
            follower.proc.kill()
    assert follower.proc.stderr is not None
    err = follower.proc.stderr.read()
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("prodboard: ") and "deleted" in err, err


def test_feed_and_alerts_do_not_import_textual(feed_env: dict[str, str]) -> None:
    code = (
        "import sys, prodboard.services.feed, prodboard.services.alerts\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=feed_env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr

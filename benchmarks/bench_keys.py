"""Key handling while other people's events stream in.

    python benchmarks/bench_keys.py [--keys 100] [--events 1000] [--gap-ms 10]

A demo board is built (as ana) and opened live for chloe, headless
(``app.run_test(size=(120, 35), notifications=True)``: layout and rendering run, the
terminal write is skipped). ``l j h j ...`` is pressed, each press awaited: ``--keys``
times on a quiet board, then for as long as a second process, as ben, writes
``--events`` comments on two pieces, ``--gap-ms`` apart (each one an event the feed
applies: cards repainted, a toast per burst). Three figures per key, from the press:
until its action runs (``action_focus_column``/``action_focus_card``, wrapped); until
the new focus is painted (``call_after_refresh`` from the action); and until
``pilot.press`` returns (every widget on the screen has worked through the messages
queued before it). The test suite checks only
that the keys work during a stream (tests/tui/test_live.py); how fast is this figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KEYS = ["l", "j", "h", "j"]

WRITER = r"""
import sys, time
from pathlib import Path
from prodboard.services.context import open_board
board = open_board(Path(sys.argv[1]), "ben").board
count, gap = int(sys.argv[2]), float(sys.argv[3])
for i in range(count):
    board.comment(10 if i % 2 else 8, f"stream {i}")
    time.sleep(gap)
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def press_keys(app: Any, pilot: Any, more: Any) -> list[list[float]]:
    """Press keys while ``more(pressed_so_far)``; ms from each press to its action,
    to the new focus painted, and to the press done."""
    handled: list[float] = []
    painted: list[float] = []
    focus_column, focus_card = app.action_focus_column, app.action_focus_card

    def then_paint() -> None:
        # call_after_refresh fires once the new state has been painted
        app.call_after_refresh(lambda: painted.append(time.perf_counter()))

    def column(delta: int) -> None:
        handled.append(time.perf_counter())
        focus_column(delta)
        then_paint()

    def card(delta: int) -> None:
        handled.append(time.perf_counter())
        focus_card(delta)
        then_paint()

    app.action_focus_column, app.action_focus_card = column, card
    to_action: list[float] = []
    to_paint: list[float] = []
    to_done: list[float] = []
    try:
        i = 0
        while more(i):
            before = len(handled)
            pressed = time.perf_counter()
            await pilot.press(KEYS[i % len(KEYS)])
            done = time.perf_counter()
            assert len(handled) == before + 1, "a key did nothing"
            while len(painted) < len(handled):
                await asyncio.sleep(0.001)
            to_action.append((handled[-1] - pressed) * 1000)
            to_paint.append((painted[-1] - pressed) * 1000)
            to_done.append((done - pressed) * 1000)
            i += 1
    finally:
        del app.action_focus_column, app.action_focus_card
    return [to_action, to_paint, to_done]


async def measure(db: Path, keys: int, events: int, gap_s: float) -> dict[str, Any]:
    from prodboard.services.context import open_board
    from prodboard.tui.app import make_app

    session = open_board(db, "chloe")
    app = make_app(session, live=True)
    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await pilot.pause(1.0)  # start-up: first paint, the feed's first check, the watcher
        result["quiet"] = await press_keys(app, pilot, lambda i: i < keys)
        start = app.feed_cursor
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(events), str(gap_s)])
        try:
            while app.feed_cursor == start:  # the stream is flowing before the first key
                await asyncio.sleep(0.01)
            began = time.perf_counter()
            result["stream"] = await press_keys(app, pilot, lambda i: writer.poll() is None)
            result["stream_s"] = time.perf_counter() - began
            result["applied_during"] = app.feed_cursor - start
        finally:
            assert await asyncio.to_thread(writer.wait) == 0
        last = session.queries.last_event_id()
        while app.feed_cursor < last:
            await asyncio.sleep(0.01)
        result["applied"] = app.feed_cursor - start
    session.close()
    return result


def row(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<42}{'(none)':>9}"
    return (f"{label:<42}{pct(values, 50):>9.1f}{pct(values, 95):>9.1f}{pct(values, 99):>9.1f}"
            f"{max(values):>9.1f}{statistics.mean(values):>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--gap-ms", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prodboard-bench-keys-") as tmp:
        folder = Path(tmp)
        os.environ["XDG_CONFIG_HOME"] = str(folder / "config")
        os.environ["XDG_DATA_HOME"] = str(folder / "data")
        for name in ("PRODBOARD_CONFIG", "PRODBOARD_WATCH", "PRODBOARD_POLL_INTERVAL"):
            os.environ.pop(name, None)
        os.environ["PRODBOARD_CHECK_INTERVAL"] = "3600"  # the time checks stay quiet

        from prodboard.services.context import open_board

        db = folder / "board.db"
        open_board(db, "ana", create=True, demo=True).close()
        r = asyncio.run(measure(db, args.keys, args.events, args.gap_ms / 1000))

    print(f"Keys {' '.join(KEYS)} ..., each press awaited: {args.keys} on a quiet board, then as many "
          f"as fit while another process writes {args.events} comments {args.gap_ms:g} ms apart")
    print(f"{'':<42}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    for label, key in (("quiet board", "quiet"), ("while events stream", "stream")):
        to_action, to_paint, to_done = r[key]
        print(row(f"{label}: press -> action", to_action))
        print(row(f"{label}: press -> painted", to_paint))
        print(row(f"{label}: press -> pilot done", to_done))
    print(f"{len(r['stream'][0])} keys in the {r['stream_s']:.1f} s of the stream, while the feed "
          f"applied {r['applied_during']} of its {args.events} events (then all {r['applied']})")
    print("(headless Textual: layout and rendering run, the terminal write is skipped)")


if __name__ == "__main__":
    main()

"""Key handling while other people's events stream in.

    python benchmarks/bench_keys.py [--keys 200] [--gap-ms 10]

A demo board is built (as ana) and opened live for chloe, headless
(``app.run_test(size=(120, 35), notifications=True)``: layout and rendering run, the
terminal write is skipped). ``l j h j`` is pressed ``--keys`` times, each press
awaited, first on a quiet board, then while a second process, as ben, comments on
two pieces without pause but ``--gap-ms`` between commits (each one an event the feed
applies, cards repainted, a toast per burst). Two figures per key, from the press:
until its action runs (``action_focus_column``/``action_focus_card``, wrapped), and
until the press is done (``pilot.press`` returns: the key handled and the screen
refreshed). The test suite checks only that the keys work during a stream
(tests/tui/test_live.py); how fast they are is this figure.
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
from prodboard.core.context import open_board
board = open_board(Path(sys.argv[1]), "ben").board
stop, gap = Path(sys.argv[2]), float(sys.argv[3])
i = 0
while not stop.exists() and i < 100_000:
    board.comment(10 if i % 2 else 8, f"stream {i}")
    i += 1
    time.sleep(gap)
print(i)
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def press_keys(app: Any, pilot: Any, count: int) -> tuple[list[float], list[float]]:
    """Press ``count`` keys; ms from each press to its action, and to the press done."""
    handled: list[float] = []
    focus_column, focus_card = app.action_focus_column, app.action_focus_card

    def column(delta: int) -> None:
        handled.append(time.perf_counter())
        focus_column(delta)

    def card(delta: int) -> None:
        handled.append(time.perf_counter())
        focus_card(delta)

    app.action_focus_column, app.action_focus_card = column, card
    to_action, to_done = [], []
    try:
        for i in range(count):
            before = len(handled)
            pressed = time.perf_counter()
            await pilot.press(KEYS[i % len(KEYS)])
            done = time.perf_counter()
            assert len(handled) == before + 1, "a key did nothing"
            to_action.append((handled[-1] - pressed) * 1000)
            to_done.append((done - pressed) * 1000)
    finally:
        del app.action_focus_column, app.action_focus_card
    return to_action, to_done


async def measure(db: Path, keys: int, gap_s: float, folder: Path) -> dict[str, Any]:
    from prodboard.core.context import open_board
    from prodboard.tui.app import make_app

    session = open_board(db, "chloe")
    app = make_app(session, live=True)
    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        await pilot.pause(1.0)  # start-up: first paint, the feed's first check, the watcher
        result["quiet"] = await press_keys(app, pilot, keys)
        start = app.feed_cursor
        stop = folder / "stop"
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop), str(gap_s)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            while app.feed_cursor == start:  # the stream is flowing before the first key
                await asyncio.sleep(0.01)
            began = time.perf_counter()
            result["stream"] = await press_keys(app, pilot, keys)
            result["stream_s"] = time.perf_counter() - began
            result["applied_during"] = app.feed_cursor - start
        finally:
            stop.touch()
            out, _ = await asyncio.to_thread(writer.communicate)
        result["written"] = int(out.strip() or 0)
        last = session.queries.last_event_id()
        while app.feed_cursor < last:
            await asyncio.sleep(0.01)
    session.close()
    return result


def row(label: str, values: list[float]) -> str:
    return (f"{label:<36}{pct(values, 50):>9.1f}{pct(values, 95):>9.1f}{pct(values, 99):>9.1f}"
            f"{max(values):>9.1f}{statistics.mean(values):>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prodboard-bench-keys-") as tmp:
        folder = Path(tmp)
        os.environ["XDG_CONFIG_HOME"] = str(folder / "config")
        os.environ["XDG_DATA_HOME"] = str(folder / "data")
        for name in ("PRODBOARD_CONFIG", "PRODBOARD_WATCH", "PRODBOARD_POLL_INTERVAL"):
            os.environ.pop(name, None)
        os.environ["PRODBOARD_CHECK_INTERVAL"] = "3600"  # the time checks stay quiet

        from prodboard.core.context import open_board

        db = folder / "board.db"
        open_board(db, "ana", create=True, demo=True).close()
        r = asyncio.run(measure(db, args.keys, args.gap_ms / 1000, folder))

    print(f"{args.keys} keys ({' '.join(KEYS)} ...), each press awaited; the stream: comments "
          f"by ben {args.gap_ms:g} ms apart from a second process")
    print(f"{'':<36}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    for label, key in (("quiet board", "quiet"), ("while events stream", "stream")):
        to_action, to_done = r[key]
        print(row(f"{label}: press -> action", to_action))
        print(row(f"{label}: press -> done", to_done))
    print(f"during the {r['stream_s']:.1f} s of keys the feed applied {r['applied_during']} events "
          f"({r['written']} written in all, every one applied)")
    print("(headless Textual: layout and rendering run, the terminal write is skipped)")


if __name__ == "__main__":
    main()

"""Calendar speed: month view open, repaint after a reschedule, and `ical --all`.

    python benchmarks/bench_calendar.py [--sizes 1000 10000] [--moves 20]

For each size it builds a board whose pieces have publish and due dates spread over
a year around a fixed today, then (in a fresh process) opens the board headless at
160x45, presses the calendar key and measures until the month is painted, then
reschedules a piece with shift+right / shift+left and measures from the key to the
repaint. Last, it times `prodboard ical --all --out FILE` as a whole process and the
rendering alone. Goals (issue 12): open <= 300 ms, repaint <= 50 ms, ical <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

NOW = "2026-11-20T09:00:00+00:00"

PROBE = r'''
import asyncio, json, sys, time
from pathlib import Path
from prodboard.services.context import open_board
from prodboard.tui.app import make_app
from prodboard.tui.screens.calendar import CalendarScreen

db, moves = Path(sys.argv[1]), int(sys.argv[2])
session = open_board(db, "bench")
app = make_app(session, live=False)

async def main():
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        while len(app.model.pieces) < int(sys.argv[3]):
            await asyncio.sleep(0.01)  # a big board fills its last stage after the first paint
        await pilot.pause()
        marks = {}
        orig_paint = CalendarScreen.paint
        def paint(self):
            orig_paint(self)
            app.call_after_refresh(lambda: marks.__setitem__("painted", time.perf_counter()))
        CalendarScreen.paint = paint
        marks["key"] = time.perf_counter()
        await pilot.press("d")
        while "painted" not in marks:
            await asyncio.sleep(0.001)
        opened = (marks["painted"] - marks["key"]) * 1000
        screen = app.screen
        assert isinstance(screen, CalendarScreen) and screen.view == "month"
        # a day with a publication, its first entry focused
        day = next(d for d, es in sorted(screen.data.days.items()) if es[0].kind == "publish"
                   and d >= screen.cursor and d.month == screen.cursor.month)
        screen.move_to(day)
        await pilot.pause()
        lat, paints = [], []
        for i in range(moves):
            marks.clear()
            marks["key"] = time.perf_counter()
            await pilot.press("shift+right" if i % 2 == 0 else "shift+left")
            await app.workers.wait_for_complete()
            while "painted" not in marks:
                await asyncio.sleep(0.001)
            lat.append((marks["painted"] - marks["key"]) * 1000)
            t = time.thread_time()  # CPU time: what a busy machine does not inflate
            screen.paint()
            paints.append((time.thread_time() - t) * 1000)
        lat.sort(); paints.sort()
        print(json.dumps({"open_ms": opened, "move_ms_p50": lat[len(lat)//2],
                          "move_ms_max": lat[-1], "paint_ms_p50": paints[len(paints)//2]}))
asyncio.run(main())
'''


def build(path: Path, n: int) -> None:
    from prodboard.services.context import open_board

    s = open_board(path, "bench", create=True)
    s.board.set_person("bench", roles=["admin", "pm", "editor"])
    rng = random.Random(7)
    stages = ["ideas", "brief", "draft", "review", "optimize", "scheduled"]
    today = date(2026, 11, 20)
    items = []
    for i in range(n):
        stage = "published" if rng.random() < 0.6 else rng.choice(stages)
        publish = today + timedelta(days=rng.randint(-180, 180))
        items.append({"title": f"Piece {i}: {rng.choice(['guide', 'video', 'post'])}",
                      "stage": stage, "owner": "bench", "format": "blog post",
                      "publish_date": publish.isoformat(),
                      "due": (publish - timedelta(days=rng.randint(1, 5))).isoformat(),
                      "channels": [rng.choice(["blog", "linkedin", "email", "youtube"])]})
    for start in range(0, n, 2000):
        s.board.create_many(items[start:start + 2000])
    s.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--moves", type=int, default=20)
    args = ap.parse_args()
    env = {**os.environ, "PRODBOARD_WATCH": "0", "PRODBOARD_NOW": NOW}
    print(f"{'pieces':>7} {'open ms':>8} {'move p50 ms':>12} {'move max ms':>12} "
          f"{'paint p50 ms':>13} {'ical --all s':>13} {'render s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            db = Path(tmp) / f"board{n}.db"
            build(db, n)
            out = subprocess.run([sys.executable, "-c", PROBE, str(db), str(args.moves), str(n)],
                                 capture_output=True, text=True, env=env, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            ics = Path(tmp) / "all.ics"
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "prodboard", "--db", str(db), "--user", "bench",
                            "ical", "--all", "--out", str(ics)], env=env, check=True,
                           capture_output=True)
            whole = time.perf_counter() - t
            render = _render_only(db)
            print(f"{n:>7} {r['open_ms']:>8.1f} {r['move_ms_p50']:>12.1f} {r['move_ms_max']:>12.1f} "
                  f"{r['paint_ms_p50']:>13.1f} {whole:>13.2f} {render:>9.2f}")
    print("open = the calendar key to the month painted; move = shift+arrow to the repaint")
    print("(the edit commits on the writer thread in between), wall clock; paint = one repaint")
    print("alone, CPU time; ical --all = the whole process, Python start included, wall clock;")
    print("render = reading and building the .ics, CPU time. Load average now:",
          " ".join(f"{x:.1f}" for x in os.getloadavg()))


def _render_only(db: Path) -> float:
    from prodboard.services import calendar, ical
    from prodboard.services.context import open_board

    s = open_board(db, "bench")
    try:
        t = time.process_time()
        pieces = calendar.select_pieces(s.queries)
        ical.render(pieces, s.workflow, s.queries.board_name(), calendar.board_uid(s.queries))
        return time.process_time() - t
    finally:
        s.close()


if __name__ == "__main__":
    main()

"""Board speed: launch-to-interactive, key-to-repaint for a move, and peak RSS.

    python benchmarks/bench_board.py [--sizes 1000 10000] [--moves 30]
        [--backend sqlite|postgresql|both]

For each size it builds a board (most pieces published, like a board that has run
for years), then starts a fresh process that opens the board headless, reports when
it is interactive, presses shift+right / shift+left on a card, and measures from
the key press to the commit being painted. ``--backend`` runs it on SQLite files,
on PostgreSQL boards (PRODBOARD_BENCH_PG, default
postgresql://postgres@127.0.0.1:5432/test; each its own schema, dropped after), or
both side by side (the default).
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
import uuid
from pathlib import Path

SERVER = os.environ.get("PRODBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")

PROBE = r'''
import asyncio, json, resource, sys, time
t_exec = time.time()
from pathlib import Path
from prodboard.services.context import open_board
from prodboard.tui.app import make_app

db, launched, moves = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
session = open_board(db, "bench")
app = make_app(session, live=False)
ready = {}
original = app.start_board
def start_board():
    original()
    ready["t"] = time.time()
app.start_board = start_board

async def main():
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        interactive = ready["t"] - launched
        painted = time.time() - launched
        held = len(app.model.pieces)
        pid = app.model.columns["scheduled"][0].id
        app.focus_piece(pid)
        await pilot.pause()
        lat, cpu = [], []  # wall ms and process CPU ms (all threads) per move
        marks = {}
        orig_action, orig_paint = app.action_move_piece, app.paint
        def action(delta):
            marks["key"], marks["cpu_key"] = time.perf_counter(), time.process_time()
            orig_action(delta)
        def paint(stages=None):
            orig_paint(stages)
            if "key" in marks:  # the move's one paint (the saved piece, its focus)
                # call_after_refresh fires once the new state has been painted
                app.call_after_refresh(lambda: marks.update(
                    painted=time.perf_counter(), cpu=time.process_time()))
        app.action_move_piece, app.paint = action, paint
        for i in range(moves):
            marks.clear()
            await pilot.press("shift+right" if i % 2 == 0 else "shift+left")
            while "painted" not in marks:
                await asyncio.sleep(0.001)
            lat.append((marks["painted"] - marks["key"]) * 1000)
            cpu.append((marks["cpu"] - marks["cpu_key"]) * 1000)
        lat.sort()
        cpu.sort()
        page_ms = 0.0
        if "published" in app.model.paged:  # scroll Published to its end: the next page
            app.focus_piece(app.model.columns["published"][0].id)
            await pilot.pause()
            before, t = len(app.model.columns["published"]), time.perf_counter()
            await pilot.press("end")
            while len(app.model.columns["published"]) == before:
                await asyncio.sleep(0.001)
            page_ms = (time.perf_counter() - t) * 1000
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"interactive_s": interactive, "held": held, "page_ms": page_ms,
                          "first_paint_s": painted,
                          "move_ms_p50": lat[len(lat)//2], "move_ms_p95": lat[int(len(lat)*0.95)-1],
                          "move_ms_max": lat[-1], "peak_rss_mb": rss,
                          "move_cpu_p50": cpu[len(cpu)//2], "move_cpu_p95": cpu[int(len(cpu)*0.95)-1],
                          "import_s": t_exec - launched}))
asyncio.run(main())
'''


def build(path: str, n: int) -> float:
    from prodboard.services.context import open_board

    s = open_board(path, "bench", create=True)
    s.board.set_person("bench", display_name="Bench", roles=["pm", "editor"])  # the creator
    rng = random.Random(7)
    stages = ["ideas", "brief", "draft", "review", "optimize", "scheduled"]
    t = time.perf_counter()
    items = []
    for i in range(n):
        stage = "published" if rng.random() < 0.9 else rng.choice(stages)
        items.append({"title": f"Piece {i}: {rng.choice(['guide', 'video', 'post'])}",
                      "stage": stage, "owner": "bench", "format": "blog post",
                      "due": f"2026-12-{rng.randint(1, 28):02d}", "tags": ["bench"]})
    for start in range(0, n, 2000):
        s.board.create_many(items[start:start + 2000])
    s.board.create("Scheduled bench piece", stage="scheduled", owner="bench", imported=True)
    s.close()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    from prodboard.storage.store import remove_board

    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "PRODBOARD_WATCH": "0"}
    print(f"{'backend':<11} {'pieces':>7} {'build s':>8} {'interactive s':>14} {'held':>7} "
          f"{'page ms':>8} {'move p50 ms':>12} {'move p95 ms':>12} {'CPU p50/p95':>12} "
          f"{'peak RSS MB':>12} {'load':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        for n in args.sizes:
            for kind in kinds:
                db = (str(Path(tmp) / f"board{n}.db") if kind == "sqlite"
                      else f"{SERVER}?board=bench_bd{n}_{tag}")
                try:
                    built = build(db, n)
                    launched = time.time()
                    out = subprocess.run([sys.executable, "-c", PROBE, db, str(launched),
                                          str(args.moves)], capture_output=True, text=True,
                                         env=env, check=True)
                finally:
                    if kind == "postgresql":
                        remove_board(db)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{kind:<11} {n:>7} {built:>8.2f} {r['interactive_s']:>14.3f} "
                      f"{r['held']:>7} {r['page_ms']:>8.1f} {r['move_ms_p50']:>12.1f} "
                      f"{r['move_ms_p95']:>12.1f} "
                      f"{r['move_cpu_p50']:>5.1f}/{r['move_cpu_p95']:<6.1f} {r['peak_rss_mb']:>12.1f} "
                      f"{os.getloadavg()[0]:>5.1f}")
    print("interactive = process start (incl. Python and imports) to the board painted with data;")
    print("held = pieces in memory at launch (a stage over 500 pieces holds its first page);")
    print("page ms = end key on Published to its next page held (0: held whole)")
    print("goal: interactive at 10,000 pieces <= 1.5 s on either backend")


if __name__ == "__main__":
    main()

"""Time-based checks: a full rescan (before) against the next-threshold scheduler (after).

    python benchmarks/bench_checks.py [--sizes 10000 50000] [--idle-seconds 30] [--no-idle]
                                      [--postgres 10000] [--responsive]

For each size it builds a board where every piece has a due date (20 % published, the
rest spread over the stages, due from 60 days ago to 60 days ahead, ten owners) on a
pinned clock, then prints:

- first run: the first check on a board nobody has checked, raising one alert per
  piece (before: what ``run_checks`` did) and with one summary per owner (after);
  then the scheduler's first call on a board opened again (it reads every piece a
  rule can apply to, in pages, off the app's writer thread);
- with ``--responsive``: a live app opening a fresh copy of the board (its first look
  raises the summaries), then again (nothing to raise): launch to interactive, a
  move made as soon as it is (while the first look runs; wall and CPU time), when
  the checks are done, and how late a 10 ms timer on the app's event loop wakes
  meanwhile (the screen's own responsiveness);
- steady state: one more check once everything due is raised. Before: the full
  rescan every open board ran every 30 s (``run_checks``); after: the scheduler,
  the clock moved 30 s between calls (median of 30), and with one due-date edit
  between calls (median of 10);
- idle CPU (largest size only): a headless live app on the board for
  ``--idle-seconds``, its process CPU time over wall time, with the old check (a
  full rescan each 30 s) and with the scheduler.

``--postgres N`` also builds an N-piece board on PostgreSQL (``PRODBOARD_BENCH_PG``,
default postgresql://postgres@127.0.0.1:5432/test; the board's schema is dropped
after) and prints its steady-state checks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SERVER = os.environ.get("PRODBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
OWNERS = [f"w{i}" for i in range(10)]

PROBE = r'''
import asyncio, json, sys, time
from prodboard.services.checks import CheckScheduler, run_checks
from prodboard.services.context import open_board
from prodboard.tui.app import make_app

db, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
session = open_board(db, "bench")
app = make_app(session)

class Counted(CheckScheduler):  # the app's check, counted; "before" is the old full rescan
    calls = 0
    def look(self, board, now=None):
        Counted.calls += 1
        if mode == "after":
            return super().look(board, now)
        run_checks(board)
        return []

app.checks = Counted()

async def main():
    async with app.run_test(size=(160, 45)) as pilot:
        while Counted.calls < 1:
            await asyncio.sleep(0.05)
        await pilot.pause(2.0)
        calls = Counted.calls
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        print(json.dumps({"cpu_pct": 100 * cpu / wall, "checks": Counted.calls - calls}))
asyncio.run(main())
'''


RESPONSIVE = r'''
import asyncio, json, sys, time
t_exec = time.time()
from prodboard.services.context import open_board
from prodboard.tui.app import make_app

db, launched = sys.argv[1], float(sys.argv[2])
session = open_board(db, "bench")
app = make_app(session)
ready = {}
original = app.start_board
def start_board():
    original()
    ready["t"] = time.time()
app.start_board = start_board

def busy():
    return any(w.group in ("write", "checks") and not w.is_finished for w in app.workers)

async def main():
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        interactive = ready["t"] - launched
        pid = app.model.columns["ideas"][0].id
        checking = busy()
        lags, stop = [], asyncio.Event()
        async def sample():  # how late a 10 ms sleep wakes: the screen's own delay
            while not stop.is_set():
                t = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append((time.perf_counter() - t - 0.01) * 1000)
        sampler = asyncio.ensure_future(sample())
        t, cpu = time.perf_counter(), time.process_time()
        app.write(lambda board: board.move(pid, "brief"))
        while app.model.pieces[pid].stage != "brief":
            assert time.perf_counter() - t < 300, "the move was not saved"
            await asyncio.sleep(0.001)
        move_ms, move_cpu = (time.perf_counter() - t) * 1000, (time.process_time() - cpu) * 1000
        while busy():
            await asyncio.sleep(0.005)
        checks_s = time.time() - ready["t"]
        stop.set()
        await sampler
        lags.sort()
        print(json.dumps({"interactive_s": interactive, "checking_at_move": checking,
                          "move_ms": move_ms, "move_cpu_ms": move_cpu,
                          "checks_done_s": checks_s, "lag_p50": lags[len(lags) // 2],
                          "lag_p95": lags[int(len(lags) * 0.95)], "lag_max": lags[-1]}))
asyncio.run(main())
'''


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def clock_at(moment: list[datetime]) -> Any:
    return lambda: moment[0]


def build(path: Path | str, n: int) -> float:
    from prodboard.services.context import open_board

    now = [NOW]
    s = open_board(path, "bench", create=True, clock=clock_at(now))
    s.board.set_person("bench", display_name="Bench", roles=["pm", "editor"])
    for handle in OWNERS:
        s.board.add_person(handle, handle.upper(), ["writer"])
    rng = random.Random(7)
    stages = ["ideas", "brief", "draft", "optimize", "scheduled"]
    items = []
    for i in range(n):
        due = NOW.date() + timedelta(days=rng.randint(-60, 60))
        items.append({"title": f"Piece {i}", "owner": rng.choice(OWNERS), "format": "blog post",
                      "stage": "published" if rng.random() < 0.2 else rng.choice(stages),
                      "due": due.isoformat()})
    t = time.perf_counter()
    for start in range(0, n, 2000):
        s.board.create_many(items[start:start + 2000])
    s.close()
    return time.perf_counter() - t


def copy(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{src}{suffix}").exists():
            shutil.copy(f"{src}{suffix}", f"{dst}{suffix}")


def first_run_before(db: Path | str) -> tuple[float, int]:
    """(seconds, alerts) of a first run raising one alert each, as the old check did."""
    from prodboard.services import reviews
    from prodboard.services.checks import pending_alerts
    from prodboard.services.context import open_board

    s = open_board(db, "bench", clock=clock_at([NOW]))
    t = time.perf_counter()
    alerts = pending_alerts(s.board, NOW)
    raised = [s.board.raise_once(a.key, a.kind, a.piece_id, a.data) for a in alerts]
    raised += reviews.run_escalations(s.board, NOW)
    took = time.perf_counter() - t
    s.close()
    return took, len([e for e in raised if e])


def first_run_after(db: Path | str) -> tuple[float, int]:
    """(seconds, alerts) of the scheduler's first run, with summaries."""
    from prodboard.services.checks import CheckScheduler
    from prodboard.services.context import open_board

    s = open_board(db, "bench", clock=clock_at([NOW]))
    t = time.perf_counter()
    raised = CheckScheduler()(s.board)
    took = time.perf_counter() - t
    s.close()
    return took, len(raised)


def steady(db: Path | str) -> tuple[float, float, float]:
    """Median ms of a full rescan (before), a scheduler call 30 s on, and after an edit."""
    from prodboard.services.checks import CheckScheduler, run_checks
    from prodboard.services.context import open_board

    now = [NOW]
    s = open_board(db, "bench", clock=clock_at(now))
    full = []
    for _ in range(3):
        t = time.perf_counter()
        assert run_checks(s.board) == []
        full.append((time.perf_counter() - t) * 1000)
    checks = CheckScheduler()
    checks(s.board)
    quiet = []
    for _ in range(30):
        now[0] += timedelta(seconds=30)
        t = time.perf_counter()
        checks(s.board)
        quiet.append((time.perf_counter() - t) * 1000)
    edited = []
    rng = random.Random(3)
    ids = [p.id for p in s.queries.pieces(stage="draft")][:10]
    for pid in ids:
        s.board.edit(pid, {"due": (NOW.date() + timedelta(days=rng.randint(5, 50))).isoformat()})
        now[0] += timedelta(seconds=30)
        t = time.perf_counter()
        checks(s.board)
        edited.append((time.perf_counter() - t) * 1000)
    s.close()
    return statistics.median(full), statistics.median(quiet), statistics.median(edited)


def responsive(db: Path) -> dict[str, Any]:
    """A live app opening the board: when it is interactive, a move made at once (while
    the first look runs), how late the screen's own timers wake meanwhile."""
    env = {**os.environ, "PRODBOARD_NOW": NOW.isoformat(), "PRODBOARD_USER": "bench"}
    out = subprocess.run([sys.executable, "-c", RESPONSIVE, str(db), str(time.time())],
                         capture_output=True, text=True, env=env, check=True, timeout=600)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def say_responsive(what: str, r: dict[str, Any]) -> None:
    print(f"  {what}: interactive {r['interactive_s']:.2f} s; a move at once "
          f"{r['move_ms']:.0f} ms ({r['move_cpu_ms']:.0f} ms CPU, look running: "
          f"{r['checking_at_move']}); checks done {r['checks_done_s']:.2f} s after; "
          f"timer lag p50 / p95 / max {r['lag_p50']:.1f} / {r['lag_p95']:.1f} / "
          f"{r['lag_max']:.1f} ms   load {load()}")


def idle(db: Path, mode: str, seconds: float) -> dict[str, float]:
    env = {**os.environ, "PRODBOARD_NOW": NOW.isoformat(), "PRODBOARD_USER": "bench"}
    out = subprocess.run([sys.executable, "-c", PROBE, str(db), mode, str(seconds)],
                         capture_output=True, text=True, env=env, check=True,
                         timeout=seconds + 300)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000])
    ap.add_argument("--idle-seconds", type=float, default=30.0)
    ap.add_argument("--no-idle", action="store_true")
    ap.add_argument("--responsive", action="store_true",
                    help="also open a live app on each board (first open, then again)")
    ap.add_argument("--postgres", type=int, nargs="*", default=[], metavar="N")
    args = ap.parse_args()
    for n in args.postgres:
        postgres(n)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            db, twin = Path(tmp) / f"b{n}.db", Path(tmp) / f"b{n}-before.db"
            built = build(db, n)
            copy(db, twin)
            if args.responsive:
                fresh = Path(tmp) / f"b{n}-app.db"
                copy(db, fresh)
                say_responsive("app, first open (raises)", responsive(fresh))
                say_responsive("app, opened again (nothing to raise)", responsive(fresh))
            print(f"{n} pieces with due dates (built in {built:.1f} s), load {load()}")
            (b_s, b_n), (a_s, a_n) = first_run_before(twin), first_run_after(db)
            print(f"  first run: before {b_s:.2f} s, {b_n} alerts; "
                  f"after {a_s:.2f} s, {a_n} alerts (summaries)   load {load()}")
            again, _ = first_run_after(db)
            print(f"  first call of a board opened again (nothing to raise): {again:.2f} s   "
                  f"load {load()}")
            full, quiet, edited = steady(db)
            print(f"  steady-state check: before (full rescan) {full:.1f} ms; after {quiet:.2f} ms, "
                  f"{edited:.2f} ms with one edit since   load {load()}")
            if not args.no_idle and n == max(args.sizes):
                for mode in ("before", "after"):
                    r = idle(db, mode, args.idle_seconds)
                    print(f"  idle CPU of a live app, {mode}: {r['cpu_pct']:.2f} % of a core over "
                          f"{args.idle_seconds:.0f} s ({r['checks']:.0f} checks)   load {load()}")


def postgres(n: int) -> None:
    from prodboard.storage.store import remove_board

    url = f"{SERVER}?board=bench_checks_{os.getpid()}_{n}"
    try:
        built = build(url, n)
        print(f"{n} pieces with due dates on PostgreSQL (built in {built:.1f} s), load {load()}")
        took, raised = first_run_after(url)
        print(f"  first run (after): {took:.2f} s, {raised} alerts (summaries)   load {load()}")
        full, quiet, edited = steady(url)
        print(f"  steady-state check: before (full rescan) {full:.1f} ms; after {quiet:.2f} ms, "
              f"{edited:.2f} ms with one edit since   load {load()}")
    finally:
        remove_board(url)


if __name__ == "__main__":
    main()

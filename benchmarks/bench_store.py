"""Store benchmark: build a big board, time `prodboard ls --json`, measure write throughput.

    python benchmarks/bench_store.py [--pieces 10000] [--seconds 3] [--keep]
        [--backend sqlite|postgresql|both]

Everything happens in a temporary directory; the person's own board is never touched.
``--backend postgresql`` (or ``both``, side by side) builds the board in its own schema
on PRODBOARD_BENCH_PG (default postgresql://postgres@127.0.0.1:5432/test), dropped
after unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from prodboard.services.context import open_board
from prodboard.storage.store import remove_board

SERVER = os.environ.get("PRODBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")

PEOPLE = ["ana", "ben", "chloe", "dev", "eli", "fatima", "gus", "hana"]
ROLES = {"ana": ["pm", "strategist"], "ben": ["editor"]}
STAGES = ["ideas", "brief", "draft", "review", "optimize", "scheduled", "published"]

def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def build(db: str, pieces: int, batch: int) -> float:
    s = open_board(db, "ana", create=True)
    try:
        s.board.set_person("ana", display_name="Ana", roles=ROLES["ana"])  # the founder
        for handle in PEOPLE[1:]:
            s.board.add_person(handle, handle.title(), ROLES.get(handle, ["writer"]))
        t0 = time.perf_counter()
        done = 0
        while done < pieces:
            size = min(batch, pieces - done)
            items = [
                {
                    "title": f"Piece {done + i}: how we ship content at scale",
                    "stage": STAGES[(done + i) % len(STAGES)],
                    "owner": PEOPLE[(done + i) % len(PEOPLE)],
                    "tags": ["seo", f"t{(done + i) % 13}"],
                    "due": f"2026-{1 + (done + i) % 12:02d}-{1 + (done + i) % 28:02d}",
                    "audience": "Heads of content",
                }
                for i in range(size)
            ]
            s.board.create_many(items)
            done += size
        return time.perf_counter() - t0
    finally:
        s.close()


def time_ls(db: str, runs: int) -> tuple[list[float], int, int]:
    env = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana"}
    walls: list[float] = []
    size = count = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "prodboard", "ls", "--json"], env=env,
                              capture_output=True, check=True)
        walls.append(time.perf_counter() - t0)
        size = len(proc.stdout)
        count = len(json.loads(proc.stdout))
    return walls, size, count


def time_startup(db: str, runs: int) -> float:
    """Wall time of a command that reads almost nothing: the fixed cost of every call."""
    env = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana"}
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "prodboard", "ls", "--owner", "nobody"], env=env,
                       capture_output=True, check=True)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def writers(db: str, count: int, seconds: float, pieces: int) -> dict[str, float]:
    """``count`` writer processes, started together once each has opened the board."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_postgres import writers as run_writers  # its loop; it takes PEOPLE from here

    return run_writers(db, count, seconds, pieces)


def run(kind: str, db: str, args: argparse.Namespace) -> None:
    print(f"\n== {kind} ({db}); load {os.getloadavg()[0]:.1f}")
    secs = build(db, args.pieces, args.batch)
    size = f"; file {Path(db).stat().st_size / 1e6:.1f} MB" if kind == "sqlite" else ""
    print(f"build: {args.pieces} pieces in batches of {args.batch} (one event each): "
          f"{secs:.2f} s = {args.pieces / secs:,.0f} pieces/s{size}")

    startup = time_startup(db, 3)
    walls, out_size, count = time_ls(db, args.ls_runs)
    print(f"`prodboard ls --json` ({count} pieces, {out_size / 1e6:.2f} MB of JSON), "
          f"{args.ls_runs} runs:")
    print(f"  wall median {statistics.median(walls) * 1000:.0f} ms, min {min(walls) * 1000:.0f} ms, "
          f"max {max(walls) * 1000:.0f} ms")
    print(f"  (of which process start + imports + open, from `ls --owner nobody`: "
          f"{startup * 1000:.0f} ms)")

    lock = "BEGIN IMMEDIATE" if kind == "sqlite" else "the board's advisory lock"
    print(f"write throughput: each transaction one Board command (75 % edit, 25 % move), "
          f"{lock}, {args.seconds:g} s per run:")
    for n in (1, 4):
        r = writers(db, n, args.seconds, args.pieces)
        print(f"  {n} writer process{'es' if n > 1 else '  '}: {r['tps']:,.0f} tx/s "
              f"({r['tx']} tx, errors {r['errors']}); latency p50 {r['p50']:.1f} ms, "
              f"p99 {r['p99']:.1f} ms, max {r['max']:.0f} ms; load {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pieces", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=1_000, help="pieces per create_many transaction")
    ap.add_argument("--seconds", type=float, default=3.0, help="duration of each write run")
    ap.add_argument("--ls-runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the temporary board and print its path")
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="prodboard-bench-")
    boards = []
    if args.backend in ("sqlite", "both"):
        boards.append(("sqlite", str(Path(tmp) / "board.db")))
    if args.backend in ("postgresql", "both"):
        boards.append(("postgresql", f"{SERVER}?board=bench_store_{os.getpid()}_{uuid.uuid4().hex[:6]}"))
    print(f"prodboard store benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    try:
        for kind, db in boards:
            run(kind, db, args)
    finally:
        if args.keep:
            print("\nboards kept: " + ", ".join(db for _, db in boards))
        else:
            for kind, db in boards:
                if kind == "postgresql":
                    remove_board(db)
            for name in os.listdir(tmp):
                os.unlink(os.path.join(tmp, name))
            os.rmdir(tmp)


if __name__ == "__main__":
    main()

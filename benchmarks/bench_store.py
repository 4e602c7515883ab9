"""Store benchmark: build a big board, time `prodboard ls --json`, measure write throughput.

    python benchmarks/bench_store.py [--pieces 10000] [--seconds 3] [--keep]

Everything happens in a temporary directory; the person's own board is never touched.
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
from pathlib import Path

from prodboard.services.context import open_board

PEOPLE = ["ana", "ben", "chloe", "dev", "eli", "fatima", "gus", "hana"]
ROLES = {"ana": ["pm", "strategist"], "ben": ["editor"]}
STAGES = ["ideas", "brief", "draft", "review", "optimize", "scheduled", "published"]

# One writer process: each transaction is one command (an edit or a move) through Board.
WRITER = r"""
import json, random, sys, time
from prodboard.services.context import open_board

db, user, start, stop, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
s = open_board(db, user)
rng = random.Random(user)
lat = []
errors = 0
while time.time() < start:
    time.sleep(0.001)
while time.time() < stop:
    pid = rng.randint(1, n)
    t0 = time.perf_counter()
    try:
        if rng.random() < 0.75:
            s.board.edit(pid, {"cost": rng.randint(0, 5000), "priority": rng.randint(1, 4)})
        else:
            s.board.move(pid, rng.choice(["scheduled", "published"]))
    except Exception as exc:  # a refused move (already there) still ran its transaction
        if type(exc).__name__ not in ("Refused",):
            errors += 1
    lat.append(time.perf_counter() - t0)
s.close()
print(json.dumps({"tx": len(lat), "errors": errors, "lat": lat}))
"""


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def build(db: Path, pieces: int, batch: int) -> float:
    s = open_board(db, "ana", create=True)
    try:
        for handle in PEOPLE:
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


def time_ls(db: Path, runs: int) -> tuple[list[float], int, int]:
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


def time_startup(db: Path, runs: int) -> float:
    """Wall time of a command that reads almost nothing: the fixed cost of every call."""
    env = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana"}
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "prodboard", "ls", "--owner", "nobody"], env=env,
                       capture_output=True, check=True)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def writers(db: Path, count: int, seconds: float, pieces: int) -> dict[str, float]:
    start = time.time() + 2.0  # time for every process to import and open the board
    stop = start + seconds
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), PEOPLE[i % len(PEOPLE)], str(start), str(stop),
             str(pieces)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(count)
    ]
    lat: list[float] = []
    tx = errors = 0
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 60)
        if proc.returncode != 0:
            raise SystemExit(f"writer failed:\n{err}")
        report = json.loads(out)
        tx += report["tx"]
        errors += report["errors"]
        lat.extend(report["lat"])
    return {"tx": tx, "errors": errors, "tps": tx / seconds, "p50": pct(lat, 0.5) * 1000,
            "p99": pct(lat, 0.99) * 1000, "max": max(lat) * 1000 if lat else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pieces", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=1_000, help="pieces per create_many transaction")
    ap.add_argument("--seconds", type=float, default=3.0, help="duration of each write run")
    ap.add_argument("--ls-runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the temporary board and print its path")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="prodboard-bench-")
    db = Path(tmp) / "board.db"
    print(f"prodboard store benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")

    secs = build(db, args.pieces, args.batch)
    print(f"\nbuild: {args.pieces} pieces in batches of {args.batch} (one event each): "
          f"{secs:.2f} s = {args.pieces / secs:,.0f} pieces/s; file {db.stat().st_size / 1e6:.1f} MB")

    startup = time_startup(db, 3)
    walls, size, count = time_ls(db, args.ls_runs)
    print(f"\n`prodboard ls --json` ({count} pieces, {size / 1e6:.2f} MB of JSON), {args.ls_runs} runs:")
    print(f"  wall median {statistics.median(walls) * 1000:.0f} ms, min {min(walls) * 1000:.0f} ms, "
          f"max {max(walls) * 1000:.0f} ms")
    print(f"  (of which process start + imports + open, from `ls --owner nobody`: {startup * 1000:.0f} ms)")

    print(f"\nwrite throughput: each transaction one Board command (75 % edit, 25 % move), "
          f"BEGIN IMMEDIATE, {args.seconds:g} s per run:")
    for n in (1, 4):
        r = writers(db, n, args.seconds, args.pieces)
        print(f"  {n} writer process{'es' if n > 1 else '  '}: {r['tps']:,.0f} tx/s "
              f"({r['tx']} tx, errors {r['errors']}); latency p50 {r['p50']:.1f} ms, "
              f"p99 {r['p99']:.1f} ms, max {r['max']:.0f} ms")

    if args.keep:
        print(f"\nboard kept at {db}")
    else:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()

"""Export and import at 10,000 pieces, through the real command line.

    python benchmarks/bench_transfer.py [--pieces 10000] [--runs 3]

A CSV of N pieces (every piece with tags, a due date, a two-line key message; two in
three owned) is imported into a fresh board; the board is exported as JSON and as CSV;
the JSON is restored into another fresh board; the CSV is imported again (every piece
unchanged). Each step is one `python -m prodboard` process, timed wall clock from
start to exit (interpreter start-up included), and its CPU time (user + system,
from getrusage of the children): on a shared machine the wall clock includes
waiting for a core. Prints the medians of --runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(db: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process: user + system)."""
    env = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "prodboard", *args], env=env, check=True,
                   capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def once(folder: Path, pieces: int) -> dict[str, tuple[float, float]]:
    stages = ["ideas", "brief", "draft", "review", "published"]
    src = folder / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        fh.write("id,title,stage,owner,tags,due,key_message\r\n")
        for i in range(pieces):
            fh.write(f"r{i},Piece {i},{stages[i % 5]},{'ana' if i % 3 else ''},\"seo, q1\","
                     f"2027-01-{i % 28 + 1:02d},\"line one\nline two\"\r\n")
    a, b = folder / "a.db", folder / "b.db"
    run(a, "init")
    run(b, "init")
    out = {"import csv": run(a, "import", str(src)),
           "export json": run(a, "export", "--out", str(folder / "a.json")),
           "export csv": run(a, "export", "--format", "csv", "--out", str(folder / "a.csv")),
           "restore json": run(b, "import", str(folder / "a.json")),
           "re-import csv (unchanged)": run(a, "import", str(src))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            for name, seconds in once(Path(tmp), args.pieces).items():
                results.setdefault(name, []).append(seconds)
    print(f"{args.pieces:,} pieces, median of {args.runs} runs, one process each "
          "(wall clock; CPU = user + system of that process):")
    for name, values in results.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"  {name:<28} wall {wall:6.2f} s   cpu {cpu:6.2f} s")


if __name__ == "__main__":
    main()

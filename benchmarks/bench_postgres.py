"""PostgreSQL next to SQLite: commit -> wake-up latency and write throughput.

Latency: a second process commits ~300 events, one transaction each, 10-50 ms apart,
and prints each event id with the monotonic time right after its commit; this
process receives them through ``ChangeFeed.batches()`` (SQLite: file watcher +
data_version; PostgreSQL: LISTEN/NOTIFY) with a 1 s fallback poll.

Throughput: 1, 4 and 8 writer processes, each transaction one command (75 % edit,
25 % move) on a board of ``--pieces`` pieces, for ``--seconds`` each.

Needs the server (default postgresql://postgres@127.0.0.1:5432/test, or
PRODBOARD_BENCH_PG); each run makes its own board schema and drops it.

Run: .venv/bin/python benchmarks/bench_postgres.py [--events 300] [--pieces 2000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_feed import measure  # noqa: E402 - the same latency harness as the SQLite feed
from bench_store import PEOPLE, ROLES, STAGES, writers  # noqa: E402

from prodboard.services.context import open_board  # noqa: E402
from prodboard.storage.store import remove_board  # noqa: E402

SERVER = os.environ.get("PRODBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def make_board(location: str, pieces: int) -> None:
    """ana (the founder), ben and the other PEOPLE, and ``pieces`` pieces."""
    s = open_board(location, "ana", create=True)
    try:
        s.board.set_person("ana", display_name="Ana", roles=ROLES["ana"])
        for handle in PEOPLE[1:]:
            s.board.add_person(handle, handle.title(), ROLES.get(handle, ["writer"]))
        done = 0
        while done < pieces:
            size = min(1000, pieces - done)
            s.board.create_many([
                {"title": f"Piece {done + i}", "stage": STAGES[(done + i) % len(STAGES)],
                 "owner": PEOPLE[(done + i) % len(PEOPLE)], "audience": "Heads of content"}
                for i in range(size)
            ])
            done += size
    finally:
        s.close()


def latency_row(label: str, lat: list[float]) -> str:
    ordered = sorted(lat)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return (f"{label:<34}{at(50):>9.1f}{at(95):>9.1f}{at(99):>9.1f}{max(lat):>9.1f}"
            f"   (n={len(lat)}, mean {statistics.mean(lat):.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--pieces", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="prodboard-bench-")
    os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
    os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
    os.environ.pop("PRODBOARD_WATCH", None)
    tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    boards = {
        "sqlite": (str(Path(tmp) / "latency.db"), str(Path(tmp) / "writes.db")),
        "postgresql": (f"{SERVER}?board=bench_lat_{tag}", f"{SERVER}?board=bench_wr_{tag}"),
    }
    print(f"prodboard PostgreSQL benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
          f"server {SERVER})")
    try:
        print(f"\ncommit in another process -> delivered by ChangeFeed: {args.events} events, "
              "10-50 ms apart, 1 s fallback poll")
        print(f"{'backend':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for kind, (location, _) in boards.items():
            make_board(location, 0)
            lat = asyncio.run(measure(location, args.events, True, 1.0))  # type: ignore[arg-type]
            wake = "file watcher + data_version" if kind == "sqlite" else "LISTEN/NOTIFY"
            print(latency_row(f"{kind} ({wake})", lat))

        print(f"\nwrite throughput: one command per transaction (75 % edit, 25 % move), "
              f"{args.pieces} pieces, {args.seconds:g} s per run")
        for kind, (_, location) in boards.items():
            t0 = time.perf_counter()
            make_board(location, args.pieces)
            print(f"  {kind}: board built in {time.perf_counter() - t0:.1f} s")
            for n in (1, 4, 8):
                r = writers(location, n, args.seconds, args.pieces)  # type: ignore[arg-type]
                print(f"  {kind:<10} {n} writer{'s' if n > 1 else ' '}: {r['tps']:>7,.0f} tx/s "
                      f"({r['tx']} tx, errors {r['errors']}); latency p50 {r['p50']:.1f} ms, "
                      f"p99 {r['p99']:.1f} ms, max {r['max']:.0f} ms")
    finally:
        for _, (a, b) in boards.items():
            for location in (a, b):
                try:
                    remove_board(location)
                except Exception as exc:  # noqa: BLE001 - report, and clean up the rest
                    print(f"could not remove {location}: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Change feed latency and idle cost.

Latency: a second process commits ~300 events, one transaction each, 10-50 ms
apart, and prints each event id with the monotonic time right after its commit
(CLOCK_MONOTONIC is one clock for the whole machine). This process receives them
through ``ChangeFeed.batches()`` and notes when each arrives. Reported for the
watcher (default: 3 ms step, 1 s fallback poll) and for poll-only (1 s).

Idle: a fresh process runs the feed with nothing happening for ~5 s and reports
its CPU time over wall time (getrusage: user + system), for both modes.

Run: .venv/bin/python benchmarks/bench_feed.py [--events 300] [--idle-seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from prodboard.services.context import open_board
from prodboard.services.feed import ChangeFeed

WRITER = """
import random, sys, time
from prodboard.services.context import open_board
s = open_board(sys.argv[1], "ben")
random.seed(7)
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[2])):
    time.sleep(random.uniform(0.010, 0.050))
    s.board.create(f"bench {i}")
    committed = time.monotonic()
    print(s.queries.last_event_id(), committed, flush=True)
s.close()
"""


def make_board(folder: Path) -> Path:
    db = folder / "board.db"
    s = open_board(db, "ana", create=True)
    s.board.set_person("ana", display_name="Ana", roles=["pm"])  # the founder is on it already
    s.board.add_person("ben", "Ben", ["writer"])
    s.close()
    return db


async def measure(db: Path, events: int, use_watcher: bool, poll_interval: float) -> list[float]:
    """Latencies (ms) from commit in the writer to delivery by batches()."""
    s = open_board(db, "ana")
    feed = ChangeFeed(s.store, s.queries.last_event_id(), use_watcher=use_watcher,
                      poll_interval=poll_interval)
    arrived: dict[int, float] = {}

    async def consume() -> None:
        async for batch in feed.batches():
            now = time.monotonic()
            for ev in batch:
                arrived[ev.id] = now
            if len(arrived) >= events:
                return

    task = asyncio.create_task(consume())
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(events)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert writer.stdin and writer.stdout
    assert (await asyncio.to_thread(writer.stdout.readline)).strip() == "ready"
    await asyncio.sleep(0.5)  # the feed is up and waiting
    writer.stdin.write("go\n")
    writer.stdin.flush()
    out, _ = await asyncio.to_thread(writer.communicate)
    await asyncio.wait_for(task, 30)
    feed.close()
    s.close()
    committed = {int(a): float(b) for a, b in (line.split() for line in out.splitlines())}
    assert set(committed) == set(arrived), "missed or extra events"
    return [(arrived[i] - committed[i]) * 1000 for i in sorted(committed)]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def idle_child(db: str, seconds: float, use_watcher: bool) -> None:
    """Run the feed for ``seconds`` with nothing happening; print CPU % of one core."""

    async def run() -> float:
        s = open_board(Path(db), "ana")
        feed = ChangeFeed(s.store, s.queries.last_event_id(), use_watcher=use_watcher)

        async def consume() -> None:
            async for _ in feed.batches():
                pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(1.0)  # start-up (imports, watcher thread) is not idle time
        r0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        await asyncio.sleep(seconds)
        r1, w1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        feed.close()
        await task
        s.close()
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        return 100 * cpu / (w1 - w0)

    print(f"{asyncio.run(run()):.3f}")


def idle_cpu(db: Path, seconds: float, use_watcher: bool) -> float:
    proc = subprocess.run(
        [sys.executable, __file__, "--idle-child", str(db), "--idle-seconds", str(seconds),
         *([] if use_watcher else ["--no-watcher"])],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )
    return float(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--idle-child", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--no-watcher", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.idle_child:
        idle_child(args.idle_child, args.idle_seconds, not args.no_watcher)
        return

    with tempfile.TemporaryDirectory(prefix="prodboard-bench-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        os.environ.pop("PRODBOARD_WATCH", None)
        print(f"{args.events} events, one commit each, 10-50 ms apart, from a second process")
        print(f"{'mode':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for label, watcher, interval in (
            ("watcher (step 3 ms) + 1 s poll", True, 1.0),
            ("poll only (1 s)", False, 1.0),
        ):
            folder = Path(tmp) / ("watch" if watcher else "poll")
            folder.mkdir()
            db = make_board(folder)
            lat = asyncio.run(measure(db, args.events, watcher, interval))
            print(f"{label:<34}{pct(lat, 50):>9.1f}{pct(lat, 95):>9.1f}{pct(lat, 99):>9.1f}"
                  f"{max(lat):>9.1f}   (n={len(lat)}, mean {statistics.mean(lat):.1f})")
        db = Path(tmp) / "watch" / "board.db"
        for label, watcher in (("watcher + 1 s poll", True), ("poll only (1 s)", False)):
            cpu = idle_cpu(db, args.idle_seconds, watcher)
            print(f"idle CPU, {label}: {cpu:.2f} % of one core over {args.idle_seconds:g} s")


if __name__ == "__main__":
    main()

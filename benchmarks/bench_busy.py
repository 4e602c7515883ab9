"""What a running board costs while others write: CPU and RSS of the app, per minute.

    python benchmarks/bench_busy.py [--minutes 3] [--rate 5] [--census]
        [--backend sqlite|postgresql]

A demo board is built (as ana). A probe process runs the live app for chloe
(``make_app(open_board(db, "chloe"), live=True)`` under ``app.run_test(size=(160, 45),
notifications=True)``, headless: everything is laid out and rendered, only the write
to a terminal is skipped). After a 5 s settle, a writer process (ben) writes
``--rate`` events a second for ``--minutes`` minutes on a fixed schedule, one
transaction each, taking turns: a comment on a random piece, a title edit on a random
piece (so cards change on the board), a comment on chloe's own piece (so she is
alerted). The probe prints, for each minute, its CPU time (getrusage, user + system)
as % of one core and its RSS (VmRSS) at the minute's end; with ``--census``, also how
many ``textual.cache.FIFOCache`` objects are alive after a ``gc.collect()`` (each Textual Strip owns several:
strips rebuilt on every repaint show here). The census runs between minutes, outside
the CPU figure.

Targets (issue 16): <= 5 % of one core, RSS flat (within 5 MB over 10 minutes). The
load average is printed with each minute: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SERVER = os.environ.get("PRODBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
SETTLE = 5.0

PROBE = r'''
import asyncio, gc, json, os, resource, sys, time
from prodboard.services.context import open_board
from prodboard.tui.app import make_app

db, minutes, census = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
app = make_app(open_board(db, "chloe"), live=True)

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def fifo_caches():
    gc.collect()  # the ones alive, not garbage waiting for a collection
    from textual.cache import FIFOCache
    return sum(1 for o in gc.get_objects() if type(o) is FIFOCache)

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()

async def main():
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await pilot.pause()
        await asyncio.sleep(SETTLE)
        out({"ready": True, "rss_mb": rss_mb(), "fifo": fifo_caches() if census else None})
        await asyncio.to_thread(sys.stdin.readline)  # the writer starts now
        for minute in range(1, minutes + 1):
            c0, w0 = cpu(), time.monotonic()
            await asyncio.sleep(60)
            c1, w1 = cpu(), time.monotonic()
            out({"minute": minute, "cpu_pct": 100 * (c1 - c0) / (w1 - w0), "rss_mb": rss_mb(),
                 "fifo": fifo_caches() if census else None, "load": os.getloadavg()[0],
                 "unread": app.unread})
asyncio.run(main())
'''.replace("SETTLE", repr(SETTLE))

WRITER = r'''
import random, sys, time
from prodboard.services.context import open_board
s = open_board(sys.argv[1], "ben")
seconds, rate, own = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(5)
ids = [p.id for p in s.queries.pieces()]
start = time.monotonic()
n = 0
while True:
    due = start + n / rate
    if due - start >= seconds:
        break
    time.sleep(max(0.0, due - time.monotonic()))
    turn = n % 3
    if turn == 0:
        s.board.comment(rng.choice(ids), f"busy comment {n}")
    elif turn == 1:
        pid = rng.choice(ids)
        s.board.edit(pid, {"title": f"busy title {n} of #{pid}"})
    else:
        s.board.comment(own, f"for chloe {n}")
    n += 1
print(n, flush=True)
s.close()
'''


def build(db: str) -> int:
    """A demo board at ``db``, quiet for chloe (checks run, inbox read); returns the id
    of a piece chloe owns."""
    from prodboard.services.checks import run_checks
    from prodboard.services.context import open_board

    s = open_board(db, "ana", create=True, demo=True)
    run_checks(s.board)
    piece = next(p for p in s.queries.pieces() if p.owner == "chloe")
    s.close()
    c = open_board(db, "chloe")
    c.board.mark_read(c.queries.last_event_id())
    c.close()
    return piece.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=3)
    parser.add_argument("--rate", type=float, default=5.0, help="events a second")
    parser.add_argument("--census", action="store_true", help="count FIFOCache objects")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    from prodboard.storage.store import remove_board

    with tempfile.TemporaryDirectory(prefix="prodboard-bench-busy-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        os.environ.pop("PRODBOARD_CONFIG", None)
        env = {**os.environ, "PRODBOARD_CHECK_INTERVAL": "3600"}
        db = (str(Path(tmp) / "busy.db") if args.backend == "sqlite"
              else f"{SERVER}?board=bench_busy_{os.getpid()}_{uuid.uuid4().hex[:6]}")
        rows = []
        try:
            own = build(db)
            probe = subprocess.Popen(
                [sys.executable, "-c", PROBE, db, str(args.minutes), "1" if args.census else "0"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
            assert probe.stdin and probe.stdout
            first = json.loads(probe.stdout.readline())
            writer = subprocess.Popen(
                [sys.executable, "-c", WRITER, db, str(args.minutes * 60), str(args.rate),
                 str(own)], stdout=subprocess.PIPE, text=True, env=env)
            probe.stdin.write("go\n")
            probe.stdin.flush()
            started = time.monotonic()
            for _ in range(args.minutes):
                rows.append(json.loads(probe.stdout.readline()))
                r = rows[-1]
                print(f"  minute {r['minute']}: {r['cpu_pct']:.1f} % of a core, "
                      f"RSS {r['rss_mb']:.1f} MB", flush=True, file=sys.stderr)
            written, _ = writer.communicate(timeout=120)
            probe.wait(timeout=60)
            elapsed = time.monotonic() - started
        finally:
            if args.backend == "postgresql":
                remove_board(db)

    events = int(written.strip() or 0)
    print(f"A running board ({args.backend}, {os.cpu_count()} CPUs) while another process "
          f"writes {args.rate:g} events/s: {events} events in {elapsed:.0f} s")
    census = f"{'FIFOCaches':>12}" if args.census else ""
    print(f"{'minute':>7}{'CPU % core':>12}{'RSS MB':>9}{census}{'unread':>8}{'load':>7}")
    fifo = f"{first['fifo']:>12}" if args.census else ""
    print(f"{'start':>7}{'':>12}{first['rss_mb']:>9.1f}{fifo}{'':>8}{'':>7}")
    for r in rows:
        fifo = f"{r['fifo']:>12}" if args.census else ""
        print(f"{r['minute']:>7}{r['cpu_pct']:>12.1f}{r['rss_mb']:>9.1f}{fifo}{r['unread']:>8}"
              f"{r['load']:>7.1f}")
    cpu = max(r["cpu_pct"] for r in rows)
    growth = rows[-1]["rss_mb"] - rows[0]["rss_mb"]
    print(f"CPU: worst minute {cpu:.1f} % of a core (target <= 5 %): "
          f"{'PASS' if cpu <= 5 else 'FAIL'}")
    print(f"RSS: {growth:+.1f} MB from minute 1 to minute {len(rows)} (target: within 5 MB over "
          f"10 minutes): {'PASS' if abs(growth) <= 5 else 'FAIL'}")
    print("(headless Textual: layout and rendering run, the terminal write is skipped)")


if __name__ == "__main__":
    main()

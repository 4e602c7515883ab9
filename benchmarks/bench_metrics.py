"""Metrics over a large history: `report --json`, the Metrics screen, one new event.

    python benchmarks/bench_metrics.py [--pieces 10000] [--events-per-piece 30] [--runs 3]

Builds a board of N pieces with ~30 events each (two years of work: created, moved
through every stage, revision rounds, due-date edits, reassignments, checklist ticks,
comments; most published, some archived or rejected). The rows are written directly,
in the shape the commands write them, because 300,000 commands one by one take many
minutes; the one new event of the refresh figure is a real command.

Prints (medians of --runs):
- report --json: a fresh `prodboard report --json` process, start to exit (the
  first run replays everything and writes the replay cache; the later ones read it),
  and the same work in-process (replay + figures + JSON); CPU time beside wall time,
  as the machine may be shared;
- screen: the Metrics screen opened on the board (160x45) → every chart painted;
- refresh: after one new event by another person, replaying it and recomputing the
  figures (what the open screen does: only the touched piece's share is worked out
  again), and commit → repainted on the open screen (the app's feed tells it);
- the monthly health check in-process (four months' figures, with the review tracks);
- the load average before and after, as the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STAGES = ["ideas", "brief", "draft", "review", "optimize", "scheduled", "published"]
FORMATS = ["blog post", "video", "newsletter", "social post", "whitepaper"]
PEOPLE = ["ana", "ben", "chloe", "dev", "eli", "fay", "gus", "hana"]
CHECKS = ["brand_voice", "seo", "legal", "channels", "analytics"]


def build(db: Path, pieces: int, per_piece: int) -> int:
    """The board; returns how many events it holds."""
    from prodboard.domain.clock import iso
    from prodboard.services.context import open_board
    from prodboard.storage import tables as m

    os.environ["PRODBOARD_NOW"] = iso(NOW - timedelta(days=800))
    s = open_board(db, "ana", create=True)
    s.board.set_person("ana", roles=["admin", "pm", "editor"])
    for who in PEOPLE[1:]:
        s.board.add_person(who, who.title(), ["editor" if who == "ben" else "writer"])
    rng = random.Random(11)
    piece_rows, events = [], []
    for pid in range(1, pieces + 1):
        t = born = NOW - timedelta(days=rng.uniform(1, 730))
        owner, fmt = rng.choice(PEOPLE[2:]), rng.choice(FORMATS)
        due = (t + timedelta(days=rng.randint(10, 40))).date()
        hist: list[tuple[datetime, str, dict[str, object]]] = []
        target = 6 if t < NOW - timedelta(days=45) else rng.randint(0, 6)
        stage, rounds = "ideas", 0
        hist.append((t, "piece.created", {"title": f"Piece {pid}", "stage": "ideas",
                                          "owner": owner, "version": 1, "changes": {}}))
        i = 0
        while STAGES.index(stage) < target and len(hist) < per_piece - 3:
            t += timedelta(hours=rng.uniform(4, 96))
            nxt = STAGES[STAGES.index(stage) + 1]
            kind = "piece.moved"
            if stage == "review" and rng.random() < 0.35 and rounds < 4:
                nxt, kind, rounds = "draft", "piece.changes_requested", rounds + 1
            elif stage == "review":
                kind = "piece.approved"
            if stage == "optimize":
                for item in CHECKS:
                    hist.append((t, "checklist.ticked", {"item": item, "changes": {}}))
            hist.append((t, kind, {"title": f"Piece {pid}", "changes": {"stage": [stage, nxt]}}))
            stage = nxt
            i += 1
            if rng.random() < 0.3:
                new_due = due + timedelta(days=rng.randint(1, 9))
                hist.append((t, "piece.edited", {"changes": {"due": [due.isoformat(),
                                                                     new_due.isoformat()]}}))
                due = new_due
            if rng.random() < 0.1:
                other = rng.choice(PEOPLE[2:])
                hist.append((t, "piece.assigned", {"changes": {"owner": [owner, other]}}))
                owner = other
        while len(hist) < per_piece:
            t += timedelta(minutes=rng.uniform(5, 600))
            hist.append((min(t, NOW), "comment.added", {"body": "Looks good", "mentions": []}))
        archived = stage != "published" and rng.random() < 0.1
        if archived:
            hist.append((t, "piece.rejected" if rng.random() < 0.5 else "piece.archived",
                         {"reason": "bench", "changes": {"archived": [False, True]}}))
        for n, (at, kind, data) in enumerate(sorted(hist, key=lambda h: h[0])):
            events.append({"at": iso(min(at, NOW)), "actor": owner, "kind": kind,
                           "piece_id": pid, "data": {**data, "version": n + 1}})
        now = iso(min(t, NOW))
        piece_rows.append({"id": pid, "title": f"Piece {pid}", "format": fmt, "owner": owner,
                           "stage": stage, "rank": float(pid), "due": due.isoformat(),
                           "cost": float(rng.randint(100, 5000)), "revision_rounds": rounds,
                           "stage_entered_at": now, "created_at": iso(born),
                           "updated_at": now, "archived": archived, "channels": [], "tags": [],
                           "reviewers": [], "links": [], "checklist": {}, "version": 1})
    events.sort(key=lambda e: str(e["at"]))
    with s.store.write() as conn:
        for i in range(0, len(piece_rows), 2000):
            conn.execute(m.PIECES.insert(), piece_rows[i : i + 2000])
        for i in range(0, len(events), 5000):
            conn.execute(m.EVENTS.insert(), events[i : i + 5000])
    s.close()
    return len(events)


SCREEN = r'''
import asyncio, json, sys, time
from pathlib import Path
from prodboard.services.commands import Commands
from prodboard.services.context import open_board
from prodboard.tui.app import make_app
from prodboard.tui.screens.metrics import MetricsScreen

db = Path(sys.argv[1])
app = make_app(open_board(db, "ana"), live=True)  # the feed tells the open screen

async def main():
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        t0, c0 = time.perf_counter(), time.process_time()
        await pilot.press("r")  # the board's metrics key
        while not (isinstance(app.screen, MetricsScreen) and app.screen.ready):
            await asyncio.sleep(0.002)
        painted = {}
        app.screen.call_after_refresh(lambda: painted.setdefault("t", time.perf_counter()))
        while "t" not in painted:
            await asyncio.sleep(0.002)
        opened, opened_cpu = painted["t"] - t0, time.process_time() - c0
        screen = app.screen
        ws = app.session
        other = Commands(ws.store, ws.workflow, "ben", ws.board.clock)
        lat = []
        for i in range(5):
            pid = next(p.id for p in ws.queries.pieces(stage="ideas"))
            paints = screen.paints
            t1 = time.perf_counter()
            other.move(pid, "brief")
            while screen.paints == paints:
                await asyncio.sleep(0.002)
            lat.append(time.perf_counter() - t1)
        print(json.dumps({"open_s": opened, "open_cpu_s": opened_cpu,
                          "commit_to_repaint_s": sorted(lat)[2]}))
asyncio.run(main())
'''

INPROCESS = r'''
import json, sys, time
from pathlib import Path
from prodboard.domain.report_out import report_json
from prodboard.services.commands import Commands
from prodboard.services.context import open_board
from prodboard.domain.metrics import month_of
from prodboard.services.metrics import Figures

ws = open_board(Path(sys.argv[1]), "ana")
c0 = time.process_time()
t0 = time.perf_counter()
f = Figures.open(ws)
t1, c1 = time.perf_counter(), time.process_time()
report, tiles = f.tiles(f.default_period())
text = json.dumps(report_json(report, tiles))
t2, c2 = time.perf_counter(), time.process_time()
f.health(month_of(f.today()))
health_s = time.perf_counter() - t2
other = Commands(ws.store, ws.workflow, "ben", ws.board.clock)
costs, cpus, made = [], [], []
for i in range(5):
    pid = next(p.id for p in ws.queries.pieces(stage="ideas"))
    other.move(pid, "brief")
    t3, p3 = time.perf_counter(), time.process_time()
    before = f.memo.made
    assert f.refresh() == 1
    f.tiles(f.default_period())
    costs.append(time.perf_counter() - t3)
    cpus.append(time.process_time() - p3)
    made.append(f.memo.made - before)
cpu = time.process_time() - c0
print(json.dumps({"replay_s": t1 - t0, "figures_s": t2 - t1, "total_s": t2 - t0, "cpu_s": cpu,
                  "replay_cpu_s": c1 - c0, "figures_cpu_s": c2 - c1,
                  "refresh_s": sorted(costs)[2], "refresh_cpu_s": sorted(cpus)[2],
                  "events": f.replay.cursor,
                  "health_s": health_s, "shares_made": max(made)}))
'''


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pieces", type=int, default=10000)
    ap.add_argument("--events-per-piece", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "board.db"
        t = time.perf_counter()
        n = build(db, args.pieces, args.events_per_piece)
        print(f"built {args.pieces} pieces, {n} events in {time.perf_counter() - t:.1f} s")
        env = {**os.environ, "PRODBOARD_WATCH": "0", "PRODBOARD_NOW": NOW.isoformat(),
               "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana", "TZ": "UTC"}
        cli, cli_cpu, inproc, screen = [], [], [], []

        def child_cpu() -> float:
            use = resource.getrusage(resource.RUSAGE_CHILDREN)
            return use.ru_utime + use.ru_stime

        for _ in range(args.runs):
            t, c = time.perf_counter(), child_cpu()
            out = subprocess.run([sys.executable, "-m", "prodboard", "report", "--json"],
                                 capture_output=True, text=True, env=env, check=True)
            cli.append(time.perf_counter() - t)
            cli_cpu.append(child_cpu() - c)
            json.loads(out.stdout)
            r = subprocess.run([sys.executable, "-c", INPROCESS, str(db)], capture_output=True,
                               text=True, env=env, check=True)
            inproc.append(json.loads(r.stdout.strip().splitlines()[-1]))
            # The screen follows the app's feed, woken by the file watcher as in use.
            r = subprocess.run([sys.executable, "-c", SCREEN, str(db)], capture_output=True,
                               text=True, env={**env, "PRODBOARD_WATCH": "1"}, check=True)
            screen.append(json.loads(r.stdout.strip().splitlines()[-1]))

        def med(xs: list[float]) -> float:
            return statistics.median(xs)

        print(f"report --json process, start to exit: first (no cache yet) {cli[0]:.2f} s "
              f"(CPU {cli_cpu[0]:.2f} s); later runs median {med(cli[1:] or cli):.2f} s "
              f"(CPU {med(cli_cpu[1:] or cli_cpu):.2f} s)")
        print(f"  in-process: replay {med([x['replay_s'] for x in inproc]):.3f} s + figures "
              f"and JSON {med([x['figures_s'] for x in inproc]):.3f} s = "
              f"{med([x['total_s'] for x in inproc]):.3f} s (CPU "
              f"{med([x['replay_cpu_s'] for x in inproc]):.3f} s + "
              f"{med([x['figures_cpu_s'] for x in inproc]):.3f} s)")
        print(f"screen open -> every chart painted (160x45): {med([x['open_s'] for x in screen]):.3f} s "
              f"(CPU {med([x['open_cpu_s'] for x in screen]):.3f} s)")
        print(f"refresh after one event (replay it + figures): "
              f"{med([x['refresh_s'] for x in inproc]) * 1000:.1f} ms (CPU "
              f"{med([x['refresh_cpu_s'] for x in inproc]) * 1000:.1f} ms; piece shares worked "
              f"out again: at most {max(x['shares_made'] for x in inproc)})")
        print(f"  commit -> open screen repainted (told by the app's feed): "
              f"{med([x['commit_to_repaint_s'] for x in screen]) * 1000:.0f} ms")
        print(f"monthly health check in-process (4 months): "
              f"{med([x['health_s'] for x in inproc]):.3f} s")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

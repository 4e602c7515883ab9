"""PostgreSQL next to SQLite: commit -> wake-up latency and write throughput.

Latency: a second process commits ~300 events, one transaction each, 10-50 ms apart,
and prints each event id with the monotonic time right after its commit; this
process receives them through ``ChangeFeed.batches()`` (SQLite: file watcher +
data_version; PostgreSQL: LISTEN/NOTIFY) with a 1 s fallback poll.

Throughput: 1, 4 and 8 writer processes, each transaction one command (75 % edit,
25 % move) on a board of ``--pieces`` pieces, for ``--seconds`` each. Each writer
opens the board once, before the clock starts, and loops without sleeping. On
PostgreSQL the runs are repeated with a login role whose commits do not wait for the
WAL flush (``ALTER ROLE ... SET synchronous_commit = off``, the nearest thing to
SQLite's ``synchronous=NORMAL``), and ``--floor`` adds one edit's statements sent by
pgbench (a C client): what the server and its disk allow at all.

Each throughput row also gives the CPU per transaction: the writer processes' own
(``process_time``) and the server's (every PostgreSQL process on this host, from
/proc: anything else the server runs meanwhile is counted too). On a shared machine
these move less than the rates do.

Needs the server (default postgresql://postgres@127.0.0.1:5432/test, or
PRODBOARD_BENCH_PG); each run makes its own board schema and drops it.

Run: .venv/bin/python benchmarks/bench_postgres.py [--events 300] [--pieces 2000] [--seconds 3]
     [--skip-latency] [--floor]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_feed import measure
from bench_store import PEOPLE, ROLES, STAGES

from prodboard.services.context import open_board
from prodboard.storage.store import remove_board

SERVER = os.environ.get("PRODBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")

# One writer process: opens the board, says ready, waits for "go <stop time>", then
# runs one command per transaction until the stop time (so slow starts do not count).
WRITER = r"""
import json, random, sys, time
from prodboard.services.context import open_board

db, user, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = open_board(db, user)
rng = random.Random(user)
print("ready", flush=True)
stop = float(sys.stdin.readline().split()[1])
lat, errors = [], []
cpu = time.process_time()
while time.time() < stop:
    pid = rng.randint(1, n)
    t0 = time.perf_counter()
    try:
        if rng.random() < 0.75:
            s.board.edit(pid, {"cost": rng.randint(0, 5000), "priority": rng.randint(1, 4)})
        else:
            s.board.move(pid, rng.choice(["scheduled", "published"]))
    except Exception as exc:  # a refused move (already there) still ran its transaction
        if type(exc).__name__ != "Refused":
            errors.append(f"{type(exc).__name__}: {exc}")
    lat.append(time.perf_counter() - t0)
cpu = time.process_time() - cpu
print(json.dumps({"tx": len(lat), "errors": errors, "lat": lat, "cpu": cpu}), flush=True)
sys.stdin.readline()  # closed only after the server's CPU is read (its backend ends with it)
s.close()
"""


def writers(location: str, count: int, seconds: float, pieces: int) -> dict[str, float]:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, location, PEOPLE[i % len(PEOPLE)], str(pieces)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for i in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"writer failed:\n{proc.communicate()[1]}")
    server = server_cpu()
    stop = time.time() + seconds
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(f"go {stop}\n")
        proc.stdin.flush()
    lat: list[float] = []
    tx = 0
    cpu = 0.0
    errors: list[str] = []
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"writer failed:\n{proc.communicate()[1]}")
        report = json.loads(line)
        tx += report["tx"]
        cpu += report["cpu"]
        errors += report["errors"]
        lat.extend(report["lat"])
    server = server_cpu() - server
    for proc in procs:
        _, err = proc.communicate("close\n", timeout=120)
        if proc.returncode != 0:
            raise SystemExit(f"writer failed:\n{err}")
    if errors:
        print(f"    first error: {errors[0]}")
    ordered = sorted(lat) or [float("nan")]
    return {"tx": tx, "errors": len(errors), "tps": tx / seconds,
            "client_ms": cpu / max(tx, 1) * 1000, "server_ms": server / max(tx, 1) * 1000,
            "p50": ordered[len(ordered) // 2] * 1000,
            "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
            "max": ordered[-1] * 1000}


def server_cpu() -> float:
    """CPU seconds used so far by this host's PostgreSQL processes (the server runs
    here in these runs; on SQLite nothing runs, and a remote server reads 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if "(postgres)" in stat:
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


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


def admin_url() -> str:
    return SERVER.replace("postgresql+psycopg://", "postgresql://")


def async_role(schema: str, tag: str) -> str:
    """A login role on ``schema`` whose commits do not wait for the WAL flush; its URL."""
    role = f"pb_bench_async_{tag}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"ALTER ROLE {role} SET synchronous_commit = off")
        conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {role}")
        conn.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
    parts = urlsplit(admin_url())
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{role}@{host}", parts.path, f"board={schema}", ""))


def drop_role(url: str) -> None:
    role = urlsplit(url).username
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


# One edit's statements as prodboard sends them (the shared board lock, the team,
# the piece's row, the update returning it, the recipients' read, the event under
# the event lock), for pgbench.
FLOOR = """\\set pid random(1, {pieces})
\\set cost random(0, 5000)
BEGIN;
{extra}SELECT set_config('lock_timeout', '5000ms', true), pg_advisory_xact_lock_shared(1), 1;
SELECT handle, display_name, roles, away, away_note, delegate, alert_level, created_at FROM person;
SELECT * FROM piece WHERE id = :pid FOR NO KEY UPDATE;
UPDATE piece SET cost = :cost, version = version + 1 WHERE id = :pid RETURNING *;
SELECT p.owner, p.reviewers, p.stage, p.title, w.handle FROM piece p
  LEFT JOIN watch w ON w.piece_id = p.id WHERE p.id = :pid;
INSERT INTO event (id, at, actor, kind, piece_id, data) VALUES ((SELECT nextval('event_id_seq')
  FROM (SELECT pg_advisory_xact_lock(2)) AS held), now()::text, 'ben', 'piece.edited', :pid,
  '{{"changes": {{"cost": [0, 1]}}, "version": 2}}') RETURNING id;
COMMIT;
"""


def floor(schema: str, pieces: int, seconds: float, tmp: str) -> None:
    """What the server and its disk allow: the same transactions from a C client."""
    pgbench = shutil.which("pgbench") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if pgbench is None:
        print("  (no pgbench on this machine: floor skipped)")
        return
    parts = urlsplit(admin_url())
    env = {**os.environ, "PGOPTIONS": f"-c search_path={schema}", "PGHOST": parts.hostname or "",
           "PGPORT": str(parts.port or 5432), "PGUSER": parts.username or "",
           "PGDATABASE": parts.path.lstrip("/")}
    script = Path(tmp) / "floor.sql"
    for label, extra in (("durable", ""),
                         ("synchronous_commit=off", "SET LOCAL synchronous_commit = off;\n")):
        script.write_text(FLOOR.format(pieces=pieces, extra=extra))
        for n in (1, 8):
            out = subprocess.run([pgbench, "-n", "-M", "prepared", "-f", str(script), "-c", str(n),
                                  "-j", str(min(n, 2)), "-T", str(max(1, round(seconds)))],
                                 capture_output=True, text=True, env=env, check=False).stdout
            tps = next((ln.split("=")[1].split()[0] for ln in out.splitlines()
                        if ln.startswith("tps")), "nan")
            print(f"  pgbench    {n} client{'s' if n > 1 else ' '}: {float(tps):>7,.0f} tx/s "
                  f"({label}); load {os.getloadavg()[0]:.1f}")


def latency_row(label: str, lat: list[float]) -> str:
    ordered = sorted(lat)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return (f"{label:<34}{at(50):>9.1f}{at(95):>9.1f}{at(99):>9.1f}{max(lat):>9.1f}"
            f"   (n={len(lat)}, mean {statistics.mean(lat):.1f})")


def throughput_row(label: str, n: int, r: dict[str, float]) -> str:
    return (f"  {label:<10} {n} writer{'s' if n > 1 else ' '}: {r['tps']:>7,.0f} tx/s "
            f"({r['tx']} tx, errors {r['errors']}); latency p50 {r['p50']:.1f} ms, "
            f"p99 {r['p99']:.1f} ms, max {r['max']:.0f} ms; CPU per tx: writer "
            f"{r['client_ms']:.2f} ms, server {r['server_ms']:.2f} ms; load {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--pieces", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--skip-latency", action="store_true", help="throughput only")
    ap.add_argument("--floor", action="store_true", help="add the pgbench floor (needs pgbench)")
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
    made: list[str] = []
    role_url = ""
    print(f"prodboard PostgreSQL benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
          f"server {SERVER}; load {os.getloadavg()[0]:.1f})")
    try:
        if not args.skip_latency:
            print(f"\ncommit in another process -> delivered by ChangeFeed: {args.events} events, "
                  "10-50 ms apart, 1 s fallback poll")
            print(f"{'backend':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
            for kind, (location, _) in boards.items():
                made.append(location)
                make_board(location, 0)
                lat = asyncio.run(measure(location, args.events, True, 1.0))  # type: ignore[arg-type]
                wake = "file watcher + data_version" if kind == "sqlite" else "LISTEN/NOTIFY"
                print(latency_row(f"{kind} ({wake})", lat))

        print(f"\nwrite throughput: one command per transaction (75 % edit, 25 % move), "
              f"{args.pieces} pieces, {args.seconds:g} s per run")
        for kind, (_, location) in boards.items():
            t0 = time.perf_counter()
            made.append(location)
            make_board(location, args.pieces)
            print(f"  {kind}: board built in {time.perf_counter() - t0:.1f} s")
            for n in (1, 4, 8):
                print(throughput_row(kind, n, writers(location, n, args.seconds, args.pieces)))
        schema = f"bench_wr_{tag}"
        role_url = async_role(schema, tag)
        print("  postgresql, a role with synchronous_commit = off (commits do not wait for the "
              "WAL flush):")
        for n in (1, 4, 8):
            print(throughput_row("pg async", n, writers(role_url, n, args.seconds, args.pieces)))
        if args.floor:
            floor(schema, args.pieces, args.seconds, tmp)
    finally:
        if role_url:
            drop_role(role_url)
        for location in made:
            try:
                remove_board(location)
            except Exception as exc:  # noqa: BLE001 - report, and clean up the rest
                print(f"could not remove {location}: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Several real processes writing one board at once: no lost update, no lock error."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from prodboard.services.context import Workspace

WORKERS = 4
ROUNDS = 100  # transactions per worker, half increments and half moves

WORKER = r"""
import json, random, sys, time
from pathlib import Path
from prodboard.services.context import open_board
from prodboard.errors import Conflict, Refused

db, user, rounds, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
pieces = json.loads(sys.argv[5])
s = open_board(db, user)
rng = random.Random(user)
Path(f"{go}.{user}").touch()
while not go.exists():  # start together, for real contention
    time.sleep(0.005)
increments = moves = conflicts = refused = 0
errors = []
for i in range(rounds):
    pid = rng.choice(pieces)
    try:
        if i % 2 == 0:
            while True:  # optimistic read-modify-write: retry when someone else got there first
                p = s.queries.piece(pid)
                try:
                    s.board.edit(pid, {"cost": p.cost + 1}, base_version=p.version)
                    break
                except Conflict:
                    conflicts += 1
            increments += 1
        else:
            stage = s.queries.piece(pid).stage
            try:
                s.board.move(pid, "published" if stage == "scheduled" else "scheduled")
                moves += 1
            except Refused:  # someone moved it there between our read and our move
                refused += 1
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
s.close()
print(json.dumps({"increments": increments, "moves": moves, "conflicts": conflicts,
                  "refused": refused, "errors": errors}))
"""


def test_four_processes_lose_nothing(make_session: Callable[..., Workspace], board_location: str,
                                     tmp_path: Path) -> None:
    """On SQLite (one file) and on PostgreSQL (one board schema on the server)."""
    s = make_session("ana", db=board_location)
    users = [f"w{i}" for i in range(WORKERS)]
    for user in users:
        s.board.add_person(user, user, ["writer"])
    pieces = [s.board.create(f"Shared {i}", stage="scheduled", imported=True) for i in range(3)]
    start = s.queries.last_event_id()
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), board_location, user, str(ROUNDS), str(go), json.dumps(pieces)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for user in users
    ]
    deadline = time.monotonic() + 30
    while not all(Path(f"{go}.{u}").exists() for u in users):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err, err
        reports.append(json.loads(out))

    assert [r["errors"] for r in reports] == [[]] * WORKERS  # no Busy, no "database is locked"
    increments = sum(r["increments"] for r in reports)
    moves = sum(r["moves"] for r in reports)
    assert increments == WORKERS * ROUNDS // 2
    assert sum(r["moves"] + r["refused"] for r in reports) == WORKERS * ROUNDS // 2

    # No lost update: every increment is in the final costs.
    final = [s.queries.piece(pid) for pid in pieces]
    assert sum(p.cost for p in final if p) == increments

    # One event per successful command, ids strictly increasing and contiguous.
    events = s.queries.events_since(start)
    assert len(events) == increments + moves
    ids = [e.id for e in events]
    assert ids == list(range(start + 1, start + 1 + len(ids)))
    assert sorted(e.kind for e in events) == ["piece.edited"] * increments + ["piece.moved"] * moves
    assert {e.actor for e in events} <= set(users)

    # Per piece, the history replays exactly: versions go up by one, each increment adds 1.
    for p in final:
        assert p is not None
        history = [e for e in events if e.piece_id == p.id]
        assert [e.data["version"] for e in history] == list(range(2, 2 + len(history)))
        costs = [e.changes["cost"] for e in history if e.kind == "piece.edited"]
        assert costs == [[float(n), float(n + 1)] for n in range(len(costs))]
        stages = [e.changes["stage"] for e in history if e.kind == "piece.moved"]
        assert all(a != b for a, b in stages)
        assert all(stages[i][1] == stages[i + 1][0] for i in range(len(stages) - 1))
        assert p.version == 1 + len(history) and p.cost == len(costs)

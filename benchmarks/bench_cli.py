"""The command line's own costs: start-up, completion, small reads, big listings.

    python benchmarks/bench_cli.py [--pieces 50000] [--runs 5] [--boards DIR] [--small]

Every figure is one command run as a new process (the installed ``prodboard``
console script, as a person or a shell runs it): the median wall time of ``--runs``
runs, and the child's peak RSS (``wait4``'s ``ru_maxrss``, which counts the forked
image before the exec too: this script imports no prodboard code, so that image is
small; the big board is built in a child process), with the load average
when it ran (the machine may be shared). The small board is ``init --demo
--history`` (the demo team, 15 pieces and twelve weeks of their history); the big
one has ``--pieces`` pieces over every stage, each with tags, an owner and a due
date, one event each.
``--boards DIR`` keeps both boards there and reuses them. ``--before OLD/src`` also
runs an older checkout's code (``PYTHONPATH=OLD/src``), alternating with this one
run by run, so on a busy machine the two columns were measured under the same
load. ``--small`` leaves out the big board. For ``show`` and ``ls`` on the small
board it also prints what the imports cost (``python -X importtime``: the median
total, and each part's own time summed by package), the part of opening a board
that does not grow with it. The person's own board and config are never touched.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPLETE_NAMES = {"_PRODBOARD_COMPLETE": "bash_complete", "COMP_WORDS": "prodboard ", "COMP_CWORD": "1"}
COMPLETE_OPTIONS = {"_PRODBOARD_COMPLETE": "bash_complete", "COMP_WORDS": "prodboard ls --",
                    "COMP_CWORD": "2"}


def command() -> list[str]:
    script = Path(sys.executable).with_name("prodboard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prodboard"]


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, int, int, float]:
    """Wall seconds, peak RSS (KB), bytes written to stdout and CPU seconds (user +
    system: what a busy machine's waiting does not inflate) of one run."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([*command(), *args], env=env, stdout=out,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"prodboard {' '.join(args)} failed ({proc.returncode}): {err}")
        size = out.tell()
    return wall, usage.ru_maxrss, size, usage.ru_utime + usage.ru_stime


def measure(label: str, args: list[str], env: dict[str, str], runs: int, before: Path | None) -> None:
    """One line: the median wall and CPU time and the peak RSS of each variant, the
    output size and the load average; the variants take turns, run by run."""
    variants = {"now": env}
    if before is not None:
        variants = {"before": {**env, "PYTHONPATH": str(before)}, **variants}
    results: dict[str, list[tuple[float, int, int, float]]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, variant in variants.items():
            results[name].append(run_once(args, variant))
    cells = [f"{name} {statistics.median(r[0] for r in got) * 1000:6.0f} ms "
             f"(cpu {statistics.median(r[3] for r in got) * 1000:5.0f}) "
             f"{max(r[1] for r in got) / 1024:5.1f} MB" for name, got in results.items()]
    size = results["now"][0][2]
    print(f"{label:<30} {'   '.join(cells)}   {size:>11,} B out   load {os.getloadavg()[0]:.2f}",
          flush=True)


# The parts an import-time line is counted under (the first prefix that matches).
IMPORT_PARTS = ("sqlalchemy", "sqlmodel", "pydantic", "pydantic_core", "click", "prodboard.config",
                "prodboard.storage", "prodboard.services", "prodboard.domain", "prodboard.cli")


def import_times(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """One run's import time in ms: "total", and each part's own (self) time."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "prodboard", *args], env=env,
                          capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    parts: dict[str, float] = collections.defaultdict(float)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        name = name.strip()
        parts["total"] += int(own) / 1000  # the own times add up to the whole
        part = next((p for p in IMPORT_PARTS if name == p or name.startswith(p + ".")), "other")
        parts[part] += int(own) / 1000
    return parts


def measure_imports(label: str, args: list[str], env: dict[str, str], runs: int,
                    before: Path | None) -> None:
    """One line per variant: the median import time and its biggest parts."""
    variants = {"now": env}
    if before is not None:
        variants = {"before": {**env, "PYTHONPATH": str(before)}, **variants}
    got: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, variant in variants.items():
            got[name].append(import_times(args, variant))
    for name, samples in got.items():
        median = {part: statistics.median(s.get(part, 0.0) for s in samples)
                  for part in {p for s in samples for p in s}}
        total = median.pop("total")
        biggest = sorted(median.items(), key=lambda kv: -kv[1])[:6]
        print(f"  imports of {label} ({name}): {total:.0f} ms: "
              + ", ".join(f"{part} {ms:.0f}" for part, ms in biggest if ms >= 1)
              + f"   load {os.getloadavg()[0]:.2f}", flush=True)


def build(db: Path, pieces: int) -> float:
    """A big board made through the real commands, a thousand pieces per transaction."""
    from prodboard.services.context import open_board

    s = open_board(db, "ana", create=True)
    try:
        team = ["ana", "ben", "chloe", "dev"]
        for handle in team[1:]:
            s.board.add_person(handle, handle.title(), ["writer"])
        stages = [st.key for st in s.workflow.stages]
        t0 = time.perf_counter()
        for start in range(0, pieces, 1000):
            s.board.create_many([
                {"title": f"Piece {n}: how we ship content at scale", "stage": stages[n % len(stages)],
                 "owner": team[n % len(team)], "tags": ["seo", f"t{n % 13}"],
                 "due": f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}", "audience": "Heads of content"}
                for n in range(start, min(pieces, start + 1000))])
        return time.perf_counter() - t0
    finally:
        s.close()


def boards(where: Path, pieces: int, env: dict[str, str]) -> tuple[Path, Path]:
    small, big = where / "small.db", where / f"big-{pieces}.db"
    if not small.exists():
        subprocess.run([*command(), "--db", str(small), "init", "--demo", "--history"], env=env,
                       check=True, capture_output=True)
    if pieces and not big.exists():
        print(f"building {pieces:,} pieces…", flush=True)
        subprocess.run([sys.executable, __file__, "--build", str(big), "--pieces", str(pieces)], env=env,
                       check=True)
    return small, big


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--boards", type=Path, default=None, help="Keep and reuse the boards here.")
    parser.add_argument("--before", type=Path, default=None, metavar="OLD/src",
                        help="Also run this older source tree, alternating with this one.")
    parser.add_argument("--small", action="store_true", help="Leave out the big board.")
    parser.add_argument("--build", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build is not None:  # the child that builds the big board
        print(f"  built in {build(args.build, args.pieces):.1f} s", flush=True)
        return
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
               "PRODBOARD_USER": "ana"}
        # PYTHONDONTWRITEBYTECODE too: an installed prodboard runs from cached bytecode,
        # and compiling every module on every run would double the start-up.
        for name in ("PRODBOARD_DB", "PRODBOARD_CONFIG", "PRODBOARD_USER_CONFIG", "PRODBOARD_BOARD",
                     "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        where = args.boards or home
        where.mkdir(parents=True, exist_ok=True)
        small, big = boards(where, 0 if args.small else args.pieces, env)
        version = subprocess.check_output([*command(), "--version"], env=env).decode().strip()
        print(f"{version}, {os.cpu_count()} cores, median of {args.runs} runs, peak RSS the largest")

        def bench(label: str, args_: list[str], env_: dict[str, str]) -> None:
            measure(label, args_, env_, args.runs, args.before)

        bench("--help", ["--help"], env)
        bench("--version", ["--version"], env)
        bench("complete a command name", [], {**env, **COMPLETE_NAMES})
        bench("complete an option of ls", [], {**env, **COMPLETE_OPTIONS})
        on_small = {**env, "PRODBOARD_DB": str(small)}
        bench("show 1 (small board)", ["show", "1"], on_small)
        bench("ls (small board)", ["ls"], on_small)
        bench("report --json (small board)", ["report", "--json"], on_small)
        for words in (["show", "1"], ["ls"]):
            measure_imports(" ".join(words), words, on_small, args.runs, args.before)
        if args.small:
            return
        on_big = {**env, "PRODBOARD_DB": str(big)}
        bench(f"ls --json ({args.pieces:,} pieces)", ["ls", "--json"], on_big)
        bench(f"log --json ({args.pieces:,} pieces)", ["log", "--json"], on_big)


if __name__ == "__main__":
    main()

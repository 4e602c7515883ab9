"""Review-track benchmark: what tracks add to a board load, a decision and the checks.

    python benchmarks/bench_reviews.py [--pieces 10000] [--in-review 200] [--rounds 20]

Builds a board in a temporary directory (imports in one transaction), half of it a
format with three review tracks, then prints medians: loading every piece with and
without tracks in review, one track approval, one routing (a move into review), and
one escalation pass of the checks.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from prodboard.services.checks import pending_alerts
from prodboard.services.context import open_board
from prodboard.services.reviews import pending_escalations

CONFIG = '[formats.whitepaper]\nreviews = ["editor", "sme", "legal"]\n'


def timed(fn: object, rounds: int) -> float:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t0)
    return statistics.median(out) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pieces", type=int, default=10000)
    ap.add_argument("--in-review", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "board.db"
        (Path(tmp) / "prodboard.toml").write_text(CONFIG, encoding="utf-8")
        s = open_board(db, "pia", create=True)
        s.board.set_person("pia", roles=["pm", "admin"])
        for i in range(10):
            for role in ("editor", "sme", "legal"):
                s.board.add_person(f"{role}{i}", roles=[role])
        s.board.add_person("wes", roles=["writer"])
        stages = ["ideas", "brief", "draft", "optimize", "scheduled", "published"]
        s.board.create_many([
            {"title": f"Piece {i}", "stage": stages[i % len(stages)], "owner": "wes",
             "format": "whitepaper" if i % 4 else "blog post"}
            for i in range(args.pieces - args.in_review)])
        plain_ms = timed(lambda: s.queries.pieces(), max(3, args.rounds // 4))
        s.board.create_many([{"title": f"Review {i}", "stage": "review", "owner": "wes",
                              "format": "whitepaper"} for i in range(args.in_review)])
        tracked_ms = timed(lambda: s.queries.pieces(), max(3, args.rounds // 4))
        drafts = [p.id for p in s.queries.pieces(stage="draft") if p.format == "whitepaper"]
        route_ms = timed(lambda: s.board.move(drafts.pop(), "review"), args.rounds)
        review = [p for p in s.queries.pieces(stage="review")]
        approvers = iter(review)

        def approve() -> None:
            p = next(approvers)
            editor = next(t.reviewer for t in p.tracks if t.role == "editor")
            open_board(db, str(editor)).board.approve(p.id)

        approve_ms = timed(approve, args.rounds)
        later = s.board.clock() + timedelta(hours=100)
        escal_ms = timed(lambda: pending_escalations(s.board, later), max(3, args.rounds // 4))
        checks_ms = timed(lambda: pending_alerts(s.board, later), max(3, args.rounds // 4))
        print(f"board: {args.pieces} pieces, {args.in_review} in review with 3 tracks each")
        print(f"load all pieces, none in review:      {plain_ms:8.1f} ms")
        print(f"load all pieces, tracks attached:     {tracked_ms:8.1f} ms")
        print(f"move into review (route 3 tracks):    {route_ms:8.1f} ms")
        print(f"approve one track (open + decide):    {approve_ms:8.1f} ms")
        print(f"escalation pass ({len(pending_escalations(s.board, later))} steps due):"
              f"      {escal_ms:8.1f} ms")
        print(f"piece-wide time checks, for scale:    {checks_ms:8.1f} ms")
        s.close()


if __name__ == "__main__":
    main()

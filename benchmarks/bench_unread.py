"""What keeping the header's unread count costs per feed batch, by inbox size.

    python benchmarks/bench_unread.py [--sizes 100,1000,3000] [--repeat 5]

A demo board is built in a temporary folder and chloe is given N unread alerts
(comments by ana and ben taking turns, so no burst merges them). For each size it
prints the median of ``--repeat`` runs of:

- ``reread``: ``load_inbox`` for chloe, what the app did after every settled batch
  before the count was kept incrementally (every unread event read and decoded);
- ``tally``: ``UnreadTally.feed`` over a batch of 5 new events she hears, what the
  app does now per batch (the inbox is read only when the board or the inbox opens).

The load average is printed with each figure: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from prodboard.domain.values import EventView
from prodboard.services.alerts import UnreadTally, load_inbox
from prodboard.services.context import open_board


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def tally(count: int, upto: int, batch: list[EventView], heard: list[int]) -> None:
    t = UnreadTally()
    t.reset(count, upto)
    t.feed(batch, heard)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,3000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ.setdefault("PRODBOARD_CHECK_INTERVAL", "3600")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "board.db"
        open_board(db, "ana", create=True, demo=True).close()
        ana, ben, chloe = (open_board(db, who) for who in ("ana", "ben", "chloe"))
        chloe.board.mark_read(chloe.queries.last_event_id())
        made = 0
        print(f"{'unread':>7}{'reread ms':>11}{'tally ms':>10}   load average")
        for size in sizes:
            for i in range(made, size):
                (ben if i % 2 else ana).board.comment(10, f"@chloe point {i}")
            made = size
            box = load_inbox(chloe, "chloe")
            assert box.unread == size, box.unread
            reread = median_ms(partial(load_inbox, chloe.queries, "chloe"), args.repeat)
            last = box.last_event_id
            batch = [EventView(last + k, "2030-01-01T00:00:00+00:00", "ana" if k % 2 else "ben",
                               "comment.added", 10, {}) for k in range(1, 6)]
            heard = [ev.id for ev in batch]

            per_batch = median_ms(partial(tally, size, last, batch, heard), args.repeat)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{size:>7}{reread:>11.1f}{per_batch:>10.3f}   {load}")
        for s in (ana, ben, chloe):
            s.close()


if __name__ == "__main__":
    main()

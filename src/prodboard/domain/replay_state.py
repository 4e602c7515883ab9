"""A replay written down and read back exactly, for the replay cache.

``dump`` turns a ``Replay`` into plain JSON values and ``load`` makes the same replay
again: every timeline, every time (ISO with its offset, so it reads back equal),
the cursor. ``FORMAT`` names this layout; change it whenever the replay or this
layout changes, so older caches are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from prodboard.domain.replay import PersonLine, PieceLine, Replay, Visit
from prodboard.domain.workflow import Workflow

FORMAT = "replay-3"


class _Times:
    """Every moment written once: the dump names a moment by its index in ``times``
    (a history's moments repeat: a stay ends when the next begins)."""

    def __init__(self) -> None:
        self.index: dict[datetime, int] = {}
        self.texts: list[str] = []

    def __call__(self, moment: datetime | None) -> int:
        if moment is None:
            return -1  # the reader's list of moments ends with None
        i = self.index.get(moment)
        if i is None:
            i = self.index[moment] = len(self.texts)
            self.texts.append(moment.isoformat())
        return i


def dump(replay: Replay) -> dict[str, Any]:
    _t = _Times()
    pieces = []
    for line in replay.pieces.values():
        pieces.append([
            line.id, line.title, _t(line.created), line.imported,
            {k: list(v) if isinstance(v, tuple) else v for k, v in line.current.items()},
            [[v.stage, _t(v.start), _t(v.end), v.left_to, v.how, v.placed] for v in line.visits],
            {k: [[_t(a), b, c] for a, b, c in ch] for k, ch in line.changes.items()},
            [[_t(a), _t(b)] for a, b in line.archived],
            [_t(a) for a in line.rejections], [_t(a) for a in line.rounds],
            [_t(a) for a in line.overrides], [_t(a) for a in line.delegated],
            None if line.checklist_pass is None
            else [_t(line.checklist_pass[0]), line.checklist_pass[1]],
            [[_t(s[0]), _t(s[1]), s[2], s[3], s[4]] for s in line.segments],
            _t(line.last_at), line.last_id,
        ])
    people = [[p.handle, p.away_now, [[_t(a), b, c] for a, b, c in p.away_changes]]
              for p in replay.people.values()]
    return {"format": FORMAT, "cursor": replay.cursor, "first_at": _t(replay.first_at),
            "last_at": _t(replay.last_at), "pieces": pieces, "people": people,
            "times": _t.texts}


def load(wf: Workflow, state: dict[str, Any]) -> Replay:
    """The replay ``dump`` wrote (ValueError/KeyError/TypeError/IndexError if it is
    not one)."""
    if state.get("format") != FORMAT:
        raise ValueError("another replay format")
    times = [datetime.fromisoformat(str(x)) for x in state["times"]]
    # The same moment is the same (immutable) object wherever it appears; -1 is none.
    _pt = times.__getitem__
    _p: Callable[[int], datetime | None] = [*times, None].__getitem__

    replay = Replay(wf)
    replay.cursor = int(state["cursor"])
    replay.first_at, replay.last_at = _p(state["first_at"]), _p(state["last_at"])
    for (pid, title, created, imported, current, visits, changes, archived, rejections,
         rounds, overrides, delegated, checklist, segments, last_at, last_id) in state["pieces"]:
        current = dict(current)
        current["channels"] = tuple(current.get("channels") or ())
        line = PieceLine(
            int(pid), str(title), _pt(created), bool(imported), current,
            [Visit(s, _pt(a), _p(b), to, str(how), bool(placed))
             for s, a, b, to, how, placed in visits],
            {k: [(_pt(a), b, c) for a, b, c in ch] for k, ch in changes.items()},
            [[_p(a), _p(b)] for a, b in archived],
            [_pt(a) for a in rejections], [_pt(a) for a in rounds],
            [_pt(a) for a in overrides], [_pt(a) for a in delegated],
            None if checklist is None else (_pt(checklist[0]), bool(checklist[1])),
            [[_p(a), _p(b), s, o, arch] for a, b, s, o, arch in segments],
            _p(last_at), int(last_id),
        )
        replay.pieces[line.id] = line
    for handle, away_now, changes in state["people"]:
        replay.people[str(handle)] = PersonLine(
            str(handle), bool(away_now), [(_pt(a), bool(b), bool(c)) for a, b, c in changes])
    return replay

"""What the board shows: pieces per stage, the filter and the focus. Plain Python.

The app keeps one ``BoardState``; change events replace only the pieces they touch,
and the focus follows a piece id, so a card moved by someone else never yanks the
cursor of the person looking at the board.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field

from prodboard.domain.values import PieceView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput


def _order(p: PieceView) -> tuple[float, int]:
    return (p.rank, p.id)


FILTER_KEYS = ("owner", "format", "tag", "channel", "review")
MINE = "mine"  # the word for "my work": pieces I own and pieces waiting on my review


@dataclass(frozen=True)
class Filter:
    """Free text plus ``owner:``, ``format:``, ``tag:``, ``channel:`` and ``review:``
    terms, and the word ``mine``. ``me`` is the person at the board: ``owner:me`` is
    what they own, ``review:me`` what waits on their review, ``mine`` either."""

    text: str = ""
    owner: str = ""
    format: str = ""
    tag: str = ""
    channel: str = ""
    review: str = ""
    mine: bool = False
    me: str = ""
    review_stage: str = ""

    @classmethod
    def parse(cls, query: str, me: str = "", review_stage: str = "") -> Filter:
        """Read a query; an unknown ``key:value`` term is BadInput (it would match nothing)."""
        terms: dict[str, str] = {}
        words: list[str] = []
        mine = False
        for word in query.split():
            key, sep, value = word.partition(":")
            if word.lower() == MINE:
                mine = True
            elif sep and key.lower() in FILTER_KEYS and value:
                terms[key.lower()] = value.lower().lstrip("@")
            elif sep and key.isalpha() and key.lower() not in FILTER_KEYS:
                raise BadInput(f"unknown filter key {key + ':'!r} (keys: "
                               + ", ".join(k + ":" for k in FILTER_KEYS) + ")")
            else:
                words.append(word)
        return cls(text=" ".join(words).lower(), mine=mine, me=me, review_stage=review_stage,
                   **terms)

    @property
    def active(self) -> bool:
        return any((self.text, self.owner, self.format, self.tag, self.channel, self.review,
                    self.mine))

    def describe(self) -> str:
        parts = [self.text] if self.text else []
        if self.mine:
            parts.append(MINE)
        for key in FILTER_KEYS:
            if getattr(self, key):
                parts.append(f"{key}:{getattr(self, key)}")
        return " ".join(parts)

    def _who(self, value: str) -> str:
        return self.me if value == "me" else value

    def awaits(self, p: PieceView, who: str) -> bool:
        """An open review track of ``p`` is ``who``'s (for a piece without tracks:
        they are a named reviewer and it is not yet approved)."""
        if not who or p.owner == who:
            return False
        if p.tracks:
            return any(t.reviewer == who and t.state == "waiting" and t.opened_at is not None
                       for t in p.tracks)
        return p.stage == self.review_stage and who in p.reviewers and not p.approved_by

    def matches(self, p: PieceView) -> bool:
        if self.mine and not (self.me and (p.owner == self.me or self.awaits(p, self.me))):
            return False
        if self.review and not self.awaits(p, self._who(self.review)):
            return False
        if self.owner and (p.owner or "") != self._who(self.owner):
            return False
        if self.format and self.format not in p.format.lower():
            return False
        if self.tag and self.tag not in (t.lower() for t in p.tags):
            return False
        if self.channel and self.channel not in (c.lower() for c in p.channels):
            return False
        if self.text:
            hay = " ".join((p.title, p.owner or "", p.format, *p.tags, *p.channels)).lower()
            return all(word in hay for word in self.text.split())
        return True


@dataclass
class BoardState:
    """Pieces by stage in board order, the filter, and where the focus is."""

    workflow: Workflow
    pieces: dict[int, PieceView] = field(default_factory=dict)
    filter: Filter = field(default_factory=Filter)
    columns: dict[str, list[PieceView]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rebuild()  # every stage has its (empty) column before the first load

    def load(self, pieces: list[PieceView]) -> None:
        self.pieces = {p.id: p for p in pieces}
        self.rebuild()

    def update(self, changed: list[PieceView]) -> set[str]:
        """Replace or add ``changed`` pieces (archived ones leave); returns the stages
        touched (none for a piece already shown as it is). A few changes are placed by
        bisection, so a move on a 10,000-piece board does not re-sort the Published
        column."""
        touched: set[str] = set()
        for p in changed:
            old = self.pieces.get(p.id)
            if old == p:
                continue  # shown already (my own change, which the feed then brought too)
            if old:
                touched.add(old.stage)
                self._drop(old)
            if p.archived:
                self.pieces.pop(p.id, None)
                continue
            self.pieces[p.id] = p
            touched.add(p.stage)
            self._place(p)
        return touched

    def _drop(self, p: PieceView) -> None:
        self.counts[p.stage] = self.counts.get(p.stage, 1) - 1
        column = self.columns.get(p.stage, [])
        i = bisect_left(column, (p.rank, p.id), key=_order)
        if i < len(column) and column[i].id == p.id:
            del column[i]

    def _place(self, p: PieceView) -> None:
        self.counts[p.stage] = self.counts.get(p.stage, 0) + 1
        if self.filter.matches(p):
            insort(self.columns.setdefault(p.stage, []), p, key=_order)

    def merge(self, pieces: list[PieceView]) -> None:
        """Add pieces loaded in the background, keeping any newer state the feed
        brought meanwhile."""
        for p in pieces:
            known = self.pieces.get(p.id)
            if known is None or known.version < p.version:
                self.pieces[p.id] = p
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute every column from the pieces (after a load or a new filter)."""
        keys = [s.key for s in self.workflow.stages]
        by_stage: dict[str, list[PieceView]] = {key: [] for key in keys}
        for p in self.pieces.values():
            by_stage.setdefault(p.stage, []).append(p)
        for key, here in by_stage.items():
            self.counts[key] = len(here)
            shown = [p for p in here if self.filter.matches(p)]
            shown.sort(key=_order)
            self.columns[key] = shown

    def set_filter(self, flt: Filter) -> None:
        self.filter = flt
        self.rebuild()

    def index_of(self, stage: str, piece_id: int | None) -> int | None:
        if piece_id is None:
            return None
        for i, p in enumerate(self.columns.get(stage, [])):
            if p.id == piece_id:
                return i
        return None

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


Key = tuple[float, int]  # a piece's place in its column: (rank, id)


@dataclass
class BoardState:
    """Pieces by stage in board order, the filter, and where the focus is.

    A stage bigger than a page is *paged*: ``paged`` maps it to the key of the last
    piece of the window read from its top, and every piece of the stage up to that key
    is held; beyond it only pieces the feed, a jump or a filter scan brought are. Its
    count is the database's total, kept by updates; an update it cannot place (a piece
    the board did not hold) sets ``stale``: the app recounts.
    """

    workflow: Workflow
    pieces: dict[int, PieceView] = field(default_factory=dict)
    filter: Filter = field(default_factory=Filter)
    columns: dict[str, list[PieceView]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    paged: dict[str, Key] = field(default_factory=dict)
    stale: bool = False
    # Pieces archived since the load, by id: the version that left (a page read
    # before the archive must not bring it back).
    left: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rebuild()  # every stage has its (empty) column before the first load

    def load(self, pieces: list[PieceView], totals: dict[str, int] | None = None,
             paged: dict[str, Key] | None = None) -> None:
        """Hold ``pieces``; ``paged``: the stages held only from the top to a key,
        whose ``totals`` (live pieces per stage in the database) are their counts."""
        self.pieces = {p.id: p for p in pieces}
        self.paged = dict(paged or {})
        for key in self.paged:
            self.counts[key] = (totals or {}).get(key, 0)
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
            elif self.paged:
                self.stale = True  # new, or from beyond a window: which count lost it?
            if p.archived:
                self.pieces.pop(p.id, None)
                self.left[p.id] = p.version
                continue
            self.pieces[p.id] = p
            touched.add(p.stage)
            self.counts[p.stage] = self.counts.get(p.stage, 0) + 1
            self._insert(p)
        return touched

    def _drop(self, p: PieceView) -> None:
        self.counts[p.stage] = self.counts.get(p.stage, 1) - 1
        column = self.columns.get(p.stage, [])
        i = bisect_left(column, (p.rank, p.id), key=_order)
        if i < len(column) and column[i].id == p.id:
            del column[i]

    def _insert(self, p: PieceView) -> None:
        if self.filter.matches(p):
            insort(self.columns.setdefault(p.stage, []), p, key=_order)

    def hold(self, pieces: list[PieceView]) -> set[str]:
        """Hold pieces read from the database (a page, a jump, filter matches), keeping
        any newer state the feed brought; returns the stages touched. A paged stage's
        count includes them already; in a stage held whole one is news (the feed
        will bring it as it is)."""
        touched: set[str] = set()
        for p in pieces:
            known = self.pieces.get(p.id)
            if p.archived or (known is not None and known.version >= p.version):
                continue
            if self.left.get(p.id, 0) >= p.version:
                continue  # archived since this was read
            if known is not None:  # read after a change the feed has not brought yet
                touched.add(known.stage)
                self._drop(known)
            if known is not None or p.stage not in self.paged:
                self.counts[p.stage] = self.counts.get(p.stage, 0) + 1
            self.pieces[p.id] = p
            touched.add(p.stage)
            self._insert(p)
        return touched

    def add_page(self, stage: str, page: list[PieceView], complete: bool) -> None:
        """Hold the next page of a paged stage (as read, in order); ``complete``: it was
        the last one, and the stage is now held whole."""
        if stage not in self.paged:
            return
        self.hold(page)
        if page:
            self.paged[stage] = _order(page[-1])
        if complete:
            del self.paged[stage]
            self.counts[stage] = sum(1 for p in self.pieces.values() if p.stage == stage)

    def set_totals(self, totals: dict[str, int]) -> None:
        """The database's counts (after ``stale``), for the stages held in part."""
        self.stale = False
        for key in self.paged:
            self.counts[key] = totals.get(key, 0)

    def shown(self, stage: str) -> int:
        """How many cards the header says the column shows: every piece of the stage
        (held or not) without a filter, the matches found with one."""
        if stage in self.paged and not self.filter.active:
            return self.counts.get(stage, 0)
        return len(self.columns.get(stage, []))

    def rebuild(self) -> None:
        """Recompute every column from the pieces (after a load or a new filter)."""
        keys = [s.key for s in self.workflow.stages]
        by_stage: dict[str, list[PieceView]] = {key: [] for key in keys}
        for p in self.pieces.values():
            by_stage.setdefault(p.stage, []).append(p)
        for key, here in by_stage.items():
            if key not in self.paged:
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

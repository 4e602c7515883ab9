"""Work in: one pipeline for every source (CSV, a prodboard JSON export, Trello).

A parser turns its file into an ``ImportPlan``: pieces already checked and cleaned,
people and stages resolved through the mappings. Any bad row stops the parser with
one error naming the file, the row (or card) and the field, so nothing is written.
``apply`` then writes the whole plan in one transaction (all or nothing): each piece
keeps its source and source id (``import_source``), so importing the same file again
updates the pieces it made instead of duplicating them. The history records every
piece as imported (``"imported": true`` in each event, ``original_at`` the date in
the source), so metrics can leave imported history out; the events' own ``at`` is
the moment of the import, which keeps the log in commit order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from prodboard.domain.audience import AlertContext, PieceFacts, audiences_of
from prodboard.domain.fields import normalise
from prodboard.domain.text import clean, clean_line
from prodboard.domain.values import EventView
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput
from prodboard.services import recipients
from prodboard.services.commands import Commands
from prodboard.services.transfer_fields import piece_defaults
from prodboard.storage import tables as m
from prodboard.storage import transfer_tables as t
from prodboard.storage.queries import row_dict

P = m.PIECES
C = m.COMMENTS
SOURCES = t.IMPORT_SOURCES
Progress = Callable[[int, int], None]


@dataclass
class ImportComment:
    author: str | None  # a handle on this board; None: the importer writes it
    original: str  # who wrote it in the source ("": a note the import writes itself)
    at: str  # when, in the source
    body: str

    def text(self) -> str:
        if self.author or not self.original:
            return self.body
        return f"(originally by {self.original} on {self.at[:10]})\n{self.body}"


@dataclass
class ImportMove:
    at: str
    before: str  # stage keys
    after: str


@dataclass
class ImportItem:
    source_id: str
    where: str  # "row 4", "card 'Launch post'": for messages
    title: str
    stage: str
    owner: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # normalised editable fields
    archived: bool | None = None  # None: the source does not say
    archive_reason: str = ""
    created_at: str | None = None
    checklist: dict[str, Any] | None = None  # ticked items; None: the source has none
    comments: list[ImportComment] = field(default_factory=list)
    moves: list[ImportMove] = field(default_factory=list)
    watchers: list[str] = field(default_factory=list)
    # The fields the source holds (None: all). An update leaves the others as they are
    # on the board: a CSV without an owner column does not unassign anyone.
    given: set[str] | None = None


@dataclass
class ImportPlan:
    source: str  # "csv:tasks.csv", "trello:<board id>", "prodboard:<founded at>"
    file: str
    items: list[ImportItem]
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    created: list[tuple[ImportItem, int | None]] = field(default_factory=list)
    updated: list[tuple[ImportItem, int]] = field(default_factory=list)
    skipped: list[tuple[ImportItem, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        verb = ("would create", "would update", "would skip") if self.dry_run else (
            "created", "updated", "skipped (unchanged)")
        return (f"{verb[0]} {len(self.created)}, {verb[1]} {len(self.updated)}, "
                f"{verb[2]} {len(self.skipped)}")

    def lines(self) -> list[str]:
        out = []
        for word, rows in (("create", self.created), ("update", self.updated), ("skip", self.skipped)):
            for item, pid in rows:
                where = f"#{pid}" if pid else "new"
                out.append(f"{word:<7} {where:<7} {item.where}: {item.title}")
        return out

    def to_json(self) -> dict[str, Any]:
        def rows(pairs: list[Any]) -> list[dict[str, Any]]:
            return [{"source_id": i.source_id, "title": i.title, "piece_id": pid} for i, pid in pairs]

        return {"dry_run": self.dry_run, "created": rows(self.created), "updated": rows(self.updated),
                "skipped": rows(self.skipped), "warnings": self.warnings}


# -- helpers for the parsers ------------------------------------------------------------------
def parse_pairs(text: str | None, option: str) -> dict[str, str]:
    """``'A=b,C=d'`` (an option's value) as a map with lower-case keys."""
    out: dict[str, str] = {}
    if not text:
        return out
    for part in clean_line(text).split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadInput(f"{option}: {part.strip()!r} is not NAME=VALUE")
        out[key.strip().lower()] = value.strip()
    return out


def at_where(file: str, where: str, what: str, message: str) -> BadInput:
    return BadInput(f"{file}: {where}: {what}: {message}")


def check_field(file: str, where: str, name: str, value: Any) -> Any:
    """``normalise`` with the file and row in its message."""
    try:
        return normalise(name, value)
    except BadInput as exc:
        msg = exc.message.removeprefix(f"{name}: ")
        raise at_where(file, where, name, msg) from None


def resolve_stage(wf: Workflow, value: str, mapping: dict[str, str], file: str, where: str) -> str:
    name = clean_line(value)
    if not name:
        return wf.first.key
    target = mapping.get(name.lower(), name)
    try:
        return wf.stage(target).key
    except BadInput:
        known = ", ".join(s.key for s in wf.stages)
        raise at_where(file, where, "stage", f"unknown stage {name!r} (stages: {known}; or map it "
                       f"with --map '{name}=STAGE')") from None


def resolve_person(value: str, mapping: dict[str, str], known: set[str], file: str, where: str,
                   what: str) -> str | None:
    name = clean_line(value).lstrip("@")
    if not name:
        return None
    handle = mapping.get(name.lower(), name).lower().lstrip("@")
    if handle not in known:
        raise at_where(file, where, what, f"{name!r} is not on the board (add them, or map "
                       f"them with --people '{name}=HANDLE')")
    return handle


def iso_time(value: Any, file: str, where: str, what: str) -> str | None:
    """A date or date-time from the source, as UTC ISO text (None when empty)."""
    from datetime import UTC, datetime

    if value is None or str(value).strip() == "":
        return None
    raw = str(value).strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise at_where(file, where, what, f"{raw!r} is not a date (use YYYY-MM-DD or an ISO "
                       "date and time)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


# -- writing ------------------------------------------------------------------------------------
def apply(board: Commands, plan: ImportPlan, *, dry_run: bool = False,
          progress: Progress | None = None) -> ImportReport:
    """Write the plan in one transaction (or, with ``dry_run``, only say what it would do)."""
    report = ImportReport(warnings=list(plan.warnings), dry_run=dry_run)
    seen: dict[str, str] = {}
    for item in plan.items:
        if item.source_id in seen:
            raise BadInput(f"{plan.file}: {item.where}: id {item.source_id!r} is used twice "
                           f"(also {seen[item.source_id]})")
        seen[item.source_id] = item.where
    opened = board.store.read() if dry_run else board.store.write()
    with opened as conn:
        board._require_actor(conn)
        writer = _Writer(board, conn, plan, write=not dry_run)
        total = len(plan.items)
        for n, item in enumerate(plan.items, 1):
            writer.one(item, report)
            if progress and (n % 100 == 0 or n == total):
                progress(n, total)
        writer.flush()
    return report


class _Writer:
    """Builds every row of the import in memory and writes them in batches: a
    statement per row made a 10,000-piece import take several times longer."""

    def __init__(self, board: Commands, conn: Connection, plan: ImportPlan, *, write: bool) -> None:
        self.board, self.conn, self.plan, self.write = board, conn, plan, write
        self.now = board._now()
        self.actor = board.actor
        self.known = {sid: pid for sid, pid in conn.execute(
            select(SOURCES.c.source_id, SOURCES.c.piece_id).where(SOURCES.c.source == plan.source))}
        self.current: dict[int, dict[str, Any]] = {}
        self.have: dict[int, set[tuple[str, str]]] = {}
        self.watchers: dict[int, set[str]] = {}
        ids = sorted(set(self.known.values()))
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for row in conn.execute(select(P).where(P.c.id.in_(chunk))):
                self.current[row.id] = row_dict(row)
            for pid, at, body in conn.execute(
                    select(C.c.piece_id, C.c.created_at, C.c.body).where(C.c.piece_id.in_(chunk))):
                self.have.setdefault(pid, set()).add((at, body))
            for pid, handle in conn.execute(
                    select(m.WATCHES.c.piece_id, m.WATCHES.c.handle).where(m.WATCHES.c.piece_id.in_(chunk))):
                self.watchers.setdefault(pid, set()).add(handle)
        self.ranks: dict[str, float] = {}
        self.defaults = piece_defaults()
        self.people = recipients.team_in(conn)
        self.next_piece = board.store.top_id(conn, "piece") + 1
        self.next_comment = board.store.top_id(conn, "comment") + 1
        self.next_event = board.store.top_id(conn, "event") + 1
        self.rows: dict[str, list[dict[str, Any]]] = {
            "piece": [], "comment": [], "event": [], "recipient": [], "watch": [], "source": []}

    def flush(self) -> None:
        if not self.write:
            return
        for name, table in (("piece", P), ("comment", C), ("watch", m.WATCHES),
                            ("source", SOURCES), ("event", m.EVENTS), ("recipient", m.RECIPIENTS)):
            rows = self.rows[name]
            for i in range(0, len(rows), 1000):
                self.conn.execute(table.insert(), rows[i:i + 1000])
            rows.clear()
        self.board.store.ids_written(self.conn, ("piece", "comment", "event"))

    def _rank(self, stage: str) -> float:
        if stage not in self.ranks:
            top = self.conn.execute(select(func.max(P.c.rank)).where(
                P.c.stage == stage, P.c.archived.is_(False))).scalar()
            self.ranks[stage] = float(top or 0)
        self.ranks[stage] += 1
        return self.ranks[stage]

    def _emit(self, kind: str, piece: dict[str, Any], data: dict[str, Any]) -> None:
        """One event and its recipients (as recipients.record would find them, from the
        piece as the import leaves it)."""
        eid, pid = self.next_event, int(piece["id"])
        self.next_event += 1
        data = {**data, "imported": True, "source": self.plan.source}
        self.rows["event"].append({"id": eid, "at": self.now, "actor": self.actor, "kind": kind,
                                   "piece_id": pid, "data": data})
        if not audiences_of(kind, pid):
            return
        facts = PieceFacts(piece["owner"], tuple(piece["reviewers"]), piece["stage"], piece["title"])
        ctx = AlertContext(self.board.wf, self.people, {pid: facts},
                           {pid: frozenset(self.watchers.get(pid, ()))})
        self.rows["recipient"].extend(
            recipients.rows_for(EventView(eid, self.now, self.actor, kind, pid, data), ctx))

    def one(self, item: ImportItem, report: ImportReport) -> None:
        pid = self.known.get(item.source_id)
        current = self.current.get(pid) if pid else None
        if current is None:
            report.created.append((item, self._create(item)))
        elif self._update(item, current):
            report.updated.append((item, current["id"]))
        else:
            report.skipped.append((item, current["id"]))

    def _values(self, item: ImportItem, current: dict[str, Any] | None = None) -> dict[str, Any]:
        values = {**item.fields, "title": item.title, "stage": item.stage, "owner": item.owner}
        if current is not None and item.given is not None:
            values = {k: v for k, v in values.items() if k == "title" or k in item.given}
        if item.archived is not None:
            values["archived"] = item.archived
            values["archive_reason"] = clean(item.archive_reason) if item.archived else ""
        if item.checklist is not None:
            # A tick already on the board keeps who gave it and when.
            had = (current or {}).get("checklist") or {}
            values["checklist"] = {
                key: had.get(key) or {"by": tick.get("by") or self.actor,
                                      "at": tick.get("at") or self.now}
                for key, tick in item.checklist.items()}
        return values

    def _create(self, item: ImportItem) -> int | None:
        if not self.write:
            return None
        pid = self.next_piece
        self.next_piece += 1
        stages = [item.moves[0].before] if item.moves else [item.stage]
        stages += [mv.after for mv in item.moves]
        created = item.created_at or self.now
        entered = item.moves[-1].at if item.moves and stages[-1] == item.stage else created
        piece = {**self.defaults, **self._values(item), "id": pid, "rank": self._rank(item.stage),
                 "created_at": created, "updated_at": self.now, "stage_entered_at": entered}
        self.watchers[pid] = set(item.watchers)
        self.rows["watch"].extend({"piece_id": pid, "handle": h} for h in sorted(self.watchers[pid]))
        version = 1
        self._emit("piece.created", piece, {"title": item.title, "stage": stages[0],
                                            "owner": item.owner, "version": 1, "changes": {},
                                            "source_id": item.source_id, "original_at": created})
        for mv in item.moves:
            version += 1
            self._emit("piece.moved", piece, {"title": item.title, "version": version,
                                              "changes": {"stage": [mv.before, mv.after]},
                                              "original_at": mv.at})
        if stages[-1] != item.stage:  # the history the source kept does not end here
            version += 1
            self._emit("piece.moved", piece, {"title": item.title, "version": version,
                                              "changes": {"stage": [stages[-1], item.stage]}})
        self._comments(piece, item.comments)
        if item.archived:
            version += 1
            self._emit("piece.archived", piece, {"title": item.title, "reason": item.archive_reason,
                                                 "version": version,
                                                 "changes": {"archived": [False, True]}})
        piece["version"] = version
        self.rows["piece"].append(piece)
        self.rows["source"].append({"source": self.plan.source, "source_id": item.source_id,
                                    "piece_id": pid, "imported_at": self.now})
        return pid

    def _comments(self, piece: dict[str, Any], comments: list[ImportComment]) -> None:
        for cm in comments:
            body, at = cm.text(), cm.at or self.now
            cid = self.next_comment
            self.next_comment += 1
            self.rows["comment"].append({"id": cid, "piece_id": piece["id"],
                                         "author": cm.author or self.actor, "body": body,
                                         "mentions": [], "created_at": at})
            self._emit("comment.added", piece, {"title": piece["title"], "comment_id": cid,
                                                "body": body[:280], "mentions": [],
                                                "original_at": at})

    def _update(self, item: ImportItem, current: dict[str, Any]) -> bool:
        """Bring an imported piece up to date with the source; False when nothing changed."""
        values = self._values(item, current)
        changes = {k: [current[k], v] for k, v in values.items() if current[k] != v}
        have = self.have.get(current["id"], set())
        bodies = {body for _, body in have}
        new = [cm for cm in item.comments  # a note without a date is matched on its text
               if ((cm.at, cm.text()) not in have if cm.at else cm.text() not in bodies)]
        if not changes and not new:
            return False
        if not self.write:
            return True
        piece = {**current, **values}
        if changes:
            piece["version"] = current["version"] + 1
            extra: dict[str, Any] = {}
            if "stage" in changes:
                extra.update(stage_entered_at=self.now, rank=self._rank(item.stage))
            self.conn.execute(P.update().where(P.c.id == current["id"]).values(
                **{k: v for k, (_, v) in changes.items()}, **extra, version=piece["version"],
                updated_at=self.now))
            self._emit("piece.edited", piece, {"title": item.title, "changes": changes,
                                               "version": piece["version"],
                                               "source_id": item.source_id})
        self._comments(piece, new)
        return True

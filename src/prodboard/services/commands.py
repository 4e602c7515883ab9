"""Every change is a command: it writes the new state and one event, in one transaction.

``Commands`` is the only writer. Each public method opens one ``BEGIN IMMEDIATE``
transaction, reads what it needs, applies the rules, updates the rows, appends one
event, and commits. Nothing else in prodboard changes state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, func, select

from prodboard.domain import rules
from prodboard.domain.clock import Clock, iso
from prodboard.domain.fields import DEFAULTS, LIST_FIELDS, normalise
from prodboard.domain.identity import (
    admins,
    check_handle,
    is_admin,
    need_admin,
    normal_handle,
    not_on_board,
    unknown_person,
)
from prodboard.domain.text import clean, clean_line, mentions
from prodboard.domain.values import EventView, PersonView, PieceView, person_from_row, piece_from_row
from prodboard.domain.workflow import LEVELS, Workflow
from prodboard.errors import BadInput, Conflict, NotFound, Refused
from prodboard.services import recipients, reviews
from prodboard.settings import system_clock
from prodboard.storage import tables as m
from prodboard.storage import tracks
from prodboard.storage.queries import Queries
from prodboard.storage.store import Store

P = m.PIECES
E = m.EVENTS
PERSON = m.PEOPLE
C = m.COMMENTS
W = m.WATCHES
RC = m.READ_CURSORS
RI = m.READ_ITEMS
RA = m.RAISED
META = m.META

def check_format(wf: Workflow, fmt: str) -> None:
    """Refuse a format the config does not list, unless it allows free formats."""
    if wf.free_formats or fmt in wf.formats:
        return
    raise BadInput(f"unknown format {fmt!r} (formats: {', '.join(wf.formats)}; "
                   "or set free_formats = true in [board])")


def _same(before: Any, after: Any) -> bool:
    return bool((list(before) if isinstance(before, tuple) else before) == after)


def _roles(roles: Iterable[str]) -> list[str]:
    """Role names as stored: one line each, lower case, no repeats, no blanks."""
    return [r for r in dict.fromkeys(clean_line(str(r)).lower().lstrip("@") for r in roles) if r]


def _plain(value: Any) -> Any:
    """A person field as JSON holds it (tuples of roles become lists)."""
    return list(value) if isinstance(value, tuple | list) else value


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


T = TypeVar("T")

# Built once (every command reads its piece through it). The row stays this writer's
# until commit: FOR NO KEY UPDATE on PostgreSQL, nothing on SQLite (one writer).
_PIECE = select(P).where(P.c.id == bindparam("id")).with_for_update(key_share=True)


@functools.cache
def _update_of(fields: tuple[str, ...], returning: bool) -> Any:
    """The UPDATE of these fields (and version, updated_at), returning the row when
    asked; built once per set of fields, so its cache key is not worked out on every
    write."""
    sets: dict[str, Any] = {name: bindparam(name) for name in (*fields, "version", "updated_at")}
    statement = P.update().where(P.c.id == bindparam("piece_id")).values(**sets)
    return statement.returning(P) if returning else statement


class Commands:
    """The commands of one person (``actor``) on one board."""

    def __init__(
        self, store: Store, workflow: Workflow, actor: str, clock: Clock = system_clock
    ) -> None:
        self.store = store
        self.wf = workflow
        self.actor = normal_handle(actor)  # a handle is one line of text
        self.clock = clock
        self.q = Queries(store, workflow)
        # The ids of the events the last successful command appended: a board that
        # applies the command's result skips them when its change feed brings them.
        self.emitted: tuple[int, ...] = ()
        self._emitting: list[int] = []
        self._team: dict[str, PersonView] | None = None  # this transaction's, while it holds
        self._insert_event: Any = None

    # -- plumbing --------------------------------------------------------------
    def _now(self) -> str:
        return iso(self.clock())

    def _emit(
        self, conn: Connection, kind: str, piece_id: int | None, data: dict[str, Any],
        actor: str | None = None,
    ) -> int:
        """Append one event and, in the same transaction, the people it concerns as the
        board stands right after the change (recipients.record)."""
        at, who = self._now(), actor or self.actor
        rows = recipients.decide(conn, self.wf, EventView(0, at, who, kind, piece_id, data),
                                 self._team)
        if self._insert_event is None:  # built once: on PostgreSQL the id takes the event lock
            drawn = self.store.event_id()
            self._insert_event = E.insert() if drawn is None else E.insert().values(id=drawn)
        eid = _new_id(conn.execute(self._insert_event, {
            "at": at, "actor": who, "kind": kind, "piece_id": piece_id, "data": data}))
        recipients.record(conn, eid, rows)
        self._emitting.append(eid)
        return eid

    def _require_actor(self, conn: Connection) -> None:
        """Only a person on the board may change it (a guest may only read). The team
        read here is kept for the events' recipients until a person row changes."""
        if not self.actor:
            raise BadInput("no user: pass --user or set PRODBOARD_USER")
        self._team = recipients.team_in(conn)
        if self.actor in self._team:
            return
        team = sorted(self._team.values(), key=lambda p: p.handle)
        raise not_on_board(self.actor, [p.handle for p in team], admins(team, self.wf))

    def _people(self, conn: Connection) -> list[PersonView]:
        return [person_from_row(r) for r in conn.execute(select(PERSON).order_by(PERSON.c.handle))]

    def _piece(self, conn: Connection, piece_id: int) -> PieceView:
        row = conn.execute(_PIECE, {"id": piece_id}).first()
        if row is None:
            raise NotFound(f"no piece #{piece_id}")
        return tracks.attach(conn, [piece_from_row(row)], self.wf)[0]

    def _require_person(self, conn: Connection, handle: str) -> str:
        handle = normal_handle(handle)
        if not conn.execute(select(PERSON.c.handle).where(PERSON.c.handle == handle)).first():
            known = conn.execute(select(PERSON.c.handle)).scalars()
            raise unknown_person(handle, known)
        return handle

    def _others_changed(
        self, conn: Connection, piece: PieceView, base_version: int
    ) -> tuple[set[str], set[str]]:
        """Fields changed on ``piece`` since ``base_version``, and who changed them."""
        fields: set[str] = set()
        who: set[str] = set()
        rows = conn.execute(
            select(E.c.actor, E.c.data).where(E.c.piece_id == piece.id).order_by(E.c.id.desc())
        )
        for actor, data in rows:
            if "version" not in data:  # comments and watches change no field
                continue
            if int(data["version"]) <= base_version:
                break
            if actor == self.actor:  # my own later change (another key press) is no conflict
                continue
            fields |= set(data.get("changes", {}))
            who.add(actor)
        return fields, who

    def _check_version(
        self, conn: Connection, piece: PieceView, base_version: int | None, mine: Iterable[str]
    ) -> None:
        """Refuse a stale change whose fields overlap what others changed; else merge."""
        if base_version is None or base_version >= piece.version:
            return
        theirs, who = self._others_changed(conn, piece, base_version)
        overlap = sorted(set(mine) & theirs)
        if overlap:
            names = ", ".join(sorted(who))
            raise Conflict(
                f"piece #{piece.id} changed since you opened it: {names} changed "
                f"{', '.join(overlap)} (reload and try again)",
                tuple(overlap),
                tuple(sorted(who)),
            )

    def _update(
        self, conn: Connection, piece: PieceView, values: dict[str, Any]
    ) -> dict[str, list[Any]]:
        """Write ``values`` (bumping version) and return the before/after changes."""
        conn.execute(_update_of(tuple(values), False), self._update_params(piece, values))
        return self._changes(piece, values)

    def _rewrite(
        self, conn: Connection, piece: PieceView, values: dict[str, Any]
    ) -> tuple[dict[str, list[Any]], PieceView]:
        """``_update``, and the piece as written (the row the UPDATE returns: one round
        trip less than reading it back)."""
        row = conn.execute(_update_of(tuple(values), True),
                           self._update_params(piece, values)).one()
        return self._changes(piece, values), tracks.attach(conn, [piece_from_row(row)], self.wf)[0]

    def _update_params(self, piece: PieceView, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "version": piece.version + 1, "updated_at": self._now(),
                "piece_id": piece.id}

    @staticmethod
    def _changes(piece: PieceView, values: dict[str, Any]) -> dict[str, list[Any]]:
        """The fields ``values`` changes, as [before, after]."""
        changes = {
            k: [getattr(piece, k) if k not in LIST_FIELDS else list(getattr(piece, k)), v]
            for k, v in values.items()
        }
        return {k: ba for k, ba in changes.items() if ba[0] != ba[1]}

    def _write(
        self, fn: Callable[[Connection], T], *, member: bool = True, piece: bool = False
    ) -> T:
        """Run ``fn`` in one write transaction, as a person on the board unless
        ``member`` is False (founding the board, joining it). ``piece``: ``fn``
        changes one piece (read by ``_piece``) and rows that hang on it, nothing
        else, so it may run beside other such changes (storage/backend.py)."""
        self._emitting, self._team = [], None
        with self.store.write(shared=piece) as conn:
            if member:
                self._require_actor(conn)
            result = fn(conn)
        self.emitted = tuple(self._emitting)  # committed: the ids now hold
        return result

    # -- pieces -----------------------------------------------------------------
    def create(
        self,
        title: str,
        *,
        stage: str | None = None,
        owner: str | None = None,
        override: str | None = None,
        imported: bool = False,
        **fields: Any,
    ) -> int:
        """Create a piece at the end of its stage; returns its id.

        A piece created past a gate must meet it, as if it had moved there (or be
        overridden with a reason); ``imported`` places existing work as it is, and
        says so in the event.
        """
        if override is not None and not override.strip():
            raise BadInput("give a reason for the override")
        return int(self._write(lambda conn: self._create(
            conn, title, stage, owner, fields, override=override, imported=imported)))

    def create_many(self, items: list[dict[str, Any]]) -> list[int]:
        """Create many pieces in one transaction (an import): one event per piece."""

        def run(conn: Connection) -> list[int]:
            out = []
            for item in items:
                item = dict(item)
                title = item.pop("title", "")
                out.append(self._create(conn, title, item.pop("stage", None),
                                        item.pop("owner", None), item, imported=True))
            return out

        return list(self._write(run))

    def _create(
        self, conn: Connection, title: str, stage: str | None, owner: str | None,
        fields: dict[str, Any], *, override: str | None = None, imported: bool = False,
    ) -> int:
        st = self.wf.stage(stage) if stage else self.wf.first
        values = {k: normalise(k, v) for k, v in fields.items() if v is not None}
        values["title"] = normalise("title", title)
        values = {**DEFAULTS, **values}
        check_format(self.wf, values["format"])
        if owner:
            values["owner"] = self._require_person(conn, owner)
        for reviewer in values.get("reviewers", []):
            self._require_person(conn, reviewer)
        now = self._now()
        top = conn.execute(
            select(func.max(P.c.rank)).where(P.c.stage == st.key, P.c.archived.is_(False))
        ).scalar()
        result = conn.execute(
            P.insert().values(
                stage=st.key, rank=(top or 0) + 1, stage_entered_at=now, created_at=now,
                updated_at=now, **values,
            )
        )
        pid = _new_id(result)
        data: dict[str, Any] = {"title": values["title"], "stage": st.key,
                                "owner": values.get("owner"), "version": 1, "changes": {}}
        if imported:
            data["imported"] = True
        elif st.key != self.wf.first.key:
            data.update(self._creation_gates(conn, pid, st.key, override))
        active = st.key not in (self.wf.first.key, self.wf.last.key)
        data.update(self._wip_warnings(conn, st.key, values.get("owner") if active else None))
        self._emit(conn, "piece.created", pid, data)
        reviews.entered(self, conn, self._piece(conn, pid), imported=imported)  # tracks, owner
        return pid

    def _creation_gates(
        self, conn: Connection, pid: int, stage: str, override: str | None
    ) -> dict[str, Any]:
        """The gates a new piece passes on its way to ``stage``, as if it had moved."""
        placed = self._piece(conn, pid)
        failed = rules.gate_checks(replace(placed, stage=self.wf.first.key), self.wf, stage)
        if not failed:
            return {}
        reasons = "; ".join(g.reason() for g in failed)
        name = self.wf.stage(stage).name
        if not (override or "").strip():
            raise Refused(f"cannot create a piece in {name}: {reasons}",
                          tuple(x for g in failed for x in g.missing))
        if not rules.can_override(self.q.person_in(conn, self.actor), self.wf):
            raise Refused(f"only {' or '.join(self.wf.override_roles)} may override a gate; "
                          + reasons)
        return {"override": clean(override or ""), "overridden": [g.gate for g in failed]}

    def edit(
        self, piece_id: int, changes: dict[str, Any], base_version: int | None = None
    ) -> PieceView:
        """Edit fields. A stale ``base_version`` merges unless the fields overlap."""
        if not changes:
            raise BadInput("nothing to change")
        values = {k: normalise(k, v) for k, v in changes.items()}

        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            self._check_version(conn, piece, base_version, values)
            if values.get("format", piece.format) != piece.format:
                check_format(self.wf, values["format"])
            for reviewer in values.get("reviewers", []):
                self._require_person(conn, reviewer)
            if all(_same(getattr(piece, k), v) for k, v in values.items()):
                return piece  # nothing changes: no new version, no event
            diff, after = self._rewrite(conn, piece, values)
            if diff:
                self._emit(conn, "piece.edited", piece.id,
                           {"title": piece.title, "changes": diff, "version": piece.version + 1})
            return after

        return self._write(run, piece=True)

    def move(
        self,
        piece_id: int,
        stage: str,
        *,
        base_version: int | None = None,
        override: str | None = None,
        note: str = "",
    ) -> PieceView:
        """Move to another stage, enforcing gates unless overridden with a reason."""
        target = self.wf.stage(stage)
        if override is not None and not override.strip():
            raise BadInput("give a reason for the override")
        return self._write(
            lambda conn: self._move(conn, piece_id, target.key, base_version, override, note),
            piece=True,
        )

    def move_by(self, piece_id: int, delta: int, *, base_version: int | None = None) -> PieceView:
        """Move ``delta`` stages along the workflow from where the piece is *now*.

        The target is picked inside the write transaction: earlier key presses may
        have moved the piece already, and nobody can move it between the pick and the
        move. ``base_version`` (the version the person saw) still refuses a move
        someone else made meanwhile.
        """

        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            index = self.wf.index(piece.stage) + delta
            if not 0 <= index < len(self.wf.stages):
                edge = "first" if delta < 0 else "last"
                raise Refused(f"#{piece.id} is already in the {edge} stage")
            return self._move(conn, piece_id, self.wf.stages[index].key, base_version, None, "",
                              piece=piece)

        return self._write(run, piece=True)

    def _move(
        self, conn: Connection, piece_id: int, target: str, base_version: int | None,
        override: str | None, note: str, kind: str = "piece.moved",
        extra: dict[str, Any] | None = None, set_values: dict[str, Any] | None = None,
        piece: PieceView | None = None,
    ) -> PieceView:
        piece = piece or self._piece(conn, piece_id)
        if piece.archived:
            raise Refused(f"piece #{piece.id} is archived (restore it first)")
        self._check_version(conn, piece, base_version, ("stage",))
        if piece.stage == target:
            raise Refused(f"piece #{piece.id} is already in {self.wf.stage(target).name}")
        data: dict[str, Any] = {"title": piece.title, **(extra or {})}
        failed = rules.gate_checks(piece, self.wf, target) if kind == "piece.moved" else []
        if failed:
            reason = (override or "").strip()
            if not reason:
                raise Refused(
                    f"cannot move #{piece.id} to {self.wf.stage(target).name}: "
                    + "; ".join(g.reason() for g in failed),
                    tuple(x for g in failed for x in g.missing),
                )
            if not rules.can_override(self.q.person_in(conn, self.actor), self.wf):
                raise Refused(
                    f"only {' or '.join(self.wf.override_roles)} may override a gate; "
                    + "; ".join(g.reason() for g in failed)
                )
            data["override"] = clean(reason)
            data["overridden"] = [g.gate for g in failed]
        now = self._now()
        values: dict[str, Any] = {"stage": target, "stage_entered_at": now}
        top = conn.execute(
            select(func.min(P.c.rank)).where(P.c.stage == target, P.c.archived.is_(False))
        ).scalar()
        values["rank"] = (top if top is not None else 1) - 1
        review = self.wf.gate_stage("approval")
        if rules.is_revision(self.wf, piece.stage, target):
            values["revision_rounds"] = piece.revision_rounds + 1
            limit = self.wf.revision_limit(piece.format)
            data["revision"] = values["revision_rounds"]
            if values["revision_rounds"] > limit:
                data["revision_limit_exceeded"] = limit
        if review and self.wf.index(target) <= self.wf.index(review.key):
            # back in (or before) review: an earlier approval no longer counts
            values.update(approved_by=None, approved_at=None, approval_delegated=False)
        values.update(set_values or {})
        if note:
            data["note"] = clean(note)
        diff, moved = self._rewrite(conn, piece, values)
        diff.pop("stage_entered_at", None)
        data.update(changes=diff, version=piece.version + 1)
        idle = (self.wf.first.key, self.wf.last.key)  # the owner's load grows only on the way in
        starts_work = piece.stage in idle and target not in idle
        data.update(self._wip_warnings(conn, target, piece.owner if starts_work else None))
        self._emit(conn, kind, piece.id, data)
        reviews.entered(self, conn, moved)  # tracks, stage owner
        return self._piece(conn, piece_id)

    def _wip_warnings(self, conn: Connection, stage: str, owner: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        st = self.wf.stage(stage)
        count = self.q.stage_count(conn, stage)
        if st.wip and count > st.wip:
            out["wip_exceeded"] = {"stage": stage, "count": count, "limit": st.wip}
        if owner and self.wf.wip_per_person:
            active = self.q.active_count(conn, owner)
            if active > self.wf.wip_per_person:
                out["person_wip_exceeded"] = {
                    "person": owner, "count": active, "limit": self.wf.wip_per_person,
                }
        return out

    def reorder(self, piece_id: int, delta: int) -> PieceView:
        """Move a piece up (delta < 0) or down within its stage by swapping with a neighbour."""

        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            cmp = P.c.rank < piece.rank if delta < 0 else P.c.rank > piece.rank
            order = P.c.rank.desc() if delta < 0 else P.c.rank.asc()
            other = conn.execute(
                select(P.c.id, P.c.rank)
                .where(P.c.stage == piece.stage, P.c.archived.is_(False), cmp)
                .order_by(order)
                .limit(1)
            ).first()
            if other is None:
                return piece
            conn.execute(P.update().where(P.c.id == other.id).values(rank=piece.rank))
            diff = self._update(conn, piece, {"rank": other.rank})
            self._emit(conn, "piece.reordered", piece.id,
                       {"title": piece.title, "changes": diff, "swapped_with": other.id,
                        "version": piece.version + 1})
            return self._piece(conn, piece_id)

        return self._write(run)

    def assign(self, piece_id: int, handle: str | None, base_version: int | None = None) -> PieceView:
        """Give the piece to ``handle`` (or nobody)."""

        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            self._check_version(conn, piece, base_version, ("owner",))
            who = self._require_person(conn, handle) if handle else None
            if who == piece.owner:  # nothing changes: no version bump, no event
                return piece
            diff = self._update(conn, piece, {"owner": who})
            data: dict[str, Any] = {"title": piece.title, "changes": diff,
                                    "version": piece.version + 1}
            if who and piece.stage not in (self.wf.first.key, self.wf.last.key):
                warnings = self._wip_warnings(conn, piece.stage, who)
                warnings.pop("wip_exceeded", None)  # the stage's count did not change
                data.update(warnings)
            self._emit(conn, "piece.assigned", piece.id, data)
            return self._piece(conn, piece_id)

        return self._write(run, piece=True)

    def comment(self, piece_id: int, body: str) -> int:
        """Add a comment; the author and the people mentioned start watching."""
        text = clean(body).strip()
        if not text:
            raise BadInput("a comment needs some text")

        def run(conn: Connection) -> int:
            piece = self._piece(conn, piece_id)
            handles, roles = self.q.known_names(conn)
            found = [n for n in mentions(text) if n in handles or n in roles]
            result = conn.execute(
                C.insert().values(piece_id=piece.id, author=self.actor, body=text,
                                  mentions=found, created_at=self._now())
            )
            cid = _new_id(result)
            for who in {self.actor, *(n for n in found if n in handles)}:
                self._watch(conn, piece.id, who)
            self._emit(conn, "comment.added", piece.id,
                       {"title": piece.title, "comment_id": cid, "body": text[:280],
                        "mentions": found})
            return int(cid)

        return int(self._write(run, piece=True))

    def tick(self, piece_id: int, item: str, done: bool = True) -> PieceView:
        """Tick (or untick) a pre-publish checklist item, recording who and when."""

        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            items = self.wf.checklist_for(piece.format)
            key = item.strip().lower().replace(" ", "_")
            if key not in items:
                raise BadInput(
                    f"unknown checklist item {item!r} for {piece.format} (items: {', '.join(items)})"
                )
            checklist = dict(piece.checklist)
            if done:
                checklist[key] = {"by": self.actor, "at": self._now()}
            else:
                checklist.pop(key, None)
            diff = self._update(conn, piece, {"checklist": checklist})
            self._emit(conn, "checklist.ticked" if done else "checklist.unticked", piece.id,
                       {"title": piece.title, "item": key, "changes": diff,
                        "version": piece.version + 1})
            return self._piece(conn, piece_id)

        return self._write(run, piece=True)

    def archive(self, piece_id: int, reason: str = "", kind: str = "piece.archived") -> PieceView:
        """Archive a piece (a rejection is an archive with kind piece.rejected)."""

        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            if piece.archived:
                raise Refused(f"piece #{piece.id} is already archived")
            diff = self._update(conn, piece, {"archived": True, "archive_reason": clean(reason)})
            self._emit(conn, kind, piece.id,
                       {"title": piece.title, "reason": clean(reason), "changes": diff,
                        "version": piece.version + 1})
            return self._piece(conn, piece_id)

        return self._write(run, piece=True)

    def reject(self, piece_id: int, reason: str) -> PieceView:
        if not reason.strip():
            raise BadInput("a rejection needs a reason")
        return self.archive(piece_id, reason, kind="piece.rejected")

    def restore(self, piece_id: int) -> PieceView:
        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            if not piece.archived:
                raise Refused(f"piece #{piece.id} is not archived")
            diff = self._update(conn, piece, {"archived": False, "archive_reason": ""})
            self._emit(conn, "piece.restored", piece.id,
                       {"title": piece.title, "changes": diff, "version": piece.version + 1})
            return self._piece(conn, piece_id)

        return self._write(run, piece=True)

    # -- approvals ---------------------------------------------------------------
    def approve(self, piece_id: int, track: str | None = None) -> PieceView:
        """Approve a piece in review and move it on. A delegate may approve once the
        review deadline has passed; that approval is recorded as delegated. A format
        with review tracks approves the actor's track (or ``track``) instead
        (services/reviews.py)."""
        review = self.wf.gate_stage("approval")
        if review is None:
            raise BadInput("this workflow has no approval stage")

        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            if reviews.tracked(self, piece):
                return reviews.decide(self, conn, piece, approve=True, wanted=track)
            self._no_tracks(piece, track)
            if piece.stage != review.key:
                raise Refused(f"piece #{piece.id} is not in {review.name}")
            me = self.q.person_in(conn, self.actor)
            delegated = False
            if not rules.is_approver(me, self.wf):
                delegators = self.q.delegators_of(conn, self.actor)
                overdue = rules.review_overdue(piece, self.wf, self.clock())
                if not (overdue and set(piece.reviewers) & delegators):
                    roles = " or ".join(self.wf.approver_roles)
                    raise Refused(
                        f"only someone with the {roles} role may approve (or a reviewer's delegate once the "
                        f"{self.wf.review_sla_hours:g} h review deadline has passed)"
                    )
                delegated = True
            if piece.owner == self.actor:
                raise Refused(f"#{piece.id} is your own piece: someone else must approve it")
            nxt = self.wf.stages[self.wf.index(review.key) + 1].key
            approval = {"approved_by": self.actor, "approved_at": self._now(),
                        "approval_delegated": delegated}
            return self._move(conn, piece.id, nxt, None, None, "", kind="piece.approved",
                              set_values=approval,
                              extra={"delegated": delegated, "approved_by": self.actor})

        return self._write(run, piece=True)

    def _no_tracks(self, piece: PieceView, track: str | None) -> None:
        if track is not None:
            raise BadInput(f"#{piece.id} has no review tracks (its format {piece.format!r} "
                           "needs one approval): leave out --track")

    def reassign_track(self, piece_id: int, role: str, handle: str) -> PieceView:
        """Give a piece's ``role`` review track to ``handle``."""
        return self._write(lambda conn: reviews.reassign(
            self, conn, self._piece(conn, piece_id), role, handle), piece=True)

    def request_changes(self, piece_id: int, note: str, track: str | None = None) -> PieceView:
        """Send a piece in review back for changes: one revision round."""
        review = self.wf.gate_stage("approval")
        if review is None:
            raise BadInput("this workflow has no approval stage")
        if not note.strip():
            raise BadInput("say what needs changing: --note TEXT")

        def run(conn: Connection) -> PieceView:
            piece = self._piece(conn, piece_id)
            if reviews.tracked(self, piece):
                return reviews.decide(self, conn, piece, approve=False, wanted=track,
                                      note=clean(note))
            self._no_tracks(piece, track)
            refusal = rules.request_changes_refusal(
                piece, self.wf, self.q.person_in(conn, self.actor),
                self.q.delegators_of(conn, self.actor))
            if refusal:
                raise Refused(refusal)
            back = self.wf.stages[self.wf.index(review.key) - 1].key
            return self._move(conn, piece.id, back, None, None, note,
                              kind="piece.changes_requested")

        return self._write(run, piece=True)

    # -- watching, reading ----------------------------------------------------------
    def _watch(self, conn: Connection, piece_id: int, handle: str) -> bool:
        exists = conn.execute(
            select(W.c.handle).where(W.c.piece_id == piece_id, W.c.handle == handle)
        ).first()
        if exists:
            return False
        conn.execute(W.insert().values(piece_id=piece_id, handle=handle))
        return True

    def watch(self, piece_id: int, on: bool = True) -> bool:
        """Start (or stop) watching a piece; returns whether anything changed."""

        def run(conn: Connection) -> bool:
            piece = self._piece(conn, piece_id)
            if on:
                changed = self._watch(conn, piece.id, self.actor)
            else:
                changed = conn.execute(
                    W.delete().where(W.c.piece_id == piece.id, W.c.handle == self.actor)
                ).rowcount > 0
            if changed:
                self._emit(conn, "piece.watched" if on else "piece.unwatched", piece.id,
                           {"title": piece.title})
            return changed

        return bool(self._write(run, piece=True))

    def mark_read(self, event_id: int) -> None:
        """Move the actor's read cursor forward (never back): "mark all read". The
        per-item marks it passed are dropped (everything up to it is read)."""

        def run(conn: Connection) -> None:
            row = conn.execute(select(RC.c.event_id).where(RC.c.handle == self.actor)).first()
            if row is None:
                conn.execute(RC.insert().values(handle=self.actor, event_id=event_id))
            elif event_id > row[0]:
                conn.execute(RC.update().where(RC.c.handle == self.actor).values(event_id=event_id))
            conn.execute(RI.delete().where(RI.c.handle == self.actor, RI.c.event_id <= event_id))

        self._write(run)

    def mark_items(self, event_ids: Iterable[int], read: bool = True) -> None:
        """Mark some inbox items (their event ids) read or unread, one transaction.
        Ids at or below the read cursor are read already and stay so; no event."""
        wanted = sorted(set(event_ids))

        def run(conn: Connection) -> None:
            row = conn.execute(select(RC.c.event_id).where(RC.c.handle == self.actor)).first()
            above = [i for i in wanted if i > (row[0] if row else 0)]
            if not above:
                return
            conn.execute(RI.delete().where(RI.c.handle == self.actor, RI.c.event_id.in_(above)))
            if read:
                conn.execute(RI.insert(), [{"handle": self.actor, "event_id": i} for i in above])

        self._write(run)

    # -- people -------------------------------------------------------------------
    # Who may change the team: an admin (``wf.admin_roles``) adds people and changes
    # roles, delegates and anyone's details; everyone may change their own name, alert
    # level and availability. Every change is one event naming before -> after.
    def _admin_check(self, conn: Connection, what: str) -> None:
        team = self._people(conn)
        if not is_admin(next((p for p in team if p.handle == self.actor), None), self.wf):
            raise need_admin(what, team, self.wf)

    def _insert_person(
        self, conn: Connection, kind: str, handle: str, name: str, roles: list[str]
    ) -> None:
        if conn.execute(select(PERSON.c.handle).where(PERSON.c.handle == handle)).first():
            raise BadInput(f"{handle!r} is already on the board")
        values = {"display_name": clean_line(name) or handle, "roles": roles}
        conn.execute(PERSON.insert().values(handle=handle, created_at=self._now(), **values))
        self._team = None  # the team changed: the event's recipients read it again
        self._emit(conn, kind, None, {"handle": handle, **values})

    def found(self, name: str = "", roles: Iterable[str] = ()) -> None:
        """The creator of a new board joins it first, as its admin."""
        role_list = _roles(roles)
        if not set(role_list) & set(self.wf.admin_roles):
            role_list.append(self.wf.admin_roles[0])
        handle = check_handle(self.actor)

        def run(conn: Connection) -> None:
            if conn.execute(select(PERSON.c.handle)).first():
                raise Refused("this board already has people: an admin adds newcomers")
            self._insert_person(conn, "person.added", handle, name, role_list)

        self._write(run, member=False)

    def join(self, name: str = "") -> None:
        """Join the board as the acting person, with no roles (an admin gives those);
        the admins are told. Refused unless the config allows open joining."""
        handle = check_handle(self.actor)

        def run(conn: Connection) -> None:
            team = self._people(conn)
            if any(p.handle == handle for p in team):
                raise BadInput(f"{handle!r} is already on the board")
            if not self.wf.open_join:
                who = ", ".join(admins(team, self.wf)) or "an admin"
                raise Refused(f"this board is closed to joining: ask {who} to run "
                              f"'prodboard people add {handle}'")
            self._insert_person(conn, "person.joined", handle, name, [])

        self._write(run, member=False)

    def add_person(self, handle: str, name: str = "", roles: Iterable[str] = ()) -> str:
        """Add someone to the board (admins only); returns their handle."""
        handle = check_handle(handle)
        role_list = _roles(roles)

        def run(conn: Connection) -> None:
            self._admin_check(conn, "add people")
            self._insert_person(conn, "person.added", handle, name, role_list)

        self._write(run)
        return handle

    def _change_person(
        self, conn: Connection, kind: str, who: PersonView, values: dict[str, Any]
    ) -> None:
        """Write ``values`` on ``who`` and one event with the before/after of each
        field that changed (nothing changes: no event)."""
        changes = {k: [_plain(getattr(who, k)), _plain(v)] for k, v in values.items()}
        changes = {k: ba for k, ba in changes.items() if ba[0] != ba[1]}
        if not changes:
            return
        conn.execute(PERSON.update().where(PERSON.c.handle == who.handle).values(**values))
        self._team = None  # the team changed: the event's recipients read it again
        if "roles" in changes and not admins(self._people(conn), self.wf):
            raise Refused(f"{who.handle} is the last admin: give someone else one of the "
                          f"roles {', '.join(self.wf.admin_roles)} first")
        data = {"handle": who.handle, **{k: _plain(v) for k, v in values.items()},
                "changes": changes}
        self._emit(conn, kind, None, data)

    def _person(self, conn: Connection, handle: str) -> PersonView:
        who = self._require_person(conn, handle)
        row = conn.execute(select(PERSON).where(PERSON.c.handle == who)).first()
        return person_from_row(row)

    def set_away(self, handle: str, away: bool, note: str = "", delegate: str | None = None) -> str:
        """Mark a person away (out sick, on leave) or back: oneself, or anyone as an admin.
        Naming a delegate is an admin's change. Returns the person's handle."""

        def run(conn: Connection) -> str:
            who = self._person(conn, handle)
            if who.handle != self.actor:
                self._admin_check(conn, f"mark {who.handle} {'away' if away else 'back'}")
            values: dict[str, Any] = {"away": away, "away_note": clean_line(note) if away else ""}
            if delegate:
                values["delegate"] = self._require_person(conn, delegate)
                if values["delegate"] != who.delegate:
                    self._admin_check(conn, "change a delegate")
            self._change_person(conn, "person.away" if away else "person.back", who, values)
            return who.handle

        return str(self._write(run))

    def set_person(self, handle: str, **values: Any) -> str:
        """Change a person's roles, delegate (admins), display name or alert level
        (oneself, or anyone as an admin). Returns the person's handle."""
        allowed = {"roles", "delegate", "display_name", "alert_level"}
        bad = set(values) - allowed
        if bad:
            raise BadInput(f"unknown person field(s): {', '.join(sorted(bad))}")
        if "alert_level" in values and values["alert_level"] not in LEVELS:
            raise BadInput(f"alert level must be one of: {', '.join(LEVELS)}")
        if "roles" in values:
            values["roles"] = _roles(values["roles"])
        if "display_name" in values:
            values["display_name"] = clean_line(str(values["display_name"])) or None
            if values["display_name"] is None:
                raise BadInput("a person needs a name")

        def run(conn: Connection) -> str:
            who = self._person(conn, handle)
            if values.get("delegate"):
                values["delegate"] = self._require_person(conn, values["delegate"])
            guarded = [k for k in ("roles", "delegate") if k in values
                       and _plain(values[k]) != _plain(getattr(who, k))]
            if guarded:
                self._admin_check(conn, f"change {' or '.join(guarded)}")
            if who.handle != self.actor:
                self._admin_check(conn, f"change {who.handle}'s details")
            self._change_person(conn, "person.changed", who, values)
            return who.handle

        return str(self._write(run))

    def rename(self, name: str) -> None:
        """Rename the board."""
        name = clean_line(name)
        if not name:
            raise BadInput("the board needs a name")

        def run(conn: Connection) -> None:
            before = conn.execute(select(META.c.value).where(META.c.key == "board_name")).scalar()
            conn.execute(META.update().where(META.c.key == "board_name").values(value=name))
            self._emit(conn, "board.renamed", None, {"changes": {"board_name": [before, name]}})

        self._write(run)

    # -- time-based alerts ------------------------------------------------------------
    def raise_once(self, key: str, kind: str, piece_id: int | None, data: dict[str, Any]) -> int | None:
        """Record a time-based alert unless some board already did; returns its event id."""

        def run(conn: Connection) -> int | None:
            if conn.execute(select(RA.c.key).where(RA.c.key == key)).first():
                return None
            eid = self._emit(conn, kind, piece_id, data, actor="prodboard")
            conn.execute(RA.insert().values(key=key, event_id=eid))
            return eid

        with self.store.write() as conn:
            return run(conn)

    def raise_summary(self, keys: list[str],
                      data: Callable[[list[str]], dict[str, Any]]) -> int | None:
        """Record one ``alert.summary`` standing for those of ``keys`` no board has raised
        yet (``data`` of them), a ledger row each; returns its event id, None if none."""
        with self.store.write() as conn:
            held = self.q.raised_keys(conn, keys)
            fresh = [key for key in keys if key not in held]
            if not fresh:
                return None
            eid = self._emit(conn, "alert.summary", None, data(fresh), actor="prodboard")
            conn.execute(RA.insert(), [{"key": key, "event_id": eid} for key in fresh])
            return eid

"""The tables. Lists and maps are JSON columns so one row holds one piece whole.

Dates are ISO strings (``YYYY-MM-DD``) and timestamps are UTC ISO strings, which sort
and compare correctly as text on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from prodboard.domain.fields import DEFAULT_PRIORITY

SCHEMA_VERSION = 7  # 4 review tracks, 5 import/webhook tables, 6 the replay cache,
# 7 per-item read marks (ReadItem)


class JSONText(TypeDecorator[Any]):
    """JSON kept as text. Reading skips the decoder for the empty lists and maps most
    rows hold: a 10,000-piece board has 50,000 such cells to read at launch."""

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        def process(value: Any) -> Any:
            if value is None or not isinstance(value, str):
                return value
            if value == "[]":
                return []
            if value == "{}":
                return {}
            return json.loads(value)

        return process


def _json(default: Any) -> Any:
    make = type(default)
    return Field(
        default_factory=make,
        sa_column=Column(JSONText, nullable=False, default=lambda: make()),
    )


class Meta(SQLModel, table=True):
    """Board-wide settings: board name, schema version (also PRAGMA user_version)."""

    key: str = Field(primary_key=True)
    value: str


class Person(SQLModel, table=True):
    """Someone on the team: identity, roles, availability and how much they hear."""

    handle: str = Field(primary_key=True)
    display_name: str
    roles: list[str] = _json([])
    away: bool = False
    away_note: str = ""
    delegate: str | None = Field(default=None, foreign_key="person.handle")
    alert_level: str = "involved"
    created_at: str


class Piece(SQLModel, table=True):
    """One content item moving through the stages."""

    __table_args__ = (Index("ix_piece_stage_rank", "archived", "stage", "rank"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str
    format: str = "blog post"
    channels: list[str] = _json([])
    owner: str | None = Field(default=None, foreign_key="person.handle", index=True)
    reviewers: list[str] = _json([])
    stage: str
    rank: float = 0.0
    priority: int = DEFAULT_PRIORITY
    tags: list[str] = _json([])
    due: str | None = None
    publish_date: str | None = None
    # The brief: the four gate questions, then the rest of a creative brief.
    audience: str = ""
    desired_action: str = ""
    business_goal: str = ""
    success_metrics: str = ""
    key_message: str = ""
    # Pre-publish checklist: item -> {"by": handle, "at": iso} once ticked.
    checklist: dict[str, Any] = _json({})
    revision_rounds: int = 0
    cost: float = 0.0
    links: list[str] = _json([])
    approved_by: str | None = None
    approved_at: str | None = None
    approval_delegated: bool = False
    stage_entered_at: str
    created_at: str
    updated_at: str
    archived: bool = False
    archive_reason: str = ""
    version: int = 1


class Comment(SQLModel, table=True):
    """One message in a piece's thread."""

    id: int | None = Field(default=None, primary_key=True)
    piece_id: int = Field(foreign_key="piece.id", index=True)
    author: str = Field(foreign_key="person.handle")
    body: str
    mentions: list[str] = _json([])
    created_at: str


class Event(SQLModel, table=True):
    """One recorded change, by one person, at one time. Append-only; ids only grow."""

    __table_args__ = (
        Index("ix_event_piece", "piece_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    at: str
    actor: str
    kind: str
    piece_id: int | None = None
    # {"changes": {field: [before, after]}, "version": n, ...kind-specific extras}
    data: dict[str, Any] = _json({})


class Recipient(SQLModel, table=True):
    """Whom an event concerns, decided when it happened and written in its transaction.

    ``reason`` says why (owner, previous_owner, reviewer, watcher, mention, stage,
    manager, subject, admin…), ``severity`` how loud. The inbox, the unread count,
    the summary and the live toasts all read these rows, so a later reassignment
    never moves past alerts from one person to another.
    """

    __table_args__ = (Index("ix_recipient_person", "person", "event_id"),)

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    person: str = Field(primary_key=True)
    reason: str
    severity: str = "information"


class Watch(SQLModel, table=True):
    """A person following a piece: they hear about its changes."""

    piece_id: int = Field(foreign_key="piece.id", primary_key=True)
    handle: str = Field(foreign_key="person.handle", primary_key=True)


class ReadCursor(SQLModel, table=True):
    """The last event a person has read (their inbox and 'while you were away')."""

    handle: str = Field(foreign_key="person.handle", primary_key=True)
    event_id: int = 0


class ReadItem(SQLModel, table=True):
    """An event a person has read above their read cursor (one inbox item marked
    read on its own). Everything up to the cursor is read; "mark all read" moves the
    cursor and drops the person's rows it passed."""

    handle: str = Field(foreign_key="person.handle", primary_key=True)
    event_id: int = Field(foreign_key="event.id", primary_key=True)


class RaisedAlert(SQLModel, table=True):
    """Time-based alerts already raised, so any number of boards raise each once."""

    key: str = Field(primary_key=True)
    event_id: int


class ReviewTrack(SQLModel, table=True):
    """One role's sign-off on a piece in one review cycle (each entry into review is a
    cycle; earlier cycles stay, for the history and the metrics)."""

    __table_args__ = (Index("ix_track_reviewer", "reviewer", "state"),)

    piece_id: int = Field(foreign_key="piece.id", primary_key=True)
    cycle: int = Field(primary_key=True)
    role: str = Field(primary_key=True)
    position: int = 0
    entered_at: str  # the piece's stage_entered_at when the cycle began
    reviewer: str | None = Field(default=None, foreign_key="person.handle")
    state: str = "waiting"  # waiting, approved, changes
    opened_at: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    delegated: bool = False
    note: str = ""


class ReplayCache(SQLModel, table=True):
    """The figures' replay of the history up to ``cursor`` (services/metrics.py), so a
    report or the Metrics screen replays only the events after it. ``fingerprint``
    names what the replay was made with (its format, the workflow, the time zone):
    a cache made with another is ignored and rewritten."""

    key: str = Field(primary_key=True)
    cursor: int
    fingerprint: str
    state: str  # JSON (domain/replay_state.py)


# The Core tables, for the commands and queries (which use SQLAlchemy Core, not the ORM).
PIECES: Any = Piece.__table__  # type: ignore[attr-defined]
EVENTS: Any = Event.__table__  # type: ignore[attr-defined]
PEOPLE: Any = Person.__table__  # type: ignore[attr-defined]
COMMENTS: Any = Comment.__table__  # type: ignore[attr-defined]
WATCHES: Any = Watch.__table__  # type: ignore[attr-defined]
READ_CURSORS: Any = ReadCursor.__table__  # type: ignore[attr-defined]
READ_ITEMS: Any = ReadItem.__table__  # type: ignore[attr-defined]
RAISED: Any = RaisedAlert.__table__  # type: ignore[attr-defined]
RECIPIENTS: Any = Recipient.__table__  # type: ignore[attr-defined]
META: Any = Meta.__table__  # type: ignore[attr-defined]
TRACKS: Any = ReviewTrack.__table__  # type: ignore[attr-defined]
REPLAY_CACHE: Any = ReplayCache.__table__  # type: ignore[attr-defined]

"""The tables, as SQLAlchemy Core tables on one ``METADATA`` (the commands and
queries use Core, never an ORM). Lists and maps are JSON columns so one row holds one
piece whole.

Dates are ISO strings (``YYYY-MM-DD``) and timestamps are UTC ISO strings, which sort
and compare correctly as text on both SQLite and PostgreSQL. A column's default fills
a row an insert leaves it out of; no default is in the DDL (``tests/test_schema_ddl.py``
holds the schema every board has).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table
from sqlalchemy.types import TypeDecorator

from prodboard.domain.fields import DEFAULT_PRIORITY

SCHEMA_VERSION = 7  # 4 review tracks, 5 import/webhook tables, 6 the replay cache,
# 7 per-item read marks (READ_ITEMS)


class JSONText(TypeDecorator[Any]):
    """JSON kept as text. Reading skips the decoder for the empty lists and maps most
    rows hold: a 10,000-piece board has 50,000 such cells to read at launch."""

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        def process(value: Any) -> Any:
            if value.__class__ is not str:  # None, or what a driver decoded itself
                return value
            if value == "[]":
                return []
            if value == "{}":
                return {}
            try:  # the scanner itself: json.loads's layers were half of reading a list
                found, end = _SCAN(value, 0)
            except StopIteration:
                found, end = None, -1
            return found if end == len(value) else json.loads(value)  # loads: its error

        return process


_SCAN: Any = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner loads runs


def json_column(name: str, empty: type[list[Any]] | type[dict[str, Any]]) -> Column[Any]:
    """A list or map column; a new row gets its own empty one."""
    return Column(name, JSONText, nullable=False, default=lambda: empty())


def string(name: str, default: str | None = None) -> Column[str]:
    """A required text column (``default``: what an insert that leaves it out gets)."""
    return Column(name, String, nullable=False, default=default)


def optional_string(name: str, *refers: ForeignKey) -> Column[str]:
    return Column(name, String, *refers, nullable=True)


def integer(name: str, default: int | None = None) -> Column[int]:
    return Column(name, Integer, nullable=False, default=default)


def real(name: str, default: float = 0.0) -> Column[float]:
    return Column(name, Float, nullable=False, default=default)


def flag(name: str, default: bool = False) -> Column[bool]:
    return Column(name, Boolean, nullable=False, default=default)


def person_ref(name: str, **kw: Any) -> Column[str]:
    return Column(name, String, ForeignKey("person.handle"), **kw)


METADATA = MetaData()

# Board-wide settings: board name, schema version (also PRAGMA user_version).
META = Table(
    "meta", METADATA,
    Column("key", String, primary_key=True),
    string("value"),
)

# Someone on the team: identity, roles, availability and how much they hear.
PEOPLE = Table(
    "person", METADATA,
    Column("handle", String, primary_key=True),
    string("display_name"),
    json_column("roles", list),
    flag("away"),
    string("away_note", ""),
    optional_string("delegate", ForeignKey("person.handle")),
    string("alert_level", "involved"),
    string("created_at"),
)

# One content item moving through the stages.
PIECES = Table(
    "piece", METADATA,
    Column("id", Integer, primary_key=True),
    string("title"),
    string("format", "blog post"),
    json_column("channels", list),
    person_ref("owner", nullable=True, index=True),
    json_column("reviewers", list),
    string("stage"),
    real("rank", 0.0),
    integer("priority", DEFAULT_PRIORITY),
    json_column("tags", list),
    optional_string("due"),
    optional_string("publish_date"),
    # The brief: the four gate questions, then the rest of a creative brief.
    string("audience", ""),
    string("desired_action", ""),
    string("business_goal", ""),
    string("success_metrics", ""),
    string("key_message", ""),
    # Pre-publish checklist: item -> {"by": handle, "at": iso} once ticked.
    json_column("checklist", dict),
    integer("revision_rounds", 0),
    real("cost", 0.0),
    json_column("links", list),
    optional_string("approved_by"),
    optional_string("approved_at"),
    flag("approval_delegated"),
    string("stage_entered_at"),
    string("created_at"),
    string("updated_at"),
    flag("archived"),
    string("archive_reason", ""),
    integer("version", 1),
    Index("ix_piece_stage_rank", "archived", "stage", "rank"),
)

# One message in a piece's thread.
COMMENTS = Table(
    "comment", METADATA,
    Column("id", Integer, primary_key=True),
    Column("piece_id", Integer, ForeignKey("piece.id"), nullable=False, index=True),
    person_ref("author", nullable=False),
    string("body"),
    json_column("mentions", list),
    string("created_at"),
)

# One recorded change, by one person, at one time. Append-only; ids only grow.
EVENTS = Table(
    "event", METADATA,
    Column("id", Integer, primary_key=True),
    string("at"),
    string("actor"),
    string("kind"),
    Column("piece_id", Integer, nullable=True),
    # {"changes": {field: [before, after]}, "version": n, ...kind-specific extras}
    json_column("data", dict),
    Index("ix_event_piece", "piece_id", "id"),
    sqlite_autoincrement=True,
)

# Whom an event concerns, decided when it happened and written in its transaction.
# ``reason`` says why (owner, previous_owner, reviewer, watcher, mention, stage,
# manager, subject, admin…), ``severity`` how loud. The inbox, the unread count, the
# summary and the live toasts all read these rows, so a later reassignment never
# moves past alerts from one person to another.
RECIPIENTS = Table(
    "recipient", METADATA,
    Column("event_id", Integer, ForeignKey("event.id"), primary_key=True),
    Column("person", String, primary_key=True),
    string("reason"),
    string("severity", "information"),
    Index("ix_recipient_person", "person", "event_id"),
)

# A person following a piece: they hear about its changes.
WATCHES = Table(
    "watch", METADATA,
    Column("piece_id", Integer, ForeignKey("piece.id"), primary_key=True),
    person_ref("handle", primary_key=True),
)

# The last event a person has read (their inbox and 'while you were away').
READ_CURSORS = Table(
    "readcursor", METADATA,
    person_ref("handle", primary_key=True),
    integer("event_id", 0),
)

# An event a person has read above their read cursor (one inbox item marked read on
# its own). Everything up to the cursor is read; "mark all read" moves the cursor and
# drops the person's rows it passed.
READ_ITEMS = Table(
    "readitem", METADATA,
    person_ref("handle", primary_key=True),
    Column("event_id", Integer, ForeignKey("event.id"), primary_key=True),
)

# Time-based alerts already raised, so any number of boards raise each once.
RAISED = Table(
    "raisedalert", METADATA,
    Column("key", String, primary_key=True),
    integer("event_id"),
)

# One role's sign-off on a piece in one review cycle (each entry into review is a
# cycle; earlier cycles stay, for the history and the metrics).
TRACKS = Table(
    "reviewtrack", METADATA,
    Column("piece_id", Integer, ForeignKey("piece.id"), primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("role", String, primary_key=True),
    integer("position", 0),
    string("entered_at"),  # the piece's stage_entered_at when the cycle began
    person_ref("reviewer", nullable=True),
    string("state", "waiting"),  # waiting, approved, changes
    optional_string("opened_at"),
    optional_string("decided_by"),
    optional_string("decided_at"),
    flag("delegated"),
    string("note", ""),
    Index("ix_track_reviewer", "reviewer", "state"),
)

# The figures' replay of the history up to ``cursor`` (services/metrics.py), so a
# report or the Metrics screen replays only the events after it. ``fingerprint`` names
# what the replay was made with (its format, the workflow, the time zone): a cache
# made with another is ignored and rewritten.
REPLAY_CACHE = Table(
    "replaycache", METADATA,
    Column("key", String, primary_key=True),
    integer("cursor"),
    string("fingerprint"),
    string("state"),  # JSON (domain/replay_state.py)
)

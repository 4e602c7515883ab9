"""Tables for work in and out (schema 4): where imported pieces came from, and the
webhooks with their deliveries and the log of every attempt."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from prodboard.storage.tables import (
    METADATA,
    flag,
    integer,
    json_column,
    optional_string,
    real,
    string,
)

# An imported piece's origin: importing the same source again updates it.
IMPORT_SOURCES = Table(
    "import_source", METADATA,
    Column("source", String, primary_key=True),  # "trello:<board id>", "csv:<file name>", …
    Column("source_id", String, primary_key=True),  # the card id, row id, piece id there
    Column("piece_id", Integer, ForeignKey("piece.id"), nullable=False, index=True),
    string("imported_at"),
)

# A webhook: where matching events are POSTed, signed with the secret.
HOOKS = Table(
    "hook", METADATA,
    Column("id", Integer, primary_key=True),
    string("url"),
    json_column("events", list),  # kinds or their last part ("moved"); empty: all
    string("secret"),  # "whsec_" + base64 of the key
    string("format", "json"),  # json | slack
    flag("enabled", True),
    integer("failures", 0),  # consecutive failed attempts
    integer("max_failures", 10),
    integer("cursor", 0),  # the last event id queued for this hook
    string("created_at"),
    string("created_by", ""),
)

# One event owed to one hook. ``claimed_until`` is a lease: a deliverer that dies
# mid-send loses it when it runs out, and another sends the event again.
DELIVERIES = Table(
    "delivery", METADATA,
    Column("hook_id", Integer, ForeignKey("hook.id"), primary_key=True),
    Column("event_id", Integer, primary_key=True),
    integer("attempts", 0),
    string("next_at", ""),  # not before (a retry's backoff)
    string("claimed_until", ""),
    string("claimed_by", ""),
    optional_string("delivered_at"),
    string("last_error", ""),
    Index("ix_delivery_due", "hook_id", "delivered_at", "event_id"),
)

# The delivery log: every POST, its answer or error, how long it took.
ATTEMPTS = Table(
    "hookattempt", METADATA,
    Column("id", Integer, primary_key=True),
    Column("hook_id", Integer, nullable=False, index=True),
    integer("event_id"),
    integer("attempt"),
    string("at"),
    Column("status", Integer, nullable=True),  # the HTTP status, None when no answer came
    flag("ok"),
    string("error", ""),
    real("ms"),
)

"""Tables for work in and out (schema 4): where imported pieces came from, and the
webhooks with their deliveries and the log of every attempt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from prodboard.storage.tables import _json


class ImportSource(SQLModel, table=True):
    """An imported piece's origin: importing the same source again updates it."""

    __tablename__ = "import_source"

    source: str = Field(primary_key=True)  # "trello:<board id>", "csv:<file name>", …
    source_id: str = Field(primary_key=True)  # the card id, row id, piece id there
    piece_id: int = Field(foreign_key="piece.id", index=True)
    imported_at: str


class Hook(SQLModel, table=True):
    """A webhook: where matching events are POSTed, signed with the secret."""

    id: int | None = Field(default=None, primary_key=True)
    url: str
    events: list[str] = _json([])  # kinds or their last part ("moved"); empty: all
    secret: str  # "whsec_" + base64 of the key
    format: str = "json"  # json | slack
    enabled: bool = True
    failures: int = 0  # consecutive failed attempts
    max_failures: int = 10
    cursor: int = 0  # the last event id queued for this hook
    created_at: str
    created_by: str = ""


class Delivery(SQLModel, table=True):
    """One event owed to one hook. ``claimed_until`` is a lease: a deliverer that dies
    mid-send loses it when it runs out, and another sends the event again."""

    __table_args__ = (Index("ix_delivery_due", "hook_id", "delivered_at", "event_id"),)

    hook_id: int = Field(foreign_key="hook.id", primary_key=True)
    event_id: int = Field(primary_key=True)
    attempts: int = 0
    next_at: str = ""  # not before (a retry's backoff)
    claimed_until: str = ""
    claimed_by: str = ""
    delivered_at: str | None = None
    last_error: str = ""


class HookAttempt(SQLModel, table=True):
    """The delivery log: every POST, its answer or error, how long it took."""

    id: int | None = Field(default=None, primary_key=True)
    hook_id: int = Field(index=True)
    event_id: int
    attempt: int
    at: str
    status: int | None = None  # the HTTP status, None when no answer came
    ok: bool = False
    error: str = ""
    ms: float = 0.0


IMPORT_SOURCES: Any = ImportSource.__table__  # type: ignore[attr-defined]
HOOKS: Any = Hook.__table__  # type: ignore[attr-defined]
DELIVERIES: Any = Delivery.__table__  # type: ignore[attr-defined]
ATTEMPTS: Any = HookAttempt.__table__  # type: ignore[attr-defined]

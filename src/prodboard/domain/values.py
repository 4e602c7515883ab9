"""Plain immutable values handed to the faces (CLI, TUI): never live ORM rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodboard.domain.reviews import TrackView

from prodboard.domain.fields import FIELDS, LIST_FIELDS


@dataclass(frozen=True)
class PieceView:
    id: int
    title: str
    format: str
    channels: tuple[str, ...]
    owner: str | None
    reviewers: tuple[str, ...]
    stage: str
    rank: float
    priority: int
    tags: tuple[str, ...]
    due: str | None
    publish_date: str | None
    audience: str
    desired_action: str
    business_goal: str
    success_metrics: str
    key_message: str
    checklist: dict[str, Any]
    revision_rounds: int
    cost: float
    links: tuple[str, ...]
    approved_by: str | None
    approved_at: str | None
    approval_delegated: bool
    stage_entered_at: str
    created_at: str
    updated_at: str
    archived: bool
    archive_reason: str
    version: int
    comments: int = 0
    tracks: tuple[TrackView, ...] = ()  # its review tracks, while in review (reviews.py)

    def to_json(self) -> dict[str, Any]:
        """The Piece object of docs/json.md: every field of the field list, by its JSON name."""
        # Shallow on purpose: asdict() deep-copies and dominated `ls --json` on big boards.
        data = {key: getattr(self, name) for name, key in _PIECE_JSON}
        for key in LIST_FIELDS:
            data[key] = list(data[key])
        return data


@dataclass(frozen=True)
class CommentView:
    id: int
    piece_id: int
    author: str
    body: str
    mentions: tuple[str, ...]
    created_at: str

    def to_json(self) -> dict[str, Any]:
        """The Comment object of docs/json.md: its time is ``at``, like an event's."""
        data = {**asdict(self), "mentions": list(self.mentions)}
        data["at"] = data.pop("created_at")
        return data


@dataclass(frozen=True)
class EventView:
    id: int
    at: str
    actor: str
    kind: str
    piece_id: int | None
    data: dict[str, Any]

    @property
    def changes(self) -> dict[str, list[Any]]:
        return dict(self.data.get("changes", {}))

    def to_json(self) -> dict[str, Any]:
        # Shallow, like PieceView's: asdict() deep-copies ``data``, a third of `log --json`.
        return {name: getattr(self, name) for name in _EVENT_JSON}


@dataclass(frozen=True)
class RecipientView:
    """One person an event concerns, fixed when the event was written."""

    person: str
    reason: str
    severity: str


@dataclass(frozen=True)
class PersonView:
    handle: str
    display_name: str
    roles: tuple[str, ...]
    away: bool
    away_note: str
    delegate: str | None
    alert_level: str
    created_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "roles": list(self.roles)}


_PIECE_JSON = tuple((f.name, f.json_name) for f in FIELDS)
_EVENT_JSON = tuple(f.name for f in fields(EventView))


def piece_from_row(row: Any, comments: int = 0) -> PieceView:
    return piece_from_dict(dict(row._mapping), comments)


def piece_from_dict(data: dict[str, Any], comments: int = 0) -> PieceView:
    data.pop("comments", None)
    _decode_piece(data, tuple)
    return PieceView(**data, comments=comments)


def piece_json_reader(keys: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """For rows with the columns ``keys`` (a piece's, and its comment count as
    "comments"): a function from a row to the Piece object of docs/json.md, what
    ``piece_from_dict(...).to_json()`` gives without the PieceView between (building
    it was a third of a big ``ls --json``; the JSON holds no tracks)."""
    pick = itemgetter(*(keys.index(name) for name, _ in _PIECE_JSON))
    json_keys = [key for _, key in _PIECE_JSON]

    def read(row: Sequence[Any]) -> dict[str, Any]:
        data = dict(zip(json_keys, pick(row), strict=True))
        _decode_piece(data, list)  # the fields it decodes keep their names as JSON keys
        return data

    return read


def _decode_piece(data: dict[str, Any], sequence: type[tuple[Any, ...]] | type[list[Any]]) -> None:
    """A piece row's lists, checklist and flags as a piece holds them (an old row's
    null list or map is an empty one; SQLite's 0/1 a bool)."""
    for key in LIST_FIELDS:
        data[key] = sequence(data[key] or ())
    data["checklist"] = dict(data["checklist"] or {})
    data["archived"] = bool(data["archived"])
    data["approval_delegated"] = bool(data["approval_delegated"])


def person_from_row(row: Any) -> PersonView:
    d = dict(row._mapping)
    return PersonView(
        handle=d["handle"],
        display_name=d["display_name"],
        roles=tuple(d["roles"] or ()),
        away=bool(d["away"]),
        away_note=d["away_note"],
        delegate=d["delegate"],
        alert_level=d["alert_level"],
        created_at=d.get("created_at") or "",
    )


def event_from_row(row: Any) -> EventView:
    return event_from_dict(dict(row._mapping))


def event_from_dict(d: dict[str, Any]) -> EventView:
    return EventView(*_event_values(d))


def event_json_from_dict(d: dict[str, Any]) -> dict[str, Any]:
    """``event_from_dict(d).to_json()`` without the EventView between."""
    return dict(zip(_EVENT_JSON, _event_values(d), strict=True))


def _event_values(d: dict[str, Any]) -> tuple[Any, ...]:
    """An event row's fields in EventView's order (an old row's null data is {})."""
    return d["id"], d["at"], d["actor"], d["kind"], d["piece_id"], dict(d["data"] or {})


# PieceView attributes read from other tables, not piece fields (domain/fields.py).
ATTACHED = ("tracks",)

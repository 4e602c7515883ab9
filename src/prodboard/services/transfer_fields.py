"""The piece fields as the transfer code (export, import) sees them: the one place
it reads them from. They come from the piece table until the shared field list
(domain/fields.py) lands; then only this module changes."""

from __future__ import annotations

from prodboard.services.commands import DATE_FIELDS, EDITABLE, LIST_FIELDS, TEXT_FIELDS
from prodboard.storage import tables as m

# Every column of a piece, in table order: the CSV export's columns.
PIECE_COLUMNS: tuple[str, ...] = tuple(c.name for c in m.PIECES.columns)
# What an import may set through Commands.normalise (checked and cleaned there).
EDITABLE_FIELDS: tuple[str, ...] = EDITABLE
LISTS: tuple[str, ...] = LIST_FIELDS
DATES: tuple[str, ...] = DATE_FIELDS
TEXTS: tuple[str, ...] = TEXT_FIELDS
# Besides the editable fields, an import sets these itself.
IMPORT_FIELDS: tuple[str, ...] = (
    "id", "stage", "owner", "archived", "archive_reason", "checklist", "created_at",
    *EDITABLE,
)
# Header words a spreadsheet often uses for our fields (lower case, spaces as _).
ALIASES: dict[str, str] = {
    "name": "title", "task": "title", "status": "stage", "column": "stage", "list": "stage",
    "assignee": "owner", "due_date": "due", "publish": "publish_date", "tag": "tags",
    "labels": "tags", "channel": "channels", "reviewer": "reviewers", "link": "links",
    "description": "key_message", "closed": "archived",
}


def piece_defaults() -> dict[str, object]:
    """Each piece column's default (None where it has none): a full row to start from."""
    out: dict[str, object] = {}
    for column in m.PIECES.columns:
        default = column.default
        if default is None:
            out[column.name] = None
        else:
            out[column.name] = default.arg(None) if default.is_callable else default.arg
    return out

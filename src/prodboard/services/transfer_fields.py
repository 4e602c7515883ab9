"""The piece fields as the transfer code (export, import) sees them: the one place
it reads them from, taken from the shared field list (domain/fields.py) and the
piece table."""

from __future__ import annotations

from sqlalchemy.sql.schema import ColumnDefault

from prodboard.domain.fields import CHOICE, DATE, EDITABLE, FIELDS, LINE, LIST_FIELDS, TEXT
from prodboard.storage import tables as m

# Every column of a piece, in table order: the CSV export's columns.
PIECE_COLUMNS: tuple[str, ...] = tuple(c.name for c in m.PIECES.columns)
# What an import may set through Commands.normalise (checked and cleaned there).
EDITABLE_FIELDS: tuple[str, ...] = EDITABLE
LISTS: tuple[str, ...] = LIST_FIELDS
DATES: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == DATE)
TEXTS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.edit and f.kind in (LINE, TEXT, CHOICE))
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
        if not isinstance(default, ColumnDefault):
            out[column.name] = None
        else:
            out[column.name] = default.arg(None) if default.is_callable else default.arg
    return out

"""A CSV file (a header row, then one piece a row) as an ImportPlan.

Columns are found by header: our own field names (what ``export --format csv``
writes), a few common spreadsheet words (``transfer_fields.ALIASES``), or an explicit
``--columns 'Header=field,…'``. Rows count like a spreadsheet's: the header is row 1.
A row's source id is its ``id`` column, or its title when there is none.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from prodboard.domain.text import clean, clean_line
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput
from prodboard.services.commands import check_format
from prodboard.services.importing import (
    ImportItem,
    ImportPlan,
    at_where,
    check_field,
    iso_time,
    resolve_person,
    resolve_stage,
)
from prodboard.services.transfer import unneutralise
from prodboard.services.transfer_fields import ALIASES, EDITABLE_FIELDS, IMPORT_FIELDS

_TRUE = ("1", "true", "yes", "y", "x", "archived", "closed")
_FALSE = ("", "0", "false", "no", "n")
# Read from our own export but set by prodboard, not by the file.
_IGNORED = {"rank", "revision_rounds", "approved_by", "approved_at", "approval_delegated",
            "stage_entered_at", "updated_at", "version", "comment_count"}


def read_text(path: Path) -> str:
    """A file's text, which must be UTF-8 (a byte-order mark is allowed)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 (byte {exc.start + 1}); save it as UTF-8 CSV") from None


def _columns(file: str, header: list[str], explicit: dict[str, str]) -> dict[int, str]:
    """Column index -> field, from the header and ``--columns``."""
    names = [clean_line(h) for h in header]
    unknown = sorted(set(explicit) - {n.lower() for n in names})
    if unknown:
        raise BadInput(f"--columns: no column {unknown[0]!r} in {file} (columns: {', '.join(names)})")
    out: dict[int, str] = {}
    for i, name in enumerate(names):
        target = explicit.get(name.lower())
        if target is None:
            key = name.lower().replace(" ", "_").replace("-", "_")
            target = ALIASES.get(key, key)
            if target not in IMPORT_FIELDS:
                continue
        elif target not in IMPORT_FIELDS:
            raise BadInput(f"--columns: {target!r} is not a field (fields: {', '.join(IMPORT_FIELDS)})")
        if target in out.values():
            raise BadInput(f"{file}: two columns give {target}: map one of them with --columns")
        out[i] = target
    if "title" not in out.values():
        raise BadInput(f"{file}: no title column (columns: {', '.join(names)}; name one with "
                       "--columns 'HEADER=title')")
    return out


def _flag(file: str, where: str, value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise at_where(file, where, "archived", f"{value!r} is not yes/no")


def parse_csv(path: Path, wf: Workflow, known: set[str], *, stages: dict[str, str],
              people: dict[str, str], columns: dict[str, str]) -> ImportPlan:
    file = str(path)
    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadInput(f"{file}: not a CSV file ({exc})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise BadInput(f"{file}: empty (a CSV import needs a header row)")
    fields = _columns(file, rows[0], columns)
    ignored = [clean_line(h) for i, h in enumerate(rows[0])
               if i not in fields and h.strip() and h.strip().lower() not in _IGNORED]
    plan = ImportPlan(f"csv:{path.name}", file, [])
    if ignored:
        plan.warnings.append(f"columns not imported: {', '.join(ignored)}")
    for n, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"row {n}"
        cells = {f: unneutralise(row[i]) if i < len(row) else "" for i, f in fields.items()}
        plan.items.append(_item(file, where, cells, wf, known, stages, people))
    return plan


def _item(file: str, where: str, cells: dict[str, str], wf: Workflow, known: set[str],
          stages: dict[str, str], people: dict[str, str]) -> ImportItem:
    title = check_field(file, where, "title", cells["title"])
    item = ImportItem(clean_line(cells.get("id") or "") or title, where, title,
                      resolve_stage(wf, cells.get("stage", ""), stages, file, where))
    item.owner = resolve_person(cells.get("owner", ""), people, known, file, where, "owner")
    item.given = set(cells)
    values: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        if name == "title" or name not in cells or name in _IGNORED:
            continue
        raw = cells[name]
        if name in ("priority", "cost") and not raw.strip():
            continue
        values[name] = check_field(file, where, name, raw)
    if "reviewers" in values:
        values["reviewers"] = [resolve_person(r, people, known, file, where, "reviewers")
                               for r in values["reviewers"]]
    if "format" in values:
        try:
            check_format(wf, values["format"])
        except BadInput as exc:
            raise at_where(file, where, "format", exc.message) from None
    item.fields = values
    if "archived" in cells:
        item.archived = _flag(file, where, cells["archived"])
        item.archive_reason = clean(cells.get("archive_reason", "")).strip()
    item.created_at = iso_time(cells.get("created_at"), file, where, "created_at")
    if "checklist" in cells:
        allowed = set(wf.checklist_for(values.get("format", "blog post")))
        ticks: dict[str, Any] = {}
        for raw_item in clean_line(cells["checklist"]).split(","):
            key = raw_item.strip().lower().replace(" ", "_")
            if not key:
                continue
            if key not in allowed:
                raise at_where(file, where, "checklist", f"unknown item {key!r} (items: "
                               f"{', '.join(sorted(allowed))})")
            ticks[key] = {"by": "", "at": ""}  # the writer fills these in
        item.checklist = ticks
    return item

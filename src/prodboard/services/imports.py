"""Which reader takes a file, and the one call the faces make to import it.

``--format`` names the reader; without it a ``.csv`` file is CSV and a JSON file is
a prodboard export or a Trello board, told apart by their contents. A prodboard
export goes into an empty board whole (``json_restore``); into a board that already
holds work its pieces are merged like any other source, matched on their old ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from prodboard.domain.text import clean, clean_line
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput
from prodboard.services import json_restore
from prodboard.services.commands import Commands
from prodboard.services.csv_import import parse_csv, read_text
from prodboard.services.importing import (
    ImportComment,
    ImportItem,
    ImportPlan,
    ImportReport,
    Progress,
    apply,
    check_field,
    parse_pairs,
    resolve_person,
    resolve_stage,
)
from prodboard.services.transfer_fields import EDITABLE_FIELDS
from prodboard.services.trello import looks_like_trello, parse_trello
from prodboard.storage import tables as m

FORMATS = ("csv", "json", "trello")


@dataclass
class Restored:
    """A whole export restored into an empty board: rows per table."""

    counts: dict[str, int]
    dry_run: bool

    def summary(self) -> str:
        verb = "would restore" if self.dry_run else "restored"
        parts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in self.counts.items())
        return f"{verb} the whole board: {parts}"

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "restored": self.counts}


def _known(board: Commands) -> set[str]:
    with board.store.read() as conn:
        return {r[0] for r in conn.execute(select(m.PEOPLE.c.handle))}


def run_import(board: Commands, path: Path, *, fmt: str | None = None, stage_map: str | None = None,
               people_map: str | None = None, columns: str | None = None, dry_run: bool = False,
               progress: Progress | None = None) -> ImportReport | Restored:
    if fmt is not None and fmt not in FORMATS:
        raise BadInput(f"unknown import format {fmt!r} ({', '.join(FORMATS)})")
    stages = parse_pairs(stage_map, "--map")
    people = parse_pairs(people_map, "--people")
    cols = parse_pairs(columns, "--columns")
    if cols and (fmt or ("csv" if path.suffix.lower() == ".csv" else "json")) != "csv":
        raise BadInput("--columns is for CSV files")
    known = _known(board)
    if fmt == "csv" or (fmt is None and path.suffix.lower() == ".csv"):
        plan = parse_csv(path, board.wf, known, stages=stages, people=people, columns=cols)
        return apply(board, plan, dry_run=dry_run, progress=progress)
    try:
        data = json.loads(read_text(path))
    except ValueError as exc:
        raise BadInput(f"{path}: not JSON ({exc}); for a CSV file use --format csv") from None
    if fmt == "trello" or (fmt is None and looks_like_trello(data)):
        plan = parse_trello(path, board.wf, known, stages=stages, people=people, data=data)
        return apply(board, plan, dry_run=dry_run, progress=progress)
    if not json_restore.is_export(data):
        raise BadInput(f"{path}: neither a prodboard export nor a Trello board export")
    tables = json_restore.check_export(str(path), data)
    with board.store.read() as conn:
        empty = json_restore.target_is_empty(conn)
    if empty:
        return Restored(json_restore.restore(board, tables, dry_run=dry_run), dry_run)
    plan = plan_from_export(path, board.wf, known, tables, stages, people)
    return apply(board, plan, dry_run=dry_run, progress=progress)


def plan_from_export(path: Path, wf: Workflow, known: set[str], tables: dict[str, list[dict[str, Any]]],
                     stages: dict[str, str], people: dict[str, str]) -> ImportPlan:
    """Another board's pieces (with their comments and ticks) as new work here."""
    file = str(path)
    events = tables["events"]
    founded = events[0]["at"] if events else "unknown"
    names = {p["handle"]: p["display_name"] for p in tables["people"]}
    comments: dict[int, list[dict[str, Any]]] = {}
    for cm in tables["comments"]:
        comments.setdefault(cm["piece_id"], []).append(cm)
    plan = ImportPlan(f"prodboard:{founded}", file, [])
    for row in tables["pieces"]:
        where = f"piece #{row['id']}"
        title = check_field(file, where, "title", row["title"])
        item = ImportItem(str(row["id"]), where, title,
                          resolve_stage(wf, row["stage"], stages, file, where))
        item.owner = resolve_person(row["owner"] or "", people, known, file, where, "owner")
        fields = {k: check_field(file, where, k, row[k]) for k in EDITABLE_FIELDS if k != "title"}
        fields["reviewers"] = [resolve_person(r, people, known, file, where, "reviewers")
                               for r in fields["reviewers"]]
        item.fields = fields
        item.archived = bool(row["archived"])
        item.archive_reason = clean(row["archive_reason"])
        item.created_at = row["created_at"]
        item.checklist = {k: {"by": "", "at": ""} for k in row["checklist"]}
        for cm in comments.get(row["id"], []):
            author = cm["author"]
            mapped = people.get(author.lower(), author)
            here = mapped if mapped in known else None
            original = f"{clean_line(names.get(author, author))} (@{author})"
            item.comments.append(ImportComment(here, original, cm["created_at"], cm["body"]))
        plan.items.append(item)
    return plan

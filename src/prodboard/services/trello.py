"""A Trello board export (Menu → Print, export and share → Export as JSON) as an
ImportPlan.

What we read of Trello's format: ``id``, ``name``; ``lists`` (``id``, ``name``);
``cards`` (``id``, ``name``, ``desc``, ``idList``, ``due``, ``closed``, ``labels`` or
``idLabels``, ``idMembers``, ``attachments`` with ``url``, ``shortLink``);
``checklists`` (``idCard``, ``name``, ``checkItems`` with ``name`` and ``state``
complete/incomplete); ``members`` (``id``, ``username``, ``fullName``); ``labels``;
and ``actions`` (newest first, at most 1,000 in an export): ``commentCard`` (the
text in ``data.text``), ``createCard`` (``data.list``) and ``updateCard`` with
``data.listBefore``/``data.listAfter`` (a move between lists). Each action names its
card in ``data.card.id`` and its author in ``idMemberCreator``/``memberCreator``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prodboard.domain.text import clean, clean_line
from prodboard.domain.workflow import Workflow
from prodboard.errors import BadInput
from prodboard.services.csv_import import read_text
from prodboard.services.importing import (
    ImportComment,
    ImportItem,
    ImportMove,
    ImportPlan,
    at_where,
    check_field,
    iso_time,
)

ACTION_LIMIT = 1000


def _objects(data: dict[str, Any], key: str, file: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadInput(f"{file}: {key} must be a list of objects (is this a Trello export?)")
    return value


def _text(value: Any) -> str:
    return clean(value) if isinstance(value, str) else ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """A list field of the export; anything else (a hand-edited file) counts as none."""
    return value if isinstance(value, list) else []


def _id_time(trello_id: str) -> str | None:
    """Trello ids start with the creation time (seconds, 8 hex digits)."""
    try:
        return datetime.fromtimestamp(int(trello_id[:8], 16), UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def looks_like_trello(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("cards"), list) and "lists" in data


def parse_trello(path: Path, wf: Workflow, known: set[str], *, stages: dict[str, str],
                 people: dict[str, str], data: Any = None) -> ImportPlan:
    file = str(path)
    if data is None:
        try:
            data = json.loads(read_text(path))
        except ValueError as exc:
            raise BadInput(f"{file}: not JSON ({exc})") from None
    if not looks_like_trello(data):
        raise BadInput(f"{file}: not a Trello board export (no lists and cards)")
    board_id = clean_line(str(data.get("id") or path.stem))
    lists = {str(x.get("id")): clean_line(_text(x.get("name"))) for x in _objects(data, "lists", file)}
    cards = _objects(data, "cards", file)
    members = {str(x.get("id")): x for x in _objects(data, "members", file)}
    labels = {str(x.get("id")): x for x in _objects(data, "labels", file)}
    actions = sorted(_objects(data, "actions", file), key=lambda a: str(a.get("date") or ""))
    plan = ImportPlan(f"trello:{board_id}", file, [])
    if len(actions) >= ACTION_LIMIT:
        plan.warnings.append(f"the export holds {len(actions):,} actions, Trello's limit: older "
                             "comments and list moves are missing from it")

    stage_of = _stages(file, wf, lists, cards, stages)
    handle_of = _people(members, known, people)
    unmapped: dict[str, str] = {}  # member -> the first card naming them
    for c in cards:
        for member in _list(c.get("idMembers")):
            if handle_of(str(member)) is None:
                unmapped.setdefault(_member_name(members, member),
                                    clean_line(_text(c.get("name")))[:40])
    if unmapped:
        named = ", ".join(f"{who} (card {card!r})" for who, card in sorted(unmapped.items()))
        first = min(unmapped)
        raise BadInput(f"{file}: card members not on the board: {named} (map them with "
                       f"--people '{first}=HANDLE,…')")
    checklists: dict[str, list[dict[str, Any]]] = {}
    for cl in _objects(data, "checklists", file):
        checklists.setdefault(str(cl.get("idCard")), []).append(cl)
    history = _history(actions, lists, stage_of, members, handle_of, plan)
    for card in cards:
        plan.items.append(_card(file, wf, card, stage_of, handle_of, labels, checklists,
                                history.get(str(card.get("id")), {})))
    return plan


def _stages(file: str, wf: Workflow, lists: dict[str, str], cards: list[dict[str, Any]],
            mapping: dict[str, str]) -> dict[str, str]:
    """Trello list id -> stage key; every list that holds a card must have one."""
    out: dict[str, str] = {}
    missing: list[str] = []
    for list_id, name in lists.items():
        target = mapping.get(name.lower()) or mapping.get(list_id.lower()) or name
        try:
            out[list_id] = wf.stage(target).key
        except BadInput:
            if any(str(c.get("idList")) == list_id for c in cards):
                missing.append(name)
    orphans = sorted({str(c.get("idList")) for c in cards} - set(lists))
    if orphans:
        raise BadInput(f"{file}: cards name lists the export does not hold: {', '.join(orphans)}")
    if missing:
        listed = ", ".join(repr(n) for n in missing)
        example = ",".join(f"{n}=STAGE" for n in missing)
        raise BadInput(f"{file}: lists without a stage: {listed} (stages: "
                       f"{', '.join(s.key for s in wf.stages)}; map them with --map '{example}')")
    return out


def _member_name(members: dict[str, Any], member_id: Any) -> str:
    m = members.get(str(member_id)) or {}
    return clean_line(str(m.get("username") or m.get("fullName") or member_id))


def _people(members: dict[str, Any], known: set[str], mapping: dict[str, str]) -> Any:
    """A function: Trello member id (and the action's own copy of the member) -> handle,
    through --people (by username, full name or id), else the same username here."""

    def handle_of(member_id: str, creator: dict[str, Any] | None = None) -> str | None:
        m = members.get(member_id) or creator or {}
        for key in (m.get("username"), m.get("fullName"), member_id):
            name = clean_line(str(key or "")).lower()
            if name and name in mapping:
                handle = mapping[name].lower().lstrip("@")
                return handle if handle in known else None
        username = clean_line(str(m.get("username") or "")).lower()
        return username if username in known else None

    return handle_of


def _history(actions: list[dict[str, Any]], lists: dict[str, str], stage_of: dict[str, str],
             members: dict[str, Any], handle_of: Any, plan: ImportPlan) -> dict[str, dict[str, Any]]:
    """Card id -> its comments, list moves and creation, oldest first."""
    out: dict[str, dict[str, Any]] = {}
    skipped = 0
    for action in actions:
        data = _obj(action.get("data"))
        card = _obj(data.get("card"))
        card_id = str(card.get("id") or "")
        at = iso_time(action.get("date"), plan.file, f"action {action.get('id')}", "date")
        if not card_id or at is None:
            continue
        mine = out.setdefault(card_id, {"comments": [], "moves": [], "created": None})
        kind = action.get("type")
        creator_id = str(action.get("idMemberCreator") or "")
        creator = _obj(action.get("memberCreator")) or None
        if kind == "commentCard" and _text(data.get("text")).strip():
            who = members.get(creator_id) or creator or {}
            name = clean_line(str(who.get("fullName") or who.get("username") or "someone"))
            if who.get("username") and who.get("fullName"):
                name = f"{clean_line(str(who['fullName']))} (@{clean_line(str(who['username']))})"
            mine["comments"].append(ImportComment(handle_of(creator_id, creator), name, at,
                                                  _text(data["text"]).strip()))
        elif kind == "createCard":
            mine["created"] = at
        elif kind == "updateCard" and isinstance(data.get("listAfter"), dict):
            before = stage_of.get(str(_obj(data.get("listBefore")).get("id")))
            after = stage_of.get(str(data["listAfter"].get("id")))
            if before is None or after is None:
                skipped += 1  # a list since deleted, or not on the board's list
                continue
            if before != after:
                mine["moves"].append(ImportMove(at, before, after))
    if skipped:
        plan.warnings.append(f"{skipped} list moves name lists the export no longer holds: "
                             "left out of the history")
    return out


def _card(file: str, wf: Workflow, card: dict[str, Any], stage_of: dict[str, str], handle_of: Any,
          labels: dict[str, Any], checklists: dict[str, list[dict[str, Any]]],
          history: dict[str, Any]) -> ImportItem:
    card_id = clean_line(str(card.get("id") or ""))
    name = clean_line(_text(card.get("name")))
    where = f"card {name[:40]!r} ({clean_line(str(card.get('shortLink') or card_id))})"
    if not card_id:
        raise at_where(file, where, "id", "a card without an id")
    title = check_field(file, where, "title", name)
    item = ImportItem(card_id, where, title, stage_of[str(card.get("idList"))])
    owners = [handle_of(str(m)) for m in _list(card.get("idMembers"))]
    item.owner = owners[0] if owners else None
    item.watchers = [h for h in owners[1:] if h]
    tags = []
    for label in _list(card.get("labels")) or [labels.get(str(i)) for i in _list(card.get("idLabels"))]:
        if isinstance(label, dict):
            tags.append(clean_line(_text(label.get("name")) or _text(label.get("color"))))
    links = [clean_line(_text(a.get("url"))) for a in _list(card.get("attachments"))
             if isinstance(a, dict) and _text(a.get("url"))]
    fields: dict[str, Any] = {"tags": tags, "links": links, "key_message": _text(card.get("desc"))}
    due = iso_time(card.get("due"), file, where, "due")
    fields["due"] = due[:10] if due else None
    item.fields = {k: check_field(file, where, k, v) for k, v in fields.items()}
    item.archived = bool(card.get("closed"))
    item.archive_reason = "closed in Trello" if item.archived else ""
    item.created_at = history.get("created") or _id_time(card_id)
    item.moves = list(history.get("moves", []))
    item.comments = list(history.get("comments", []))
    allowed = set(wf.checklist_for("blog post"))
    ticks: dict[str, Any] = {}
    for cl in checklists.get(card_id, []):
        lines = []
        for check in _list(cl.get("checkItems")):
            if not isinstance(check, dict):
                continue
            text = clean_line(_text(check.get("name")))
            done = check.get("state") == "complete"
            key = text.lower().replace(" ", "_")
            if key in allowed:
                if done:
                    ticks[key] = {"by": "", "at": ""}
            else:
                lines.append(f"[{'x' if done else ' '}] {text}")
        if lines:
            note = f"Checklist {clean_line(_text(cl.get('name')))!r} from Trello:\n" + "\n".join(lines)
            item.comments.append(ImportComment(None, "", item.created_at or "", note))
    item.checklist = ticks
    return item

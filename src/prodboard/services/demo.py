"""The demo board: realistic content from data/demo.json, written through the commands."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources
from typing import Any

from prodboard.errors import StoreError
from prodboard.services.commands import Commands


def demo_content() -> dict[str, Any]:
    """The demo's people, pieces and comments; StoreError if the packaged file is broken."""
    try:
        text = resources.files("prodboard").joinpath("data/demo.json").read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise StoreError(f"the demo content shipped with prodboard cannot be read ({exc})") from exc
    if not isinstance(data, dict) or not all(k in data for k in ("people", "pieces", "comments")):
        raise StoreError("the demo content shipped with prodboard is incomplete")
    return data


def load_demo(board: Commands) -> None:
    """Fill an empty board with the demo team and pieces, dates relative to today."""
    data = demo_content()
    today = board.clock().date()
    # The demo's own lead sets it up as its admin and adds the team, so whoever ran
    # init does not join the board.
    first, *others = data["people"]
    lead = Commands(board.store, board.wf, first["handle"], board.clock)
    lead.found(first["name"], first["roles"])
    lead.rename(data["board_name"])
    for person in others:
        lead.add_person(person["handle"], person["name"], person["roles"])
    for person in data["people"]:
        if person.get("delegate"):
            lead.set_person(person["handle"], delegate=person["delegate"])
    ids: dict[str, int] = {}
    for spec in data["pieces"]:
        ids[spec["title"]] = _add_piece(board, spec, today)
    for c in data["comments"]:
        Commands(board.store, board.wf, c["author"], board.clock).comment(ids[c["piece"]], c["body"])


def _add_piece(board: Commands, spec: dict[str, Any], today: date) -> int:
    spec = dict(spec)
    actor = Commands(board.store, board.wf, spec.get("owner") or "ana", board.clock)
    for key, field in (("due_in", "due"), ("publish_in", "publish_date")):
        if key in spec:
            spec[field] = (today + timedelta(days=spec.pop(key))).isoformat()
    ticked = spec.pop("ticked", [])
    rounds = spec.pop("revision_rounds", 0)
    target = spec.pop("stage")
    start = "review" if rounds else target
    pid = actor.create(spec.pop("title"), stage=start, owner=spec.pop("owner", None),
                       imported=True, **spec)
    editor = Commands(board.store, board.wf, "ben", board.clock)
    for _ in range(rounds):  # play the history out, so it shows in the piece's log
        editor.request_changes(pid, "Needs another pass: see comments.")
        actor.move(pid, "review")
    for item in ticked:
        actor.tick(pid, item)
    return pid

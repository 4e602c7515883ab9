"""A Trello board export built from Trello's documented JSON format (the fields the
importer reads, plus some it ignores, as a real export holds them)."""

from __future__ import annotations

from typing import Any


def _id(n: int, when: int = 0x5F000000) -> str:
    """A Trello-style id: 8 hex digits of creation time, then 16 more."""
    return f"{when + n * 3600:08x}{n:016x}"


MEMBERS = [
    {"id": _id(1), "username": "anaruiz", "fullName": "Ana Ruiz", "initials": "AR"},
    {"id": _id(2), "username": "benok", "fullName": "Ben Okafor", "initials": "BO"},
    {"id": _id(3), "username": "zoe", "fullName": "Zoë Visitor", "initials": "ZV"},
]
LISTS = [
    {"id": _id(10), "name": "Backlog", "closed": False, "pos": 1},
    {"id": _id(11), "name": "Writing", "closed": False, "pos": 2},
    {"id": _id(12), "name": "Done", "closed": False, "pos": 3},
]
LABELS = [{"id": _id(20), "name": "SEO", "color": "green"},
          {"id": _id(21), "name": "", "color": "red"}]


def board(actions: int | None = None) -> dict[str, Any]:
    """Three cards: one in Writing moved there from Backlog with two comments, a
    checklist and an attachment; one closed in Done; one plain in Backlog."""
    c1, c2, c3 = _id(30), _id(31), _id(32)
    cards = [
        {"id": c1, "name": "Launch post", "desc": "Why the launch matters\nfor editors",
         "idList": LISTS[1]["id"], "due": "2027-03-01T17:00:00.000Z", "dueComplete": False,
         "closed": False, "idLabels": [LABELS[0]["id"], LABELS[1]["id"]],
         "labels": [LABELS[0], LABELS[1]], "idMembers": [MEMBERS[0]["id"], MEMBERS[1]["id"]],
         "idChecklists": [_id(40)], "shortLink": "AbCd1234", "pos": 16384,
         "attachments": [{"id": _id(50), "name": "Draft", "url": "https://docs.example.com/d/1"}],
         "dateLastActivity": "2026-11-02T10:00:00.000Z"},
        {"id": c2, "name": "Old webinar recap", "desc": "", "idList": LISTS[2]["id"], "due": None,
         "closed": True, "idLabels": [], "labels": [], "idMembers": [], "idChecklists": [],
         "shortLink": "EfGh5678", "pos": 32768, "attachments": []},
        {"id": c3, "name": "=cmd|' /C calc'!A0", "desc": "", "idList": LISTS[0]["id"], "due": None,
         "closed": False, "idLabels": [], "labels": [], "idMembers": [MEMBERS[2]["id"]],
         "idChecklists": [], "shortLink": "IjKl9012", "pos": 49152, "attachments": []},
    ]
    checklists = [{"id": _id(40), "idCard": c1, "name": "Before publishing", "checkItems": [
        {"id": _id(41), "name": "SEO", "state": "complete", "pos": 1},
        {"id": _id(42), "name": "Legal", "state": "incomplete", "pos": 2},
        {"id": _id(43), "name": "Ask Dev for a hero image", "state": "complete", "pos": 3},
    ]}]

    def act(n: int, kind: str, date: str, member: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        return {"id": _id(100 + n), "idMemberCreator": member["id"], "type": kind, "date": date,
                "data": {"board": {"id": _id(0), "name": "Content"}, **data},
                "memberCreator": {k: member[k] for k in ("id", "username", "fullName")}}

    card1 = {"id": c1, "name": "Launch post", "idShort": 1, "shortLink": "AbCd1234"}
    acts = [  # newest first, as Trello writes them
        act(5, "commentCard", "2026-11-02T09:00:00.000Z", MEMBERS[2],
            {"card": card1, "text": "Looks good from outside", "list": {"id": LISTS[1]["id"]}}),
        act(4, "commentCard", "2026-11-01T09:00:00.000Z", MEMBERS[0],
            {"card": card1, "text": "First draft is in", "list": {"id": LISTS[1]["id"]}}),
        act(3, "updateCard", "2026-10-30T12:00:00.000Z", MEMBERS[0],
            {"card": {**card1, "idList": LISTS[1]["id"]}, "old": {"idList": LISTS[0]["id"]},
             "listBefore": {"id": LISTS[0]["id"], "name": "Backlog"},
             "listAfter": {"id": LISTS[1]["id"], "name": "Writing"}}),
        act(2, "updateCard", "2026-10-29T12:00:00.000Z", MEMBERS[0],
            {"card": {**card1, "desc": "x"}, "old": {"desc": ""}}),
        act(1, "createCard", "2026-10-28T08:00:00.000Z", MEMBERS[0],
            {"card": card1, "list": {"id": LISTS[0]["id"], "name": "Backlog"}}),
    ]
    if actions is not None:  # pad to a given count with other cards' label changes
        while len(acts) < actions:
            n = len(acts)
            acts.append(act(1000 + n, "addLabelToCard", "2026-01-01T00:00:00.000Z", MEMBERS[1],
                            {"card": {"id": c3}, "label": LABELS[0]}))
    return {"id": _id(0), "name": "Content", "desc": "", "closed": False,
            "url": "https://trello.com/b/XyZ/content", "prefs": {"permissionLevel": "private"},
            "labelNames": {"green": "SEO"}, "members": MEMBERS, "lists": LISTS, "labels": LABELS,
            "cards": cards, "checklists": checklists, "actions": acts, "customFields": [],
            "pluginData": []}

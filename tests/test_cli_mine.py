"""My work from the command line: ``assign ID me``, ``ls --mine``, ``ls --owner me``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from prodboard.services.context import Workspace


def test_assign_me_ls_mine_and_owner_me(cli: Any, make_session: Callable[..., Workspace]) -> None:
    s = make_session("ana", demo=True)  # ben, an editor, owns nothing and reviews #10, #11
    before = s.queries.last_event_id()
    code, out, err = cli("assign", 2, "me", user="ben")
    assert (code, out, err) == (0, "#2 → ben\n", "")
    assert [(e.kind, e.actor) for e in s.queries.events_since(before)] == [
        ("piece.assigned", "ben")]

    def ids(*args: str, user: str = "ben") -> set[int]:
        code, out, err = cli("ls", *args, "--json", user=user)
        assert (code, err) == (0, "")
        return {p["id"] for p in json.loads(out)}

    assert ids("--owner", "me") == {2}
    assert ids("--mine") == {2, 10, 11}  # owned, and waiting on my review
    assert ids("--mine", "--stage", "review") == {10, 11}
    assert ids("--mine", user="chloe") == {5, 7, 10, 14}  # a writer reviews nothing


def test_assign_me_for_a_guest_changes_nothing(cli: Any, make_session: Callable[..., Workspace]) -> None:
    s = make_session("ana")
    pid = s.board.create("Nobody's yet")
    before = s.queries.last_event_id()
    code, out, err = cli("assign", pid, "me", user=None, env={"LOGNAME": "visitor",
                                                              "USER": "visitor"})
    assert code == 2 and out == "" and "visitor" in err and len(err.splitlines()) == 1
    assert s.queries.last_event_id() == before
    assert s.queries.piece(pid).owner is None  # type: ignore[union-attr]

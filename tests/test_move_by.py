"""move_by: the core picks the target stage inside the write transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from prodboard.errors import Conflict, Refused
from prodboard.services.context import Workspace


@pytest.fixture
def ana(make_session: Callable[..., Workspace]) -> Workspace:
    s = make_session("ana")
    s.board.set_person("ana", roles=["pm", "strategist"])
    s.board.add_person("ben", "Ben", ["editor"])
    return s


def test_move_by_steps_from_where_the_piece_is_now(ana: Workspace) -> None:
    pid = ana.board.create("Idea")
    seen = ana.queries.piece(pid)
    assert seen is not None and seen.stage == "ideas"
    moved = ana.board.move_by(pid, 1, base_version=seen.version)
    assert moved.stage == "brief"
    # a second press with the same (older) version steps on from brief: my own
    # earlier move is no conflict, and the target follows the stage as it is now
    again = ana.board.move_by(pid, -1, base_version=seen.version)
    assert again.stage == "ideas"
    [event] = [e for e in ana.queries.events_since(0) if e.piece_id == pid][-1:]
    assert ana.board.emitted == (event.id,)  # what a board applying it skips in its feed


def test_move_by_refuses_past_the_edges_and_changes_nothing(ana: Workspace) -> None:
    pid = ana.board.create("Idea")
    before = ana.queries.last_event_id()
    with pytest.raises(Refused, match="already in the first stage"):
        ana.board.move_by(pid, -1)
    last = ana.board.create("Done", stage="published", imported=True)
    with pytest.raises(Refused, match="already in the last stage"):
        ana.board.move_by(last, 1)
    assert [e.kind for e in ana.queries.events_since(before)] == ["piece.created"]


def test_move_by_refuses_a_move_someone_else_made(
    ana: Workspace, make_session: Callable[..., Workspace]
) -> None:
    pid = ana.board.create("Idea")
    seen = ana.queries.piece(pid)
    assert seen is not None
    make_session("ben").board.move(pid, "brief")
    with pytest.raises(Conflict):
        ana.board.move_by(pid, 1, base_version=seen.version)

"""`ls --json` and `log --json` stream their rows a page at a time: the same bytes as
the whole-list path they replaced, on boards of several pages, on both backends."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prodboard.cli.base import _dumps, _json_safe, emit_json
from prodboard.services.context import Workspace
from prodboard.storage.queries import PAGE

TRACKS = """
[formats.whitepaper]
reviews = ["editor", "legal"]
"""


def fill(s: Workspace, n: int) -> None:
    """``n`` pieces over every stage and two formats (the whitepapers in review have
    tracks), some with comments, some archived, text JSON must escape."""
    s.board.add_person("ben", "Ben", ["editor"])
    stages = [st.key for st in s.workflow.stages]
    s.board.create_many([
        {"title": f'Piece {i}: "quoted" é\ttab', "stage": stages[i % len(stages)],
         "format": "whitepaper" if i % 2 else "blog post", "owner": "ben" if i % 3 else None,
         "tags": [f"t{i % 5}"], "cost": i / 3}
        for i in range(n)])
    for pid in range(1, n, 97):
        s.board.comment(pid, f"note on {pid}")
    for pid in range(2, n, 89):
        s.board.archive(pid, "old")


@pytest.fixture
def tracks_config(tmp_path: Path) -> Path:
    path = tmp_path / "prodboard.toml"  # beside the board: the CLI process finds it too
    path.write_text(TRACKS, encoding="utf-8")
    return path


def test_the_streamed_reads_match_the_whole_reads_page_by_page(
        board_location: str, make_session: Callable[..., Workspace], tracks_config: Path) -> None:
    s = make_session("ana", db=board_location, config=tracks_config)
    fill(s, 60)
    q = s.queries
    assert any(p.tracks for p in q.pieces())  # the tracks are attached on each page too
    for page in (1, 7, 60, 1000):
        for archived in (False, True, None):
            assert list(q.iter_pieces(archived=archived, page=page)) == q.pieces(archived=archived)
        assert list(q.iter_pieces(stage="review", owner="ben", page=page)) == q.pieces(
            stage="review", owner="ben")
        assert list(q.iter_events(0, page=page)) == q.events_since(0)
        assert list(q.iter_events(25, page=page)) == q.events_since(25)


def old_output(capsys: pytest.CaptureFixture[str], documents: list[Any]) -> str:
    """What the command printed before it streamed: one ``emit_json`` per document."""
    capsys.readouterr()
    for document in documents:
        emit_json(document)
    return capsys.readouterr().out


def test_ls_and_log_json_print_the_same_bytes_as_before(
        cli: Any, make_session: Callable[..., Workspace], tracks_config: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    s = make_session("ana")
    fill(s, 2 * PAGE + 150)  # more than two pages (and two write batches)
    q = s.queries
    for args in ([], ["--archived"], ["--stage", "review"], ["--owner", "ben"]):
        code, out, err = cli("ls", "--json", *args)
        assert (code, err) == (0, "")
        assert out == old_output(capsys, [[p.to_json() for p in q.pieces(
            archived="--archived" in args, stage="review" if "--stage" in args else None,
            owner="ben" if "--owner" in args else None)]])
    code, out, err = cli("log", "--json")
    assert (code, err) == (0, "")
    events = q.events_since(0)
    assert len(events) > 2 * PAGE
    assert out == old_output(capsys, [ev.to_json() for ev in events])
    assert cli("log", "--json", "--since", events[-1].id) == (0, "", "")


def test_an_empty_listing_is_an_empty_array_and_a_bad_stage_prints_nothing(
        cli: Any, make_session: Callable[..., Workspace]) -> None:
    make_session("ana")
    assert cli("ls", "--json") == (0, "[]\n", "")
    code, out, err = cli("ls", "--json", "--stage", "nowhere")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "nowhere" in err


# Printable text (the one-scan path) with, now and then, one of what clean() acts on:
# controls (JSON escapes them), escapes, CR, DEL, C1, bidi overrides, a lone surrogate.
TEXT = st.text(st.one_of(
    st.characters(categories=["L", "M", "N", "P", "S"]), st.just(" "),
    st.sampled_from("\x1b\r\t\n\b\f\x00\x7f\x9b\u202e\u2028\ud800\\\"")))
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300)
@given(JSONISH)
def test_the_one_scan_writes_what_cleaning_every_value_writes(document: Any) -> None:
    """``_dumps`` skips the walk of every value when the JSON text shows nothing to clean;
    it must write exactly what the walk would, for any document."""
    assert _dumps(document) == json.dumps(_json_safe(document), ensure_ascii=False, allow_nan=False)

"""`ls --json` and `log --json` stream their rows a page at a time: the same bytes as
the whole-list path they replaced, on boards of several pages, on both backends."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_json_contract import check_object

from prodboard.cli.base import _dumps, _json_safe, emit_json, emit_json_array, emit_json_lines
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
            made = list(q.iter_piece_json(archived=archived, page=page))  # the JSON, from the rows
            assert json.dumps(made) == json.dumps([p.to_json() for p in q.pieces(archived=archived)])
        assert list(q.iter_pieces(stage="review", owner="ben", page=page)) == q.pieces(
            stage="review", owner="ben")
        assert list(q.iter_events(0, page=page)) == q.events_since(0)
        assert list(q.iter_events(25, page=page)) == q.events_since(25)
        made = list(q.iter_event_json(25, page=page))
        assert json.dumps(made) == json.dumps([ev.to_json() for ev in q.events_since(25)])


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
@example(["all ASCII but DEL \x7f"])  # ASCII text: DEL is looked for alone
@example({"k": "ASCII \x1b escape"})
def test_the_one_scan_writes_what_cleaning_every_value_writes(document: Any) -> None:
    """``_dumps`` skips the walk of every value when the JSON text shows nothing to clean;
    it must write exactly what the walk would, for any document."""
    assert _dumps(document) == json.dumps(_json_safe(document), ensure_ascii=False, allow_nan=False)


# Text each backend stores as given: what JSON must escape, beyond the BMP, combining
# marks, right-to-left, and (written straight into an older board) what clean() removes.
HOSTILE = ['quote " and \\ backslash', "tab\tnew\nline", "emoji 🚀 and 中文 and e\u0301",
           "שלום", "</script><b>", ""]
OLD_ROW_TEXT = "old \x1b[31mred\x1b[0m \x9b2J DEL\x7f bidi\u202e end"


def test_the_json_made_from_the_rows_is_what_the_pieces_write(
        cli: Any, make_session: Callable[..., Workspace], db_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``ls --json`` writes the Piece objects straight from the rows (no PieceView): on
    hostile text, nulls, unicode, lists and flags, the same bytes as ``to_json`` of the
    pieces, and the shape docs/json.md gives."""
    s = make_session("ana")
    s.board.add_person("ben", "Ben", ["editor"])
    for i, text in enumerate(HOSTILE):
        pid = s.board.create(text or "untitled", owner="ben" if i % 2 else None,
                             tags=[text, "seo"] if text else [], channels=["blog", text][: 1 + i % 2],
                             links=[f"https://example.com/{i}?q=\"x\""] if i % 3 else [],
                             reviewers=["ana"] if i % 2 else [], audience=text,
                             due=f"2026-12-0{1 + i}" if i % 2 else None, cost=i / 7)
        if i == 1:
            s.board.tick(pid, "seo", True)
        if i == 2:
            s.board.archive(pid, text)
    s.board.comment(1, "a comment: the count is in the JSON")
    conn = sqlite3.connect(db_path)  # a row an older version wrote, before cleaning
    conn.execute("UPDATE piece SET title = ?, tags = ?, checklist = ? WHERE id = 4",
                 (OLD_ROW_TEXT, json.dumps([OLD_ROW_TEXT]), json.dumps({"seo": True, "x\x1b": 1})))
    conn.commit()
    conn.close()
    q = s.queries
    for archived in (False, True, None):
        made = list(q.iter_piece_json(archived=archived, page=2))
        assert json.dumps(made) == json.dumps([p.to_json() for p in q.pieces(archived=archived)])
    for args in ([], ["--archived"], ["--owner", "ben"]):
        code, out, err = cli("ls", "--json", *args)
        assert (code, err) == (0, "")
        expected = [p.to_json() for p in q.pieces(archived="--archived" in args,
                                                  owner="ben" if args[1:] else None)]
        assert out == old_output(capsys, [expected])
        for i, item in enumerate(json.loads(out)):
            check_object(item, "Piece", f"ls --json {args}[{i}]")
    items = json.loads(cli("ls", "--json")[1])
    assert {(p["id"], p["archived"], p["comment_count"]) for p in items} >= {(1, False, 1)}
    assert [p["title"] for p in items if p["id"] == 4] == ["old red  DEL bidi end"]
    assert [sorted(p["checklist"]) for p in items if p["id"] in (2, 4)] == [["seo"], ["seo", "x"]]
    assert any(p["owner"] is None and p["due"] is None for p in items)


DOCUMENTS = st.lists(st.dictionaries(st.sampled_from(["id", "title", "tags", "data"]), JSONISH,
                                     max_size=4), max_size=7)


@settings(max_examples=150)
@given(DOCUMENTS, st.integers(1, 4))
@example([{"id": 1}, {"title": "ASCII DEL \x7f"}, {"id": float("nan")}, {"data": "é"}], 2)
def test_the_batched_writers_write_what_one_document_at_a_time_writes(
        documents: list[dict[str, Any]], size: int) -> None:
    """A batch is encoded and scanned once; a batch with anything to clean (or a number
    that is not finite) falls back to one document at a time: the bytes never change."""
    def printed(write: Callable[[], None]) -> str:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            write()
        return out.getvalue()

    one_by_one = "".join(f"{_dumps(d)}\n" for d in documents)
    assert printed(lambda: emit_json_lines(iter(documents), batch=size)) == one_by_one
    assert printed(lambda: emit_json_array(iter(documents), batch=size)) == printed(
        lambda: emit_json(documents))

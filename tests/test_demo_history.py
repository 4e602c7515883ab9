"""`init --demo --history`: twelve weeks of the demo team's work through the real
commands, the same every time, with what the Metrics screen should show at once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from inprocess import invoke

NOW = {"PRODBOARD_NOW": "2026-11-20T09:00:00Z"}


def _events(db: Path) -> list[tuple[str, str, int | None]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute("select at, kind, piece_id from event order by id"))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def boards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    made = []
    for name in ("a", "b"):
        db = tmp_path_factory.mktemp(name) / "board.db"
        code, _, err = invoke(["init", "--demo", "--history"], db, env=NOW)
        assert (code, err) == (0, "")
        made.append(db)
    return made[0], made[1]


def test_the_history_is_the_same_every_time(boards: tuple[Path, Path]) -> None:
    a, b = boards
    assert _events(a) == _events(b)
    assert len(_events(a)) > 400


def test_the_figures_have_something_to_show(boards: tuple[Path, Path]) -> None:
    code, out, _ = invoke(["report", "--json"], boards[0], env=NOW)
    assert code == 0
    r = json.loads(out)
    assert r["counts"]["published"] >= 20 and r["counts"]["rejected"] == 1
    assert sum(w["published"] for w in r["velocity"]["weekly"]) == r["counts"]["published"]
    assert r["cycle_days"]["n"] >= 20 and r["cycle_days"]["p50"] > 0
    assert r["revisions"]["mean"] > 0 and r["revisions"]["over_limit"]  # a piece past its limit
    assert r["errors"]["overrides"] == 1 and r["review"]["delegated"] == 1
    assert r["slips"]["count"] == 2
    assert any(x["person"] == "hana" and x["away_days"] == 7 for x in r["load"])
    assert r["bottleneck"] is not None
    assert max(r["flow"]["stages"]["published"]) >= 20


def test_a_piece_is_overdue_and_nobody_has_a_flood_of_alerts(boards: tuple[Path, Path]) -> None:
    code, out, _ = invoke(["ls", "--stage", "draft", "--json"], boards[0], env=NOW)
    overdue = [p for p in json.loads(out) if p["due"] and p["due"] < "2026-11-20"]
    assert any(p["title"] == "Onboarding checklist #25" for p in overdue)
    code, out, _ = invoke(["inbox", "--json"], boards[0], user="chloe", env=NOW)
    assert code == 0 and json.loads(out) == []


def test_history_needs_demo(tmp_path: Path) -> None:
    code, out, err = invoke(["init", "--history"], tmp_path / "x.db", env=NOW)
    assert code == 2 and "--history goes with --demo" in err
    assert not (tmp_path / "x.db").exists()

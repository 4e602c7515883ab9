"""``prodboard report``: the JSON of docs/metrics.md, CSV, Markdown, the monthly health
check, and bad input refused in one line with nothing changed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import Cli
from inprocess import dump, invoke
from metrics_history import build

NOW = {"PRODBOARD_NOW": "2026-12-01T06:00:00Z"}


@pytest.fixture
def board(tmp_path: Path) -> Path:
    db, _ = build(tmp_path / "hist")
    return db


def run(board: Path, *args: str) -> tuple[int, str, str]:
    return invoke(["report", *args], board, env=NOW)


def test_report_json_shape_and_figures(board: Path) -> None:
    code, out, err = run(board, "--since", "2026-11-01", "--until", "2026-11-30", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"period", "scope", "kpis", "counts", "velocity", "cycle_days",
                         "lead_days", "first_draft_days", "stages", "bottleneck", "revisions",
                         "on_time", "slips", "review", "cost", "load", "errors", "flow",
                         "control"}
    assert data["period"] == {"since": "2026-11-01", "until": "2026-11-30", "days": 30,
                              "timezone": "UTC"}
    assert data["cycle_days"] == {"n": 3, "p50": 8.0, "p85": 16.125, "max": 16.125,
                                  "mean": 10.375}
    assert data["counts"] == {"published": 3, "created": 7, "archived": 1, "rejected": 1,
                              "imported": 1, "in_progress": 2}
    assert data["on_time"] == {"with_deadline": 2, "on_time": 1, "no_deadline": 1,
                               "rate": 0.5, "late": [4]}
    assert data["bottleneck"] == "draft"
    assert data["revisions"]["by_format"][2] == {"format": "video", "pieces": 1, "mean": 3.0,
                                                 "limit": 2, "over_limit": 1,
                                                 "distribution": {"3": 1}}
    assert data["flow"]["stages"]["published"][-1] == 4
    assert len(data["flow"]["days"]) == 30
    kpis = {k["key"]: k for k in data["kpis"]}
    # The period before is the 30 days to 10-31: Theta, published 10-10 in 5 days.
    assert (kpis["cycle_days"]["value"], kpis["cycle_days"]["previous"],
            kpis["cycle_days"]["trend"], kpis["cycle_days"]["status"]) == (8.0, 5.0, "↑", "good")
    assert kpis["on_time"]["status"] == "bad"


def test_month_health_check_json_and_markdown(board: Path, cli: Cli) -> None:
    code, out, err = cli("report", "--month", "2026-11", "--json", db=board, env=NOW)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["month"] == "2026-11"
    assert [(f["key"], f["pieces"]) for f in data["flags"]] == [
        ("cycle_days", [3, 7, 4]), ("on_time", [4]), ("revision_rate", [4]),
        ("bottleneck", [8, 4, 3, 7]), ("overloaded", [3, 7])]
    cycle = next(k for k in data["kpis"] if k["key"] == "cycle_days")
    assert (cycle["value"], cycle["last_month"], cycle["three_month"]) == (8.0, 5.0, 5.0)
    code, md, _ = cli("report", "--month", "2026-11", "--markdown", db=board, env=NOW)
    assert code == 0
    assert md.startswith("# Health check 2026-11 (UTC)")
    assert "| Cycle time p50 | 8.0d | 5.0d | 5.0d | 10.0d | good |" in md
    assert "- **on_time**: on time 50% is below the target 90%" in md
    assert "  - #4 Beta" in md


def test_by_groups_csv_and_json(board: Path) -> None:
    code, out, _ = run(board, "--month", "2026-11", "--csv")
    assert code == 0 and out.startswith("key,label,value,last_month,three_month,target,status")
    code, out, _ = run(board, "--since", "2026-11-01", "--until", "2026-11-30", "--by", "format",
                       "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["group"], r["published"], r["cycle_p50"]) for r in rows] == [
        ("blog post", "1", "8.0"), ("newsletter", "1", "7.0"), ("social post", "0", ""),
        ("video", "1", "16.125")]
    code, out, _ = run(board, "--since", "2026-11-01", "--until", "2026-11-30", "--by", "stage",
                       "--json")
    by = json.loads(out)["by"]
    assert by["dimension"] == "stage"
    draft = next(g for g in by["groups"] if g["stage"] == "draft")
    assert draft == {"stage": "draft", "pieces": 4, "mean_days": 5.1562, "total_days": 20.625,
                     "at_end": 1, "bottleneck": True}
    code, out, _ = run(board, "--since", "2026-11-01", "--until", "2026-11-30", "--by", "owner",
                       "--piece-format", "video", "--json")
    assert [g["group"] for g in json.loads(out)["by"]["groups"]] == ["dev"]


def test_plain_and_markdown_report(board: Path) -> None:
    code, out, _ = run(board, "--since", "2026-11-01", "--until", "2026-11-30")
    assert code == 0
    assert out.splitlines()[0] == "2026-11-01 – 2026-11-30 (UTC)"
    assert "bottleneck: draft" in out
    code, md, _ = run(board, "--since", "2026-11-01", "--until", "2026-11-30", "--markdown")
    assert "| draft | 4 | 5.1562 | 20.625 | 1 | yes |" in md


def test_empty_board_reports_zeros(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    assert invoke(["init"], db)[0] == 0
    code, out, err = invoke(["report", "--json"], db, env=NOW)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["counts"]["published"] == 0 and data["cycle_days"]["p50"] is None
    assert len(data["flow"]["days"]) == 84


@pytest.mark.parametrize("args, says", [
    (["--since", "2026-13-01"], "--since: '2026-13-01' is not a date"),
    (["--until", "99999-01-01"], "is not a date"),
    (["--since", "0001-01-01"], "out of range"),
    (["--month", "2026-13"], "--month: '2026-13' is not a month"),
    (["--month", "2026-11", "--since", "2026-11-01"], "--month names the whole period"),
    (["--weeks", "4", "--since", "2026-11-01"], "--weeks ends today"),
    (["--since", "2026-11-30", "--until", "2026-11-01"], "is after --until"),
    (["--since", "1990-01-01", "--until", "2026-11-01"], "longer than 3660 days"),
    (["--json", "--csv"], "pick one of --json, --csv and --markdown"),
    (["--weeks", "0"], "0 is not in the range"),
    (["--by", "colour"], "'colour' is not one of"),
])
def test_bad_input_is_one_line_exit_2_nothing_changed(board: Path, args: list[str], says: str) -> None:
    before = dump(board)
    code, out, err = run(board, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err, err
    assert dump(board) == before


@pytest.mark.parametrize("config, says", [
    ("[targets]\non_time = 5\n", ":2: targets.on_time: is a share: use 0 to 1"),
    ("[targets]\nspeed = 1\n", ":2: targets.speed: unknown target"),
    ("[targets]\ncycle_days = nan\n", "must be a finite number"),
    ("[targets]\ncycle_days = true\n", "expected a number"),
    ("[metrics]\ntimezone = \"Mars/Olympus\"\n", ":2: metrics.timezone: unknown time zone"),
    ("[metrics]\nzone = \"UTC\"\n", "metrics.zone: unknown key"),
    ("targets = 3\n", "expected a table [targets]"),
])
def test_bad_metrics_config_is_one_line(tmp_path: Path, config: str, says: str) -> None:
    db = tmp_path / "b.db"
    assert invoke(["init"], db)[0] == 0
    (tmp_path / "prodboard.toml").write_text(config, encoding="utf-8")
    code, out, err = invoke(["report"], db, env=NOW)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err, err


def test_the_example_config_is_read(tmp_path: Path) -> None:
    from prodboard.config.metrics import load_metrics

    example = Path(__file__).resolve().parents[1] / "docs" / "prodboard.example.toml"
    settings = load_metrics(example)
    assert str(settings.timezone) == "Europe/Paris"
    assert settings.targets == {"on_time": 0.9, "cycle_days": 14.0}

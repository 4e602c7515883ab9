"""Times as people read them: one named zone (TZ, or the team's [metrics] timezone),
relative phrases, daylight-saving edges; JSON keeps UTC. The CLI runs as a real
process with a pinned clock (PRODBOARD_NOW) and TZ set."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from prodboard.config.zone import display_zone, machine_zone
from prodboard.domain import timefmt
from prodboard.services.context import Workspace

NY, KOLKATA = ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("stored", "zone", "shown"), [
    # US daylight saving 2026: starts 8 March 07:00 UTC, ends 1 November 06:00 UTC
    ("2026-03-08T06:59:00+00:00", NY, "2026-03-08 01:59 EST"),
    ("2026-03-08T07:00:00+00:00", NY, "2026-03-08 03:00 EDT"),
    ("2026-11-01T05:30:00+00:00", NY, "2026-11-01 01:30 EDT"),
    ("2026-11-01T06:30:00+00:00", NY, "2026-11-01 01:30 EST"),  # the hour that repeats
    ("2026-03-08T07:00:00+00:00", KOLKATA, "2026-03-08 12:30 IST"),  # no DST, +05:30
    ("2026-11-20T20:00:00Z", KOLKATA, "2026-11-21 01:30 IST"),  # the next day there
    ("2026-11-20T09:00:00", ZoneInfo("UTC"), "2026-11-20 09:00 UTC"),  # naive = UTC
    ("2026-06-01T12:00:00+00:00", ZoneInfo("America/Sao_Paulo"), "2026-06-01 09:00 UTC-03:00"),
])
def test_clock_time_names_the_zone(stored: str, zone: ZoneInfo, shown: str) -> None:
    assert timefmt.clock_time(stored, zone) == shown


def test_clock_time_shortens_today_and_this_year_in_the_zone() -> None:
    late = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 01:30 on the 21st in Kolkata
    assert timefmt.clock_time("2026-11-20T19:00:00Z", NY, late) == "14:00 EST"
    assert timefmt.clock_time("2026-11-20T19:00:00Z", KOLKATA, late) == "00:30 IST"  # today there
    assert timefmt.clock_time("2026-11-20T17:00:00Z", KOLKATA, late) == "Nov 20 22:30 IST"
    assert timefmt.clock_time("2025-12-31T12:00:00Z", NY, late) == "2025-12-31 07:00 EST"


@pytest.mark.parametrize(("stored", "said"), [
    ("2026-11-20T08:59:30Z", "just now"),
    ("2026-11-20T08:55:00Z", "5 min ago"),
    ("2026-11-20T06:00:00Z", "3 h ago"),
    ("2026-11-19T09:00:00Z", "1 day ago"),
    ("2026-11-17T08:00:00Z", "3 days ago"),
    ("2026-11-20T13:00:00Z", "in 4 h"),
])
def test_ago(stored: str, said: str) -> None:
    assert timefmt.ago(stored, NOW) == said


@pytest.mark.parametrize(("due", "zone", "said"), [
    ("2026-11-20", NY, "due today"),
    ("2026-11-21", NY, "due tomorrow"),
    ("2026-11-22", NY, "due in 2 days"),
    ("2026-11-19", NY, "1 day overdue"),
    ("2026-11-17", NY, "3 days overdue"),
])
def test_due_in(due: str, zone: ZoneInfo, said: str) -> None:
    assert timefmt.due_in(due, NOW, zone) == said


def test_due_in_counts_days_in_the_zone() -> None:
    late = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # already the 21st in Kolkata
    assert timefmt.due_in(date(2026, 11, 21), late, ZoneInfo("UTC")) == "due tomorrow"
    assert timefmt.due_in(date(2026, 11, 21), late, KOLKATA) == "due today"
    assert timefmt.due_in(date(2026, 11, 21), late, NY) == "due tomorrow"


def test_the_zone_is_tz_then_the_team_setting(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert machine_zone() == NY
    assert display_zone(None) == NY
    monkeypatch.setenv("TZ", ":Asia/Kolkata")  # the leading colon POSIX allows
    assert machine_zone() == KOLKATA
    team = tmp_path / "prodboard.toml"
    team.write_text("[board]\n", encoding="utf-8")
    assert display_zone(team) == KOLKATA  # no [metrics] timezone: the machine's
    team.write_text('[metrics]\ntimezone = "Europe/Paris"\n', encoding="utf-8")
    assert display_zone(team) == ZoneInfo("Europe/Paris")  # the team's wins


def _pinned(zone: str) -> dict[str, str]:
    return {"TZ": zone, "PRODBOARD_NOW": "2026-11-20T14:00:00+00:00"}


def test_show_and_log_in_the_zone_tz_names(cli: Any, make_session: Any) -> None:
    session: Workspace = make_session("ana", clock=lambda: datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    pid = session.board.create("Pricing", owner="ana", due="2026-11-22")
    session.board.comment(pid, "first pass")
    session.close()
    code, out, err = cli("show", pid, env=_pinned("America/New_York"))
    assert (code, err) == (0, "")
    assert "due: 2026-11-22 (due in 2 days)" in out
    assert "07:00 EST ana: first pass" in out  # 12:00 UTC, today in New York
    assert "07:00 EST" in out.split("History:")[1]
    code, out, _ = cli("show", pid, env=_pinned("Asia/Kolkata"))
    assert "17:30 IST ana: first pass" in out
    code, out, _ = cli("log", env=_pinned("Asia/Kolkata"))
    assert code == 0 and "2026-11-20 17:30 IST" in out
    code, out, _ = cli("show", pid, "--json", env=_pinned("Asia/Kolkata"))
    data = json.loads(out)
    assert data["comments"][0]["at"].startswith("2026-11-20T12:00:00")  # UTC, ISO
    assert data["history"][0]["at"].endswith("+00:00")


def test_show_uses_the_team_zone(cli: Any, make_session: Any, tmp_path: Path) -> None:
    session: Workspace = make_session("ana", clock=lambda: datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    pid = session.board.create("Pricing")
    session.close()
    team = tmp_path / "team.toml"
    team.write_text('[metrics]\ntimezone = "Asia/Kolkata"\n', encoding="utf-8")
    code, out, err = cli("show", pid, env={**_pinned("America/New_York"),
                                           "PRODBOARD_CONFIG": str(team)})
    assert (code, err) == (0, "")
    assert "17:30 IST" in out and "EST" not in out


def test_a_bad_team_zone_or_target_does_not_stop_showing_times(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Both are the figures' errors (report names the line); times fall back to the
    machine's zone, named on each time."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    team = tmp_path / "prodboard.toml"
    team.write_text('[metrics]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    assert display_zone(team) == KOLKATA
    team.write_text('[metrics]\ntimezone = "Europe/Paris"\n\n[targets]\non_time = 5\n',
                    encoding="utf-8")
    assert display_zone(team) == ZoneInfo("Europe/Paris")

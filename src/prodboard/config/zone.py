"""The one zone times are shown in, by the CLI's text output and the board: the team's
``[metrics] timezone`` when the team file sets one (days are counted in it too), else
this machine's zone (``TZ``, else the system's), with its daylight-saving rules.

A zone the team file names wrongly is the figures' error (``report`` and the Metrics
screen say it in one line); times are then shown in the machine's zone, which every
time names, rather than refusing to show a piece.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prodboard.config.source import Source
from prodboard.errors import ConfigError

_LOCALTIME = Path("/etc/localtime")


def display_zone(team: Path | None) -> tzinfo:
    """The team's configured zone, else the machine's."""
    if team is not None:
        try:
            configured = team_zone(team)
        except ConfigError:
            configured = None
        if configured is not None:
            return configured
    return machine_zone()


def team_zone(team: Path) -> tzinfo | None:
    """Only the ``[metrics] timezone`` the team file sets (None when it sets none), so
    that showing a time does not depend on the targets being right (nor loads the
    figures' code that checks them, config/metrics.py)."""
    src = Source(team)
    section = src.data.get("metrics", {})
    if not isinstance(section, dict) or "timezone" not in section:
        return None
    return named_zone(section["timezone"], lambda why: src.fail(("metrics", "timezone"), why))


def named_zone(value: Any, fail: Any) -> tzinfo:
    """The zone a team file names; ``fail(why)`` makes its one-line error."""
    if not isinstance(value, str) or not value.strip():
        raise fail("expected a time zone name such as \"Europe/Paris\" or \"UTC\"")
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise fail(f"unknown time zone {value!r} (use a name such as \"Europe/Paris\")") from None


def machine_zone() -> tzinfo:
    """``TZ`` (a zone name such as America/New_York), else the zone /etc/localtime
    names; the current offset only when that is not a known zone (no DST rules then)."""
    tz = os.environ.get("TZ")
    name = tz.lstrip(":") if tz is not None else _linked_name()
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def _linked_name() -> str:
    try:
        target = str(_LOCALTIME.resolve())
    except OSError:
        return ""
    _, sep, name = target.partition("zoneinfo/")
    return name if sep else ""

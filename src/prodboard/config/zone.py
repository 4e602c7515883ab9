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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prodboard.config.metrics import team_zone
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

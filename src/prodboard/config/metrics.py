"""The team's measuring settings: ``[metrics] timezone`` and the ``[targets]`` table.

Both live in the team file (the workflow's); read strictly, like the rest of it: a
bad value is one line naming the file, the line and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from prodboard.config.source import Source
from prodboard.config.zone import named_zone
from prodboard.domain.health import DEFAULT_TARGETS, KPIS
from prodboard.errors import ConfigError

_RATES = ("on_time", "first_pass", "utilisation")  # shares: 0 to 1


@dataclass(frozen=True)
class MetricsSettings:
    timezone: tzinfo = field(default_factory=lambda: local_zone())
    targets: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TARGETS))


def local_zone() -> tzinfo:
    """The machine's zone (TZ, else the system's), the default for bucketing days."""
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def load_metrics(team: Path | None) -> MetricsSettings:
    if team is None:
        return MetricsSettings()
    src = Source(team)
    data = src.data

    def fail(key: tuple[str, ...], why: str) -> ConfigError:
        return src.fail(key, why)

    zone: tzinfo | None = None
    section = data.get("metrics", {})
    if not isinstance(section, dict):
        raise fail(("metrics",), "expected a table [metrics]")
    for key, value in section.items():
        if key != "timezone":
            raise fail(("metrics", key), "unknown key (allowed: timezone)")
        zone = named_zone(value, lambda why: fail(("metrics", "timezone"), why))
    targets = dict(DEFAULT_TARGETS)
    table = data.get("targets", {})
    if not isinstance(table, dict):
        raise fail(("targets",), "expected a table [targets]")
    for key, value in table.items():
        targets[key] = _target(key, value, lambda why, k=key: fail(("targets", k), why))
    return MetricsSettings(zone or local_zone(), targets)


def _target(key: str, value: Any, fail: Any) -> float:
    if key not in KPIS:
        raise fail(f"unknown target (targets: {', '.join(KPIS)})")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail("expected a number")
    if not math.isfinite(value) or value < 0:
        raise fail("must be a finite number, not negative")
    if key in _RATES and value > 1:
        raise fail(f"is a share: use 0 to 1 (e.g. {key} = 0.9), not {value:g}")
    if value > 1e12:
        raise fail("is too large (at most 1e12)")
    return float(value)

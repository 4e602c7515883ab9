"""The clock the core reads. Tests and scripts pin it with PRODBOARD_NOW."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC; PRODBOARD_NOW (ISO 8601) overrides it for tests and demos."""
    fixed = os.environ.get("PRODBOARD_NOW")
    if fixed:
        return parse_utc(fixed)
    return datetime.now(UTC)


def parse_utc(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """The storage form of a timestamp: UTC, ISO 8601, microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
